import Foundation
import IncidentCore
import Postgres

/// A delivery claimed by a dispatcher.
public struct ClaimedDelivery: Sendable, Equatable {
    public var id: UUID
    public var hook: String
    public var event: String
    public var incident: String?
    public var incidentID: Int64?
    /// The JSON the hook reads on standard input (`{"sealed": …}` when it carries personal data).
    public var payload: String
    /// This attempt's number, from 1.
    public var attempt: Int
    public var maxAttempts: Int
    public var createdAt: Date
}

/// The outbox's other side: claiming due deliveries under a lease, recording attempts,
/// listing and requeueing.
public struct HookStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Claims up to `limit` due deliveries, oldest first (pending and due, or running with an
    /// expired lease: their daemon died) for `daemon`, leasing them for `lease`. Those of the
    /// hooks in `skipping` (hooks that already hold their share of the running slots) wait.
    public func claim(
        limit: Int,
        daemon: String,
        lease: Duration,
        skipping: [String] = []
    ) async throws -> [ClaimedDelivery] {
        let leaseSeconds = Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18
        return try await pool.transaction { connection in
            try connection.query(
                """
                UPDATE hook_deliveries d SET state = 'running', attempts = d.attempts + 1, leased_by = \(daemon),
                    lease_until = now() + make_interval(secs => \(leaseSeconds))
                FROM (
                    SELECT id FROM hook_deliveries
                    WHERE ((state = 'pending' AND next_attempt_at <= now()) OR (state = 'running' AND lease_until < now()))
                      AND hook NOT IN (SELECT hook FROM disabled_hooks)
                      AND hook <> ALL(\(skipping))
                    ORDER BY next_attempt_at
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED
                ) due
                WHERE d.id = due.id
                RETURNING d.id, d.hook, d.event, d.payload, d.attempts, d.max_attempts, d.created_at, d.incident_id,
                          (SELECT reference FROM incidents WHERE id = d.incident_id) AS reference
                """
            ).map { row in
                ClaimedDelivery(
                    id: try row.decode(UUID.self, "id"),
                    hook: try row.decode(String.self, "hook"),
                    event: try row.decode(String.self, "event"),
                    incident: try row.decode(String?.self, "reference"),
                    incidentID: try row.decode(Int64?.self, "incident_id"),
                    payload: try row.decode(String.self, "payload"),
                    attempt: try row.decode(Int.self, "attempts"),
                    maxAttempts: try row.decode(Int.self, "max_attempts"),
                    createdAt: try row.decode(Date.self, "created_at")
                )
            }
        }
    }

    /// How an attempt ended.
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// Failed; retry after `retryAfter`, unless attempts are used up (then dead).
        case failed(error: String, retryAfter: Duration)
        /// The receiver asked never to be called again: this delivery is dead and the hook
        /// disabled, its other deliveries held until an admin enables it.
        case disableHook(reason: String)
    }

    /// Records an attempt and moves the delivery on; ignored if this daemon's lease was lost.
    public func finish(
        _ delivery: ClaimedDelivery,
        daemon: String,
        started: Date,
        outcome: Outcome,
        output: String
    ) async throws {
        try await pool.transaction { connection in
            let owned = try connection.query(
                "SELECT 1 FROM hook_deliveries WHERE id = \(delivery.id) AND leased_by = \(daemon) AND state = 'running' FOR UPDATE"
            )
            guard !owned.isEmpty else { return }
            let outcomeText: String
            switch outcome {
            case .delivered:
                outcomeText = "delivered"
                try connection.query(
                    """
                    UPDATE hook_deliveries SET state = 'delivered', delivered_at = now(), lease_until = NULL, last_error = NULL
                    WHERE id = \(delivery.id)
                    """
                )
            case .failed(let error, let retryAfter):
                let dead = delivery.attempt >= delivery.maxAttempts
                outcomeText = dead ? "dead: \(error)" : "failed: \(error)"
                let seconds = Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18
                try connection.query(
                    """
                    UPDATE hook_deliveries SET state = \(dead ? "dead" : "pending"), last_error = \(error), lease_until = NULL,
                        next_attempt_at = now() + make_interval(secs => \(seconds))
                    WHERE id = \(delivery.id)
                    """
                )
            case .disableHook(let reason):
                outcomeText = "dead: \(reason)"
                try connection.query(
                    """
                    UPDATE hook_deliveries SET state = 'dead', last_error = \(reason), lease_until = NULL
                    WHERE id = \(delivery.id)
                    """
                )
                try connection.query(
                    """
                    INSERT INTO disabled_hooks (hook, reason) VALUES (\(delivery.hook), \(reason))
                    ON CONFLICT (hook) DO NOTHING
                    """
                )
            }
            try connection.query(
                """
                INSERT INTO hook_attempts (delivery_id, attempt, daemon, started_at, finished_at, outcome, output)
                VALUES (\(delivery.id), \(delivery.attempt), \(daemon), \(started), now(), \(outcomeText), \(output))
                ON CONFLICT (delivery_id, attempt) DO NOTHING
                """
            )
        }
    }

    /// A delivered attempt, to record with others (`finishDelivered`).
    public struct Delivered: Sendable, Equatable {
        public var delivery: ClaimedDelivery
        public var started: Date
        public var output: String

        public init(_ delivery: ClaimedDelivery, started: Date, output: String) {
            self.delivery = delivery
            self.started = started
            self.output = output
        }
    }

    /// Records delivered attempts together, in one statement and one commit: what `finish`
    /// does for `.delivered`, for every one whose lease this daemon still holds.
    public func finishDelivered(_ attempts: [Delivered], daemon: String) async throws {
        guard !attempts.isEmpty else { return }
        let ids = attempts.map(\.delivery.id)
        let numbers = attempts.map { Int64($0.delivery.attempt) }
        let started = attempts.map(\.started)
        let outputs = attempts.map(\.output)
        try await pool.transaction { connection in
            try connection.query(
                """
                WITH done AS (
                    UPDATE hook_deliveries SET state = 'delivered', delivered_at = now(), lease_until = NULL,
                        last_error = NULL
                    WHERE id = ANY(\(ids)::uuid[]) AND leased_by = \(daemon) AND state = 'running'
                    RETURNING id
                )
                INSERT INTO hook_attempts (delivery_id, attempt, daemon, started_at, finished_at, outcome, output)
                SELECT a.id, a.attempt, \(daemon), a.started, now(), 'delivered', a.output
                FROM unnest(\(ids)::uuid[], \(numbers)::integer[], \(started)::timestamptz[], \(outputs)::text[])
                    AS a(id, attempt, started, output)
                JOIN done ON done.id = a.id
                ON CONFLICT (delivery_id, attempt) DO NOTHING
                """
            )
        }
    }

    public func list(state: String?, limit: Int, audit: AuditRecord) async throws -> [DeliveryInfo] {
        try await pool.transaction { connection in
            let condition: PostgresQuery = state.map { "d.state = \($0)" } ?? "true"
            let rows = try connection.query(
                """
                SELECT d.id, d.hook, d.event, i.reference, d.state, d.attempts, d.max_attempts, d.next_attempt_at,
                       d.last_error, d.created_at, d.delivered_at
                FROM hook_deliveries d LEFT JOIN incidents i ON i.id = d.incident_id
                WHERE \(condition) ORDER BY d.created_at DESC LIMIT \(limit)
                """
            )
            try connection.query(audit.insert)
            return try rows.map { row in
                let state = try row.decode(String.self, "state")
                return DeliveryInfo(
                    id: try row.decode(UUID.self, "id"),
                    hook: try row.decode(String.self, "hook"),
                    event: try row.decode(String.self, "event"),
                    incident: try row.decode(String?.self, "reference"),
                    state: state,
                    attempts: try row.decode(Int.self, "attempts"),
                    maxAttempts: try row.decode(Int.self, "max_attempts"),
                    nextAttempt: state == "pending" ? try row.decode(Date.self, "next_attempt_at") : nil,
                    lastError: try row.decode(String?.self, "last_error"),
                    createdAt: try row.decode(Date.self, "created_at"),
                    deliveredAt: try row.decode(Date?.self, "delivered_at")
                )
            }
        }
    }

    /// The hooks disabled by their receivers, oldest first.
    public func disabledHooks() async throws -> [DisabledHook] {
        try await pool.withConnection { connection in
            try connection.query("SELECT hook, reason, disabled_at FROM disabled_hooks ORDER BY disabled_at").map {
                row in
                DisabledHook(
                    name: try row.decode(String.self, "hook"),
                    reason: try row.decode(String.self, "reason"),
                    since: try row.decode(Date.self, "disabled_at")
                )
            }
        }
    }

    /// Enables a disabled hook again, releasing its held deliveries; false if it was not disabled.
    public func enable(hook: String, audit: AuditRecord) async throws -> Bool {
        try await pool.transaction { connection in
            let rows = try connection.query("DELETE FROM disabled_hooks WHERE hook = \(hook) RETURNING hook")
            var record = audit
            record.outcome = rows.isEmpty ? .notFound : .ok
            record.detail = "hook \(hook)"
            try connection.query(record.insert)
            return !rows.isEmpty
        }
    }

    /// Requeues a dead delivery for a fresh set of attempts; false if there is no such dead delivery.
    public func retry(_ id: UUID, audit: AuditRecord) async throws -> Bool {
        try await pool.transaction { connection in
            let rows = try connection.query(
                """
                UPDATE hook_deliveries SET state = 'pending', next_attempt_at = now(), max_attempts = attempts + max_attempts
                WHERE id = \(id) AND state = 'dead' RETURNING id
                """
            )
            var record = audit
            record.outcome = rows.isEmpty ? .notFound : .ok
            record.detail = "delivery \(id.uuidString.lowercased())"
            try connection.query(record.insert)
            return !rows.isEmpty
        }
    }
}
