import Foundation
import IncidentCore
import IncidentStore
import Postgres
import TestSupport
import Testing

/// Clock pauses are kept with the incident, and one that reaches its end is recorded as ended
/// there, once, with an event, however many daemons scan.
@Suite struct ClockPauseStoreTests {
    let mia = Caller(uid: 1001, gid: 1001, pid: 42, userName: "mia")

    @Test func aPauseReachingItsEndIsRecordedOnceAndTheTaskIsNoLongerHeld() async throws {
        let breach = try #require(WorkflowFixtures.breach)
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool)
            let playbooks = PlaybookVersions([breach])
            let draft = try ReportDraft(
                title: "Patient portal exposed",
                description: "lab results",
                severity: .high,
                dataCategories: [.health, .identity],
                peopleAffected: 700,
                jurisdictions: [Jurisdiction(rawValue: "US")!]
            ).validated(now: Date())
            let reference = try await store.report(draft, by: mia, playbooks: [breach]).incident.reference
            // Paused two hours ago on an oral request, with an end an hour ago.
            let since = Date().addingTimeInterval(-7200)
            let until = Date().addingTimeInterval(-3600)
            let request = PauseRequest(
                basis: "law-enforcement-oral",
                regimes: ["us-states"],
                until: until,
                reason: "call from Det. Ruiz"
            )
            _ = try await store.applyWorkflow(
                reference,
                audit: AuditRecord(caller: mia, action: "PauseClock"),
                playbooks: playbooks,
                command: { state, playbook in
                    Workflow.apply(.pauseClocks(request), to: state, playbook: playbook, actor: "mia", now: since)
                }
            )
            #expect(try await store.endLapsedPauses(playbooks: playbooks) == 1)
            #expect(try await store.endLapsedPauses(playbooks: playbooks) == 0, "a second scan ends nothing more")
            let events = try await pool.withConnection { connection in
                try connection.query("SELECT data->>'regimes' AS regimes FROM events WHERE kind = 'clock.pause_ended'")
                    .map { try $0.decode(String.self, "regimes") }
            }
            #expect(events == ["us-states"])
            let file = try await store.fullCaseFile(reference, by: mia, playbooks: playbooks)
            let pause = try #require(file.state.pauses.first)
            #expect(
                pause.regime == "us-states" && pause.reason == "call from Det. Ruiz" && pause.endedBy == "incidentd"
            )
            #expect(abs((pause.endedAt ?? .distantPast).timeIntervalSince(until)) < 0.001)
            // The status screen's due-soon and overdue lists hold the task again.
            let overdue = try await store.openTasks(
                visibleTo: .all,
                dueBefore: Date().addingTimeInterval(365 * 86_400),
                assignee: nil,
                limit: 100
            )
            #expect(
                overdue.contains { $0.task == "us-state-residents" && $0.pausedUntil == nil },
                "\(overdue.map(\.task))"
            )
        }
    }

    @Test func aRunningPauseHoldsItsTaskOutOfDueSoonAndOverdue() async throws {
        let breach = try #require(WorkflowFixtures.breach)
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool)
            let playbooks = PlaybookVersions([breach])
            let draft = try ReportDraft(
                title: "Card numbers in a log",
                description: "a debug log",
                severity: .high,
                dataCategories: [.financial],
                peopleAffected: 50,
                jurisdictions: [Jurisdiction(rawValue: "US")!]
            ).validated(now: Date())
            let reference = try await store.report(draft, by: mia, playbooks: [breach]).incident.reference
            let request = PauseRequest(
                basis: "law-enforcement-written",
                until: Date().addingTimeInterval(86_400),
                reason: "FBI letter"
            )
            let now = Date()
            _ = try await store.applyWorkflow(
                reference,
                audit: AuditRecord(caller: mia, action: "PauseClock"),
                playbooks: playbooks,
                command: { state, playbook in
                    Workflow.apply(.pauseClocks(request), to: state, playbook: playbook, actor: "mia", now: now)
                }
            )
            let soon = try await store.openTasks(
                visibleTo: .all,
                dueBefore: Date().addingTimeInterval(365 * 86_400),
                assignee: nil,
                limit: 100
            )
            #expect(!soon.contains { $0.task == "us-state-residents" }, "paused: neither due soon nor overdue")
            #expect(soon.contains { $0.task == "triage" }, "the playbook's own tasks keep their clocks")
            let all = try await store.openTasks(visibleTo: .all, dueBefore: nil, assignee: nil, limit: 100)
            #expect(all.first { $0.task == "us-state-residents" }?.pausedUntil != nil)
            #expect(try await store.endLapsedPauses(playbooks: playbooks) == 0, "not yet at its end")
        }
    }
}

/// The shipped playbooks, loaded once for the store tests.
enum WorkflowFixtures {
    static let breach: Playbook? = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try? PlaybookLoader.loadDirectory(repository.appendingPathComponent("playbooks")).get()
            .first { $0.name == "customer-data-breach" }
    }()
}
