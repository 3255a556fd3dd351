import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Varlink

extension IncidentsAPI {
    static let reporterMayNotReadTheRegister =
        "the breach register is the team's record; a reporter sees their own reports with incidentctl list"

    /// `Register`: a page of the breach register (GDPR Art. 33(5)), built from the case files
    /// the caller may read in full. Each page is audited in the same transaction as its read,
    /// with the format, whether it was redacted and the references it held. Reporters, who
    /// see only their own report, are refused.
    func register(
        _ parameters: IncidentsWire.RegisterParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.RegisterReply {
        let now = clock()
        let until = parameters.until ?? now
        let limit = parameters.limit ?? 100
        try await validate(call, caller) { () throws(ValidationError) in
            if let since = parameters.since, since > now {
                throw ValidationError(field: "since", reason: "is in the future")
            }
            if let given = parameters.until, given > now.addingTimeInterval(60) {
                throw ValidationError(field: "until", reason: "is in the future")
            }
            if let since = parameters.since, since >= until {
                throw ValidationError(field: "until", reason: "must be after since")
            }
            guard (1...500).contains(limit) else { throw ValidationError(field: "limit", reason: "must be 1 to 500") }
        }
        let principal = settings.roles.principal(for: caller)
        guard principal.roles.contains(where: { $0 != .reporter }) else {
            await Self.audit(
                store: store,
                logger: logger,
                AuditRecord(
                    caller: caller,
                    action: call.auditAction,
                    outcome: .denied,
                    detail: Self.reporterMayNotReadTheRegister
                )
            )
            throw WireError.permissionDenied(reason: Self.reporterMayNotReadTheRegister)
        }
        let redact = parameters.redact ?? false
        let page = try await store.register(
            since: parameters.since,
            until: until,
            after: parameters.after,
            limit: limit,
            visibleTo: AccessPolicy.visibility(of: principal),
            access: ReadAccess(principal),
            playbooks: playbooks.versions,
            audit: AuditRecord(
                caller: caller,
                action: call.auditAction,
                detail: "format \(parameters.format.rawValue), \(redact ? "redacted" : "not redacted")"
            )
        )
        return IncidentsWire.RegisterReply(
            since: parameters.since,
            until: until,
            redacted: redact,
            entries: page.files.map {
                RegisterEntry(incident: $0.incident, state: $0.state, playbook: $0.playbook, redact: redact)
            },
            next: page.next
        )
    }
}
