import Foundation
import IncidentCore
import Postgres

/// The audit trail: sealing records into the hash chain, verifying it, and querying it.
/// The chain itself is kept by functions in the database (`db/migrations/0002_audit_chain.sql`).
public struct AuditStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Seals committed records into the chain, `batch` per transaction, until none are left.
    /// Returns how many it sealed; 0 when another daemon holds the sealer's lock, unless
    /// `wait`, which waits for that daemon and then seals what is left.
    @discardableResult
    public func seal(batch: Int = 10_000, wait: Bool = false) async throws -> Int {
        var total = 0
        while true {
            let sealed = try await pool.transaction { connection in
                try connection.query("SELECT audit_seal(\(batch), \(wait)) AS n").first!.decode(Int.self, "n")
            }
            total += sealed
            if sealed < batch { return total }
        }
    }

    /// Seals what is committed (waiting for another daemon's sealer), then walks the whole chain.
    public func verify(audit: AuditRecord) async throws -> AuditVerification {
        try await seal(wait: true)
        return try await pool.transaction { connection in
            let row = try connection.query("SELECT * FROM audit_verify()").first!
            let pending = try connection.query("SELECT count(*) AS n FROM audit_pending").first!.decode(Int64.self, "n")
            let verification = AuditVerification(
                verified: try row.decode(Int64.self, "verified"),
                pending: pending,
                broken: try row.decode(String?.self, "reason").map { reason throws(PostgresError) in
                    AuditVerification.Break(
                        chainPosition: try row.decode(Int64?.self, "broken_position"),
                        seq: try row.decode(Int64?.self, "broken_seq"),
                        reason: reason
                    )
                }
            )
            var record = audit
            record.outcome = verification.broken == nil ? .ok : .failed
            record.detail = verification.broken.map { "broken at seq \($0.seq ?? 0)" } ?? "verified \(verification.verified)"
            try connection.query(record.insert)
            return verification
        }
    }

    /// Audit records matching `filter`, oldest first.
    public func query(_ filter: AuditFilter, audit: AuditRecord) async throws -> [AuditEntry] {
        try await pool.transaction { connection in
            var conditions: [PostgresQuery] = []
            if let incident = filter.incident { conditions.append("a.incident_ref = \(incident.rawValue)") }
            if let user = filter.userName { conditions.append("a.user_name = \(user)") }
            if let action = filter.action { conditions.append("a.action = \(action)") }
            if let outcome = filter.outcome { conditions.append("a.outcome = \(outcome)") }
            if let since = filter.since { conditions.append("a.at >= \(since)") }
            if let until = filter.until { conditions.append("a.at < \(until)") }
            if let after = filter.after { conditions.append("a.seq > \(after)") }
            var query: PostgresQuery = """
                SELECT a.seq, a.at, a.uid, a.user_name, a.pid, a.action, a.incident_ref, a.outcome, a.detail,
                       s.chain_position
                FROM audit_log a LEFT JOIN audit_seal s USING (seq)
                """
            for (index, condition) in conditions.enumerated() {
                query = "\(query)\(unsafeSQL: index == 0 ? " WHERE " : " AND ")\(condition)"
            }
            query = "\(query) ORDER BY a.seq LIMIT \(filter.limit)"
            let rows = try connection.query(query)
            try connection.query(audit.insert)
            return try rows.map { row throws(PostgresError) in
                AuditEntry(
                    seq: try row.decode(Int64.self, "seq"),
                    at: try row.decode(Date.self, "at"),
                    uid: try row.decode(UInt32.self, "uid"),
                    userName: try row.decode(String.self, "user_name"),
                    pid: try row.decode(Int32.self, "pid"),
                    action: try row.decode(String.self, "action"),
                    incident: try row.decode(String?.self, "incident_ref").flatMap(IncidentReference.init(rawValue:)),
                    outcome: try row.decode(String.self, "outcome"),
                    detail: try row.decode(String.self, "detail"),
                    chainPosition: try row.decode(Int64?.self, "chain_position")
                )
            }
        }
    }
}
