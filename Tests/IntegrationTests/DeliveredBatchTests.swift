import Foundation
import IncidentStore
import Postgres
import Synchronization
import TestSupport
import Testing

@testable import IncidentDaemon

/// Delivered attempts are written behind the hooks: a hook's slot frees when it has run, the
/// attempt is committed with the others that finished meanwhile, a full backlog holds the
/// hooks back, and a stopping dispatcher waits for every write. The database is held still by
/// a transaction that locks the deliveries, so "not yet written" is a fact, not a race.
@Suite(.timeLimit(.minutes(5))) struct DeliveredBatchTests {
    static func claimed(_ pool: PostgresPool, _ count: Int) async throws -> [ClaimedDelivery] {
        try await pool.transaction { connection in
            try connection.query(
                """
                INSERT INTO hook_deliveries (hook, event, payload, max_attempts)
                SELECT 'h', 'incident.reported', '{}'::jsonb, 3 FROM generate_series(1, \(count))
                """
            )
        }
        return try await HookStore(pool: pool).claim(limit: count, daemon: "a", lease: .seconds(600))
    }

    static func delivered(_ database: TestDatabase) throws -> Int64 {
        let connection = try database.connect()
        defer { connection.close() }
        return try connection.query("SELECT count(*) AS n FROM hook_deliveries WHERE state = 'delivered'")
            .first!.decode(Int64.self, "n")
    }

    /// Locks every delivery row until the returned connection commits.
    static func lockDeliveries(_ database: TestDatabase) throws -> PostgresConnection {
        let blocker = try database.connect()
        _ = try blocker.execute("BEGIN; SELECT id FROM hook_deliveries FOR UPDATE")
        return blocker
    }

    @Test func aHookFreesItsSlotBeforeItsAttemptIsCommittedAndDrainWaitsForTheWrite() async throws {
        try await withMigratedPool { pool, database in
            let deliveries = try await Self.claimed(pool, 3)
            let batch = DeliveredBatch(store: HookStore(pool: pool), daemonID: "a", logger: testLogger, backlog: 8)
            let blocker = try Self.lockDeliveries(database)
            defer { blocker.close() }
            // Each returns although the database cannot take the write yet.
            for delivery in deliveries {
                await batch.record(HookStore.Delivered(delivery, started: Date(), output: "HTTP 204"))
            }
            #expect(try Self.delivered(database) == 0)
            let drained = Flag()
            let drain = Task {
                await batch.drain()
                drained.set()
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!drained.isSet, "drain returned while the write was still blocked")
            _ = try blocker.execute("COMMIT")
            await drain.value
            #expect(try Self.delivered(database) == 3, "every attempt written by the time drain returns")
            // Nothing left: drain returns at once.
            await batch.drain()
        }
    }

    @Test func aFullBacklogHoldsTheNextHookUntilABatchIsWritten() async throws {
        try await withMigratedPool { pool, database in
            let deliveries = try await Self.claimed(pool, 4)
            let batch = DeliveredBatch(store: HookStore(pool: pool), daemonID: "a", logger: testLogger, backlog: 2)
            let blocker = try Self.lockDeliveries(database)
            defer { blocker.close() }
            // The first is being written (blocked); two more wait within the backlog.
            for delivery in deliveries.prefix(3) {
                await batch.record(HookStore.Delivered(delivery, started: Date(), output: ""))
            }
            let returned = Flag()
            let fourth = Task {
                await batch.record(HookStore.Delivered(deliveries[3], started: Date(), output: ""))
                returned.set()
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!returned.isSet, "a fourth attempt past a backlog of two did not wait")
            _ = try blocker.execute("COMMIT")
            await fourth.value
            await batch.drain()
            #expect(try Self.delivered(database) == 4)
        }
    }
}

/// Set once, read from any task.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
