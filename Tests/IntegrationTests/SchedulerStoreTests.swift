import Foundation
import IncidentCore
import IncidentStore
import Postgres
import TestSupport
import Testing

/// The scheduler's deadline alerts, at the store: a burst of incidents is worked through a
/// bounded batch per transaction, and every alert fires exactly once with its timeline event.
@Suite struct SchedulerStoreTests {
    let mia = Caller(uid: 1001, gid: 1001, pid: 42, userName: "mia")

    @Test func aBurstOfDueTasksFiresEachAlertOnceInBoundedBatches() async throws {
        let breach = try #require(WorkflowFixtures.breach)
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool)
            let playbooks = PlaybookVersions([breach])
            for number in 1...12 {
                let draft = try ReportDraft(
                    title: "Burst \(number)",
                    description: "d",
                    severity: .high,
                    dataCategories: [.contact],
                    peopleAffected: 50,
                    jurisdictions: [Jurisdiction(rawValue: "DE")!]
                ).validated(now: Date())
                _ = try await store.report(draft, by: mia, playbooks: [breach])
            }
            let lead = Duration.seconds(400 * 24 * 3600)
            let due = try await pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT count(*) AS n FROM tasks
                    WHERE status IN ('open', 'possibly_owed') AND due_at IS NOT NULL
                      AND due_at <= now() + make_interval(secs => \(Double(lead.components.seconds)))
                    """
                ).first!.decode(Int64.self, "n")
            }
            try #require(due > 12, "every incident has tasks falling due: \(due)")
            // Seven a call: many transactions, each a whole batch until the last, every alert once.
            var batches: [Int] = []
            while batches.last.map({ $0 == 7 }) ?? true {
                batches.append(try await store.fireDueAlerts(dueSoonLead: lead, playbooks: playbooks, batch: 7))
            }
            #expect(Int64(batches.reduce(0, +)) == due, "\(batches)")
            #expect(batches.dropLast().allSatisfy { $0 == 7 } && batches.count > 2, "\(batches)")
            #expect(try await store.fireDueAlerts(dueSoonLead: lead, playbooks: playbooks, batch: 7) == 0)
            let (alerts, events) = try await pool.withConnection { connection in
                (
                    try connection.query("SELECT count(*) AS n FROM task_alerts").first!.decode(Int64.self, "n"),
                    try connection.query(
                        "SELECT count(*) AS n FROM events WHERE kind IN ('task.due_soon', 'task.overdue')"
                    ).first!.decode(Int64.self, "n")
                )
            }
            #expect(alerts == due && events == due)
        }
    }
}
