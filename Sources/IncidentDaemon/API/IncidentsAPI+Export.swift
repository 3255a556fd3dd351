import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Varlink

extension IncidentsAPI {
    static let reporterMayNotExport = "a reporter's view cannot be exported; ask the incident's manager"

    /// `Export`: the case file as a document for a regulator or a third party. Audited (in the
    /// same transaction as the read) with its format and whether it was redacted. Reporters,
    /// who see only their own report, cannot export.
    func export(
        _ parameters: IncidentsWire.ExportParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.ExportReply {
        let redact = parameters.redact ?? false
        let principal = settings.roles.principal(for: caller)
        let playbooks = self.playbooks
        let lookup = try await store.caseFile(
            parameters.reference,
            audit: AuditRecord(
                caller: caller,
                action: call.auditAction,
                incident: parameters.reference,
                detail: "format \(parameters.format.rawValue), \(redact ? "redacted" : "not redacted")"
            ),
            playbooks: playbooks.versions,
            // Not readable at all: answered below as NoSuchIncident, exactly as Get answers.
            access: ReadAccess(principal, reporterViewRefusal: Self.reporterMayNotExport)
        )
        switch lookup {
        case .notFound: throw WireError.noSuchIncident(reference: parameters.reference.rawValue)
        case .denied(let reason) where reason == Self.reporterMayNotExport:
            throw WireError.permissionDenied(reason: reason)
        case .denied: throw WireError.noSuchIncident(reference: parameters.reference.rawValue)
        case .found(let file, let view):
            let timeline = try await store.timeline(parameters.reference)
            // The evidence manifest; audited (as this export) with each file's hash, so the
            // export shows in every file's chain of custody.
            let evidence = try Self.unwrap(
                try await store.evidence(
                    parameters.reference,
                    number: nil,
                    access: ReadAccess(principal, reporterViewRefusal: Self.reporterMayNotExport),
                    audit: nil
                ),
                parameters.reference
            )
            if !evidence.isEmpty {
                try await store.recordAudit(
                    AuditRecord(
                        caller: caller,
                        action: call.auditAction,
                        incident: parameters.reference,
                        detail: "evidence manifest: " + evidence.map(\.item.auditDetail).joined(separator: ", ")
                    )
                )
            }
            let export = CaseFileExport(
                file: file.reply(as: view),
                events: timeline.events.map { .init(at: $0.at, kind: $0.kind, actor: $0.actor, data: $0.data) },
                exportedAt: clock(),
                exportedBy: caller.userName,
                redacted: redact,
                notices: view == .full
                    ? file.state.notifications.compactMap { CaseFileExport.Notice($0, redacted: redact) } : [],
                evidence: evidence.map(\.item)
            )
            let document = parameters.format == .markdown ? export.markdown() : try export.json()
            return IncidentsWire.ExportReply(format: parameters.format, redacted: redact, document: document)
        }
    }
}
