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

    /// Seals what is committed (waiting for another daemon's sealer), then recomputes the whole
    /// chain here, outside PostgreSQL, from the records' raw columns: against every seal, the
    /// stored checkpoints, and `checkpoints` from elsewhere (the daemon's own last head, one an
    /// auditor brought), each of which must be signed by `key`. The call is audited.
    public func verify(
        checkpoints extra: [AuditCheckpoint] = [],
        key: AuditSigningKey,
        audit: AuditRecord
    ) async throws -> AuditVerification {
        try await seal(wait: true)
        var verifier = AuditChainVerifier(checkpoints: try await checkpoints() + extra, key: key)
        let (pending, unqueued) = try await walkChain(&verifier)
        var verification = AuditVerification(verified: verifier.verified, pending: pending, broken: verifier.finish())
        if verification.broken == nil, let seq = unqueued {
            verification.broken = .init(
                chainPosition: nil,
                seq: seq,
                reason: "record \(seq) is neither sealed nor waiting to be"
            )
        }
        verification.checkpoints = verifier.checkpointsVerified
        verification.lastCheckpoint = verifier.lastValidCheckpoint
        var record = audit
        record.outcome = verification.broken == nil ? .ok : .failed
        record.detail =
            verification.broken.map { "broken at seq \($0.seq ?? 0)" } ?? "verified \(verification.verified)"
        let insert = record.insert
        try await pool.transaction { connection in try connection.query(insert) }
        return verification
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

// MARK: Signed checkpoints and the chain outside the database

extension AuditStore {
    /// The chain's head: its last seal's position and hash; nil while nothing is sealed.
    public func head() async throws -> (position: Int64, hash: [UInt8])? {
        try await pool.withConnection { connection in
            guard
                let row = try connection.query(
                    "SELECT chain_position, hash FROM audit_seal ORDER BY chain_position DESC LIMIT 1"
                ).first
            else { return nil }
            return (try row.decode(Int64.self, "chain_position"), try row.decode(PostgresBytes.self, "hash").bytes)
        }
    }

    /// The newest stored checkpoint.
    public func latestCheckpoint() async throws -> AuditCheckpoint? {
        try await checkpoints(latestOnly: true).first
    }

    /// Stores a signed checkpoint (append-only in the database; a position is signed once).
    public func store(_ checkpoint: AuditCheckpoint) async throws {
        try await pool.transaction { connection in
            try connection.query(
                """
                INSERT INTO audit_checkpoints (chain_position, hash, signed_at, key_id, signature)
                VALUES (\(checkpoint.chainPosition), decode(\(checkpoint.hash), 'hex'), \(checkpoint.signedAt), \(checkpoint.keyID),
                        decode(\(checkpoint.signature), 'base64'))
                ON CONFLICT (chain_position) DO NOTHING
                """
            )
        }
    }

    /// Every stored checkpoint, oldest first (or only the newest).
    public func checkpoints(latestOnly: Bool = false) async throws -> [AuditCheckpoint] {
        try await pool.withConnection { connection in
            let limit: PostgresQuery = latestOnly ? "ORDER BY chain_position DESC LIMIT 1" : "ORDER BY chain_position"
            return try connection.query(
                "SELECT chain_position, encode(hash, 'hex') AS hash, signed_at, key_id, signature FROM audit_checkpoints \(limit)"
            ).map { row throws(PostgresError) in
                AuditCheckpoint(
                    chainPosition: try row.decode(Int64.self, "chain_position"),
                    hash: try row.decode(String.self, "hash"),
                    signedAt: try row.decode(Date.self, "signed_at"),
                    keyID: try row.decode(String.self, "key_id"),
                    signature: Data(try row.decode(PostgresBytes.self, "signature").bytes).base64EncodedString()
                )
            }
        }
    }

    /// Feeds `verifier` every seal with its record's raw columns (nil when the record is gone),
    /// in chain order and in batches, so memory stays flat. Also answers how many records
    /// await sealing and the first committed record neither sealed nor queued.
    func walkChain(
        _ verifier: inout AuditChainVerifier,
        batch: Int = 10_000
    ) async throws
        -> (pending: Int64, unqueued: Int64?)
    {
        var after: Int64 = 0
        while !verifier.isBroken {
            let start = after
            let links = try await pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT s.chain_position, s.hash, s.seq, a.seq IS NOT NULL AS present,
                           (extract(epoch FROM a.at) * 1000000)::bigint AS at_us,
                           a.uid, a.user_name, a.pid, a.action, a.incident_ref, a.outcome, a.detail
                    FROM audit_seal s LEFT JOIN audit_log a USING (seq)
                    WHERE s.chain_position > \(start) ORDER BY s.chain_position LIMIT \(batch)
                    """
                ).map { row throws(PostgresError) in
                    let seq = try row.decode(Int64.self, "seq")
                    return AuditChainVerifier.Link(
                        position: try row.decode(Int64.self, "chain_position"),
                        seq: seq,
                        sealHash: try row.decode(PostgresBytes.self, "hash").bytes,
                        record: try row.decode(Bool.self, "present")
                            ? AuditChain.Record(
                                seq: seq,
                                atMicroseconds: try row.decode(Int64.self, "at_us"),
                                uid: try row.decode(Int64.self, "uid"),
                                userName: try row.decode(String.self, "user_name"),
                                pid: try row.decode(Int32.self, "pid"),
                                action: try row.decode(String.self, "action"),
                                incidentReference: try row.decode(String?.self, "incident_ref"),
                                outcome: try row.decode(String.self, "outcome"),
                                detail: try row.decode(String.self, "detail")
                            ) : nil
                    )
                }
            }
            for link in links { verifier.consume(link) }
            guard let last = links.last, links.count == batch else { break }
            after = last.position
        }
        return try await pool.withConnection { connection in
            let pending = try connection.query("SELECT count(*) AS n FROM audit_pending").first!.decode(Int64.self, "n")
            let unqueued = try connection.query(
                """
                SELECT min(a.seq) AS seq FROM audit_log a
                WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.seq = a.seq)
                  AND NOT EXISTS (SELECT 1 FROM audit_pending p WHERE p.seq = a.seq)
                """
            ).first!.decode(Int64?.self, "seq")
            return (pending, unqueued)
        }
    }
}
