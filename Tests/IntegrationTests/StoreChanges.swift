import Foundation
import IncidentCore
import IncidentStore
import Testing

/// The read-decide-write of a change, as the API runs it, for store tests that only need a
/// change made (the API's own decisions, access and versions, are tested through its router).
extension IncidentStore {
    struct NotWritten: Error {}

    /// Files `draft` with its workflow started under the playbook of `playbooks` it matches, as
    /// the API does.
    func report(_ draft: ReportDraft, by reporter: Caller, playbooks: [Playbook]) async throws -> ReportResult {
        let reported = Date()
        return try await report(
            draft,
            by: reporter,
            reported: reported,
            start: WorkflowStart(
                draft,
                by: Incident.Person(uid: reporter.uid, name: reporter.userName),
                reported: reported,
                playbooks: playbooks
            )
        )
    }

    func change(
        _ reference: IncidentReference,
        audit: AuditRecord,
        _ body: (inout Incident) throws -> [IncidentEvent]
    ) async throws -> Incident {
        let basis = try #require(try await incidentForChange(reference))
        var incident = basis.incident
        let events = try body(&incident)
        guard case .written(let written) = try await write(incident, events: events, on: basis, audit: audit) else {
            throw NotWritten()
        }
        return written
    }

    struct NotFound: Error {}

    /// The whole case file of `reference` as `caller` reads it with full access (a Get).
    func fullCaseFile(
        _ reference: IncidentReference,
        by caller: Caller,
        playbooks: PlaybookVersions = PlaybookVersions()
    ) async throws -> CaseFile {
        guard
            case .found(let file, _) = try await caseFile(
                reference,
                audit: AuditRecord(caller: caller, action: "Get"),
                playbooks: playbooks,
                access: .full
            )
        else { throw NotFound() }
        return file
    }

    func applyWorkflow(
        _ reference: IncidentReference,
        audit: AuditRecord,
        playbooks: PlaybookVersions,
        command: (CaseState, Playbook) -> Workflow.Outcome
    ) async throws -> CaseFile {
        guard case .found(let basis) = try await caseForChange(reference, playbooks: playbooks) else {
            throw NotWritten()
        }
        let (state, events) = try command(basis.file.state, basis.file.playbook).get()
        guard case .written(let file) = try await write(state, events: events, on: basis, audit: audit) else {
            throw NotWritten()
        }
        return file
    }
}

extension ReadAccess {
    /// A manager's read: the full view of every incident.
    static let full = ReadAccess(
        Principal(caller: Caller(uid: 4040, gid: 4040, pid: 1, userName: "manager"), roles: [.manager])
    )
}
