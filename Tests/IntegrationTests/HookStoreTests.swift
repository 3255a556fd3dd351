import Foundation
import IncidentCore
import IncidentStore
import Postgres
import TestSupport
import Testing

/// The outbox's store side, at the layer it lives: recording delivered attempts together,
/// and the counts monitoring reads.
@Suite struct HookStoreTests {
    func queue(_ pool: PostgresPool, _ count: Int) async throws {
        try await pool.transaction { connection in
            try connection.query(
                """
                INSERT INTO hook_deliveries (hook, event, payload, max_attempts)
                SELECT 'h', 'incident.reported', '{}'::jsonb, 3 FROM generate_series(1, \(count))
                """
            )
        }
    }

    func states(_ pool: PostgresPool) async throws -> [String: Int64] {
        try await pool.withConnection { connection in
            Dictionary(
                uniqueKeysWithValues: try connection.query(
                    "SELECT state, count(*) AS n FROM hook_deliveries GROUP BY state"
                ).map { (try $0.decode(String.self, "state"), try $0.decode(Int64.self, "n")) }
            )
        }
    }

    /// A batch records each delivery whose lease its daemon still holds, with its attempt,
    /// and leaves a delivery another daemon took over alone.
    @Test func deliveredAttemptsAreRecordedTogetherOnlyUnderTheirOwnLease() async throws {
        try await withMigratedPool { pool, _ in
            let store = HookStore(pool: pool)
            try await queue(pool, 3)
            let mine = try await store.claim(limit: 2, daemon: "a", lease: .seconds(60))
            let theirs = try await store.claim(limit: 1, daemon: "b", lease: .seconds(60))
            #expect(mine.count == 2 && theirs.count == 1)
            let started = Date()
            let batch = (mine + theirs).map { HookStore.Delivered($0, started: started, output: "ok") }
            try await store.finishDelivered(batch, daemon: "a")
            #expect(try await states(pool) == ["delivered": 2, "running": 1], "b's lease is b's")
            let attempts = try await pool.withConnection { connection in
                try connection.query("SELECT delivery_id, attempt, daemon, outcome FROM hook_attempts").map {
                    (
                        try $0.decode(UUID.self, "delivery_id"), try $0.decode(Int.self, "attempt"),
                        try $0.decode(String.self, "daemon"), try $0.decode(String.self, "outcome")
                    )
                }
            }
            #expect(Set(attempts.map(\.0)) == Set(mine.map(\.id)))
            #expect(attempts.allSatisfy { $0.1 == 1 && $0.2 == "a" && $0.3 == "delivered" })
            // Recorded again (a retried batch): nothing changes, nothing fails.
            try await store.finishDelivered(batch, daemon: "a")
            #expect(try await states(pool) == ["delivered": 2, "running": 1])
            try await store.finishDelivered([], daemon: "a")
        }
    }

    @Test func monitoringCountsTheQueueTheDeadAndOpenIncidents() async throws {
        try await withMigratedPool { pool, _ in
            let incidents = IncidentStore(pool: pool)
            let draft = try ReportDraft(title: "t", description: "d", severity: .high).validated(now: Date())
            _ = try await incidents.report(draft, by: Caller(uid: 1000, gid: 1000, pid: 1, userName: "mia"))
            try await queue(pool, 4)
            try await pool.transaction { connection in
                try connection.query(
                    "UPDATE hook_deliveries SET state = 'dead' WHERE id IN (SELECT id FROM hook_deliveries LIMIT 1)"
                )
            }
            let counts = try await incidents.monitoringCounts(lead: .seconds(3600))
            #expect(counts.hookQueue == 3 && counts.hookDead == 1)
            #expect(counts.open[MonitoringCounts.Key(phase: "report", severity: "high")] == 1)
            #expect(counts.open.values.reduce(0, +) == 1)
            #expect(counts.auditPending >= 1, "the report's audit record waits for the sealer, which is not running")
        }
    }
}
