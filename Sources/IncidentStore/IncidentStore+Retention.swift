import Foundation
import IncidentCore
import Postgres

/// How long closed incidents keep their personal data: per playbook, else the default.
public struct RetentionPolicy: Sendable, Equatable {
    public var defaultDays: Int?
    public var playbookDays: [String: Int]

    public init(defaultDays: Int?, playbookDays: [String: Int]) {
        self.defaultDays = defaultDays
        self.playbookDays = playbookDays
    }

    public var isEmpty: Bool { defaultDays == nil && playbookDays.isEmpty }
}

extension IncidentStore {
    /// Removes personal data from closed incidents past retention and not on legal hold,
    /// keeping their skeleton: dates, phases, severity, categories, counts, jurisdictions,
    /// tasks and their times, decisions without reasons, the notification ledger. Each purge
    /// is audited. With `dryRun`, only lists what would go. Idempotent: a purged incident is
    /// not purged again.
    public func purge(
        policy: RetentionPolicy,
        dryRun: Bool,
        audit: AuditRecord,
        limit: Int = 1000
    ) async throws -> [PurgeCandidate] {
        guard !policy.isEmpty else { return [] }
        let days = try PostgresJSON(encoding: policy.playbookDays)
        let fallback = policy.defaultDays
        return try await pool.transaction { connection in
            let rows = try connection.query(
                """
                SELECT i.id, i.reference, i.closed_at, i.playbook_name, r.days
                FROM incidents i
                CROSS JOIN LATERAL (SELECT coalesce((\(days)::jsonb ->> i.playbook_name)::int, \(fallback)::int) AS days) r
                WHERE i.closed_at IS NOT NULL AND i.purged_at IS NULL AND NOT i.legal_hold AND i.phase = 'closed'
                  AND r.days IS NOT NULL AND i.closed_at < now() - make_interval(days => r.days)
                ORDER BY i.closed_at LIMIT \(limit)
                FOR UPDATE OF i SKIP LOCKED
                """
            )
            var purged: [PurgeCandidate] = []
            for row in rows {
                let id = try row.decode(Int64.self, "id")
                let candidate = PurgeCandidate(
                    reference: try row.decodeEnum(IncidentReference.self, "reference"),
                    closed: try row.decode(Date.self, "closed_at"),
                    playbook: try row.decode(String?.self, "playbook_name"),
                    retentionDays: try row.decode(Int.self, "days")
                )
                purged.append(candidate)
                if dryRun { continue }
                try connection.query(
                    """
                    UPDATE incidents SET title = 'Purged incident', description = '', reporter_name = '[purged]',
                        facts = (SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(facts) WHERE NOT value ? 'text'),
                        resolution = CASE WHEN resolution IS NULL THEN NULL ELSE \(SealedText.purged) END,
                        lessons_learned = CASE WHEN lessons_learned IS NULL THEN NULL ELSE \(SealedText.purged) END,
                        purged_at = now()
                    WHERE id = \(id)
                    """
                )
                try connection.query("UPDATE events SET data = data - 'text' - 'title' WHERE incident_id = \(id)")
                try connection.query("UPDATE decisions SET reason = \(SealedText.purged) WHERE incident_id = \(id)")
                try connection.query(
                    "UPDATE tasks SET reason = \(SealedText.purged) WHERE incident_id = \(id) AND reason IS NOT NULL"
                )
                try connection.query("UPDATE clock_pauses SET reason = \(SealedText.purged) WHERE incident_id = \(id)")
                try connection.query(
                    "UPDATE notifications SET late_reason = \(SealedText.purged) WHERE incident_id = \(id) AND late_reason IS NOT NULL"
                )
                // A sent notice's text names what happened to people: it goes; its digest stays.
                try connection.query(
                    """
                    UPDATE notifications SET notice_text = \(SealedText.purged),
                        notice_deferred = CASE WHEN notice_deferred IS NULL THEN NULL ELSE \(SealedText.purged) END
                    WHERE incident_id = \(id) AND notice_text IS NOT NULL
                    """
                )
                // Evidence content goes; its manifest (name, size, hash, dates) stays.
                try connection.query(
                    "DELETE FROM evidence_chunks WHERE evidence_id IN (SELECT id FROM evidence WHERE incident_id = \(id))"
                )
                try connection.query("DELETE FROM evidence WHERE incident_id = \(id) AND stored_at IS NULL")
                try connection.query(
                    """
                    UPDATE evidence SET purged_at = now(),
                        description = CASE WHEN description IS NULL THEN NULL ELSE \(SealedText.purged) END
                    WHERE incident_id = \(id)
                    """
                )
                try connection.query("UPDATE hook_deliveries SET payload = '{}' WHERE incident_id = \(id)")
                try connection.query(
                    "UPDATE hook_attempts SET output = '' WHERE delivery_id IN (SELECT id FROM hook_deliveries WHERE incident_id = \(id))"
                )
                var record = audit
                record.incident = candidate.reference
                record.detail = "personal data purged after \(candidate.retentionDays) days' retention"
                try connection.query(record.insert)
            }
            if dryRun || purged.isEmpty {
                var record = audit
                record.detail = dryRun ? "dry run: \(purged.count) incidents past retention" : "nothing past retention"
                try connection.query(record.insert)
            }
            return purged
        }
    }

    /// Places or lifts a legal hold and returns the incident; nil when there is no such
    /// incident. Audited.
    @discardableResult
    public func setLegalHold(
        _ reference: IncidentReference,
        hold: Bool,
        reason: String?,
        audit: AuditRecord
    ) async throws -> Incident? {
        try await pool.transaction { connection in
            let rows = try connection.query(
                """
                UPDATE incidents SET legal_hold = \(hold), legal_hold_reason = NULL
                WHERE reference = \(reference.rawValue) RETURNING id, \(unsafeSQL: Self.incidentColumns)
                """
            )
            var record = audit
            record.incident = reference
            record.outcome = rows.isEmpty ? .notFound : .ok
            record.detail = hold ? "legal hold placed" : "legal hold lifted"
            try connection.query(record.insert)
            if let row = rows.first {
                // Why it is held may name people (a claimant, a court case): sealed like the rest.
                if hold, let reason {
                    let sealed = SealedText.legalHoldReason.seal(
                        reason,
                        incident: try row.decode(UUID.self, "uid"),
                        cipher: cipher
                    )
                    try connection.query(
                        "UPDATE incidents SET legal_hold_reason = \(sealed) WHERE id = \(try row.decode(Int64.self, "id"))"
                    )
                }
                try connection.query(
                    """
                    INSERT INTO events (incident_id, kind, actor_uid, actor_name, data)
                    VALUES (\(try row.decode(Int64.self, "id")), \((hold ? IncidentEvent.Kind.legalHoldPlaced : .legalHoldLifted).rawValue),
                            \(Int64(audit.caller.uid)), \(audit.caller.userName), '{}')
                    """
                )
            }
            return try rows.first.map { try Incident(row: $0, cipher: cipher) }
        }
    }

    /// Claims today's run of a daily maintenance task for `daemon`; false if another daemon
    /// (or this one) already ran it today.
    public func claimDailyRun(_ task: String, daemon: String) async throws -> Bool {
        try await pool.transaction { connection in
            !(try connection.query(
                """
                INSERT INTO maintenance_runs (task, day, daemon) VALUES (\(task), current_date, \(daemon))
                ON CONFLICT (task, day) DO NOTHING RETURNING task
                """
            ).isEmpty)
        }
    }
}
