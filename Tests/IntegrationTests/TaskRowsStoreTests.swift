import Foundation
import IncidentCore
import IncidentStore
import Postgres
import TestSupport
import Testing

/// A case's tasks go to the database as one array per column: every field of every task comes
/// back as the workflow wrote it, whatever the text holds (quotes, backslashes, braces, the
/// word NULL, Chinese) and whichever fields are empty.
@Suite struct TaskRowsStoreTests {
    let mia = Caller(uid: 1001, gid: 1001, pid: 42, userName: "mia")

    @Test func everyTaskFieldComesBackAsWritten() async throws {
        let breach = try #require(WorkflowFixtures.breach)
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool)
            let playbooks = PlaybookVersions([breach])
            let draft = try ReportDraft(
                title: "Export left public",
                description: "orders",
                severity: .high,
                dataCategories: [.contact, .financial],
                peopleAffected: 1200,
                jurisdictions: [Jurisdiction(rawValue: "DE")!, Jurisdiction(rawValue: "US-CA")!]
            ).validated(now: Date())
            let reference = try await store.report(draft, by: mia, playbooks: [breach]).incident.reference
            let reason = #"他说 "NULL", {a,b} \ 然后 NULL"#
            let written = try await store.applyWorkflow(
                reference,
                audit: AuditRecord(caller: mia, action: "SkipTask"),
                playbooks: playbooks,
                command: { state, playbook in
                    let open = state.tasks.first { $0.status == .open }!.id
                    return Workflow.apply(
                        .skipTask(id: open, reason: reason),
                        to: state,
                        playbook: playbook,
                        actor: "mia",
                        now: Date()
                    )
                }
            )
            let read = try await store.fullCaseFile(reference, by: mia, playbooks: playbooks)
            #expect(written.state.tasks.count > 10, "a breach has many tasks: \(written.state.tasks.count)")
            #expect(written.state.tasks.contains { $0.reason == reason })
            #expect(written.state.tasks.contains { $0.due == nil } && written.state.tasks.contains { $0.due != nil })
            for (wrote, came) in zip(written.state.tasks, read.state.tasks) {
                #expect(wrote.id == came.id && wrote.phase == came.phase && wrote.status == came.status)
                #expect(wrote.reason == came.reason && wrote.completedBy == came.completedBy)
                #expect(wrote.undecided == came.undecided && wrote.pausedUntil == came.pausedUntil, "\(wrote.id)")
                #expect(
                    abs((wrote.due ?? .distantPast).timeIntervalSince(came.due ?? .distantPast)) < 0.001
                        && abs((wrote.completedAt ?? .distantPast).timeIntervalSince(came.completedAt ?? .distantPast))
                            < 0.001,
                    "\(wrote.id)"
                )
            }
            #expect(written.state.tasks.count == read.state.tasks.count)
        }
    }
}
