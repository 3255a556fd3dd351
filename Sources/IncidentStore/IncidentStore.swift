import Foundation
import IncidentCore
import Logging
import Postgres
import Synchronization

/// Reads and writes incidents. Every method is one PostgreSQL transaction that also writes
/// the call's audit record, so a change without its record cannot exist.
public struct IncidentStore: Sendable {
    let pool: PostgresPool
    /// Turns events into hook deliveries in the same transaction; nil queues none.
    let outbox: Outbox?
    /// Seals sensitive text before it reaches the database, and opens it on the way back.
    let cipher: CipherBox
    /// Playbook versions known to be stored, so a report does not send a playbook's source again.
    let storedPlaybooks = StoredPlaybooks()

    /// The most bytes callers may send to one incident (notes, captures, reasons, updates); nil: no limit.
    let maximumIncidentBytes: Int?

    public init(
        pool: PostgresPool,
        outbox: Outbox? = nil,
        cipher: CipherBox = CipherBox(nil),
        maximumIncidentBytes: Int? = nil
    ) {
        self.maximumIncidentBytes = maximumIncidentBytes
        self.pool = pool
        self.outbox = outbox
        self.cipher = cipher
    }

    /// The outcome of filing a report.
    public struct ReportResult: Sendable {
        public var incident: Incident
        /// False when the idempotency key matched an incident filed before, or it was folded.
        public var created: Bool
        /// True when the report was folded into the open incident with its dedup key.
        public var folded: Bool = false
    }

    /// What a dedup key found.
    enum Fold {
        case folded(ReportResult, queued: Int)
        /// No open incident of this reporter has the key: file a new one with it.
        case noOpenIncident
        /// This reporter's open incident with the key is hidden from them: file a new one without it.
        case hidden
    }

    /// Files a validated report for `reporter`, or returns the incident its idempotency key filed.
    /// A new incident starts its workflow, in the same transaction, under the playbook of
    /// `playbooks` that ``Playbook/choose(for:from:)`` picks for it (none: no workflow).
    ///
    /// A dedup key folds the report only into an open incident the same reporter filed with that
    /// key and may still read (`scope`); when that incident is hidden from them now (restricted
    /// since), the report is filed as a new incident without the key, so nothing of the hidden
    /// one reaches the reply. A retried idempotency key returns its incident as it is: the
    /// caller replies with the reporter's view of it, or — when it is hidden now — with no more
    /// than the report itself.
    public func report(
        _ draft: ReportDraft,
        by reporter: Caller,
        visibleTo scope: VisibilityScope = .all,
        reported: Date = Date(),
        start: WorkflowStart? = nil
    ) async throws -> ReportResult {
        let outbox = self.outbox
        let storedPlaybooks = self.storedPlaybooks
        let result = try await pool.transaction { connection -> (ReportResult, Int, startedUnder: String?) in
            var draft = draft
            if let dedupKey = draft.dedupKey {
                // Reports with one key queue here, so two first reports cannot both file.
                try connection.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended(\("incidentd.dedup:\(reporter.uid):" + dedupKey), 0))"
                )
                switch try self.fold(
                    connection,
                    draft,
                    dedupKey: dedupKey,
                    by: reporter,
                    visibleTo: scope,
                    outbox: outbox
                ) {
                case .folded(let result, let queued): return (result, queued, nil)
                case .noOpenIncident: break
                case .hidden: draft.dedupKey = nil
                }
            }
            if let filed = try self.insertReport(
                connection,
                draft,
                by: reporter,
                reported: reported,
                start: start,
                outbox: outbox,
                playbookStored: { storedPlaybooks.contains($0) }
            ) {
                return filed
            }
            return try self.retriedReport(connection, draft, by: reporter)
        }
        // Only once the transaction committed is the playbook version surely stored.
        if let digest = result.startedUnder { storedPlaybooks.insert(digest) }
        if result.1 > 0 { outbox?.wake() }
        return result.0
    }

    /// Files the report as a new incident, its first event and audit record in one statement,
    /// and writes the start of its workflow; nil when its idempotency key filed an incident before.
    private func insertReport(
        _ connection: PostgresConnection,
        _ draft: ReportDraft,
        by reporter: Caller,
        reported: Date,
        start: WorkflowStart?,
        outbox: Outbox?,
        playbookStored: (String) -> Bool
    ) throws -> (ReportResult, Int, startedUnder: String?)? {
        let aware = draft.aware ?? reported
        let uid = UUID()
        let sealedDescription = cipher.seal(
            draft.description,
            context: FieldCipher.context(incident: uid, field: "description")
        )
        let rows = try connection.query(
            """
            WITH inserted AS (
                INSERT INTO incidents (
                    reference, title, description, severity, category, data_categories,
                    people_affected, records_affected, jurisdictions, reporter_uid, reporter_name,
                    reported_at, phase_entered_at, aware_at, discovered_at, idempotency_key, dedup_key, uid)
                VALUES (
                    'INC-' || to_char(now() AT TIME ZONE 'UTC', 'YYYY') || '-'
                        || lpad(nextval('incident_number')::text, 6, '0'),
                    \(draft.title), \(sealedDescription), \(draft.severity.rawValue),
                    \(draft.category?.rawValue), \(draft.dataCategories.map(\.rawValue)),
                    \(draft.peopleAffected), \(draft.recordsAffected),
                    \(draft.jurisdictions.map(\.rawValue)), \(Int64(reporter.uid)), \(reporter.userName),
                    \(reported), \(reported), \(aware), \(draft.discovered), \(draft.idempotencyKey), \(draft.dedupKey),
                    \(uid))
                ON CONFLICT (reporter_uid, idempotency_key) DO NOTHING
                RETURNING *
            ), event AS (
                INSERT INTO events (incident_id, kind, actor_uid, actor_name)
                SELECT id, \(IncidentEvent.Kind.incidentReported.rawValue)::text, reporter_uid, reporter_name FROM inserted
            ), audit AS (
                INSERT INTO audit_log (uid, user_name, pid, action, incident_ref, outcome)
                SELECT reporter_uid, reporter_name, \(reporter.pid), 'Report', reference, 'created'
                FROM inserted
            )
            SELECT id, \(unsafeSQL: Self.incidentColumns) FROM inserted
            """
        )
        if let row = rows.first {
            var incident = try Incident(row: row, cipher: cipher, description: draft.description)
            let id = try row.decode(Int64.self, "id")
            var queued = 0
            if let start {
                queued += try Self.startWorkflow(
                    connection,
                    incidentID: id,
                    incident: &incident,
                    start,
                    actor: reporter,
                    outbox: outbox,
                    cipher: cipher,
                    playbookStored: playbookStored(start.playbook.digest)
                )
            }
            queued +=
                try outbox?.enqueue(
                    connection,
                    incidentID: id,
                    events: [IncidentEvent(.incidentReported)],
                    incident: incident,
                    playbook: start?.playbook,
                    actor: reporter.userName
                ) ?? 0
            return (ReportResult(incident: incident, created: true), queued, start?.playbook.digest)
        }
        return nil
    }

    /// The incident a retried idempotency key filed, with the retry audited as a duplicate.
    private func retriedReport(
        _ connection: PostgresConnection,
        _ draft: ReportDraft,
        by reporter: Caller
    ) throws -> (ReportResult, Int, startedUnder: String?) {
        // The key was used before (perhaps by a retry of this very call).
        let existing = try connection.query(
            """
            SELECT \(unsafeSQL: Self.incidentColumns) FROM incidents
            WHERE reporter_uid = \(Int64(reporter.uid)) AND idempotency_key = \(draft.idempotencyKey)
            """
        )
        guard let row = existing.first else {
            throw PostgresError(code: .server, serverMessage: "idempotency conflict without a row")
        }
        let incident = try Incident(row: row, cipher: cipher)
        try connection.query(
            AuditRecord(caller: reporter, action: "Report", incident: incident.reference, outcome: .duplicate)
                .insert
        )
        return (ReportResult(incident: incident, created: false), 0, nil)
    }

    /// Folds a report into the open incident with its dedup key: counts it, keeps its facts as
    /// a `report.folded` event, and audits it — only into one this reporter filed with the key and
    /// may still read (`scope`). `.noOpenIncident` also when the report's idempotency key filed
    /// an incident: the ordinary path answers that retry.
    func fold(
        _ connection: PostgresConnection,
        _ draft: ReportDraft,
        dedupKey: String,
        by reporter: Caller,
        visibleTo scope: VisibilityScope,
        outbox: Outbox?
    ) throws -> Fold {
        if let key = draft.idempotencyKey {
            let filed = try connection.query(
                "SELECT 1 FROM incidents WHERE reporter_uid = \(Int64(reporter.uid)) AND idempotency_key = \(key)"
            )
            if !filed.isEmpty { return .noOpenIncident }
            let retried = try connection.query(
                """
                SELECT \(unsafeSQL: Self.qualifiedIncidentColumns) FROM folded_reports f JOIN incidents i ON i.id = f.incident_id
                WHERE f.reporter_uid = \(Int64(reporter.uid)) AND f.idempotency_key = \(key)
                """
            )
            if let row = retried.first {
                let incident = try Incident(row: row, cipher: cipher)
                try connection.query(
                    AuditRecord(caller: reporter, action: "Report", incident: incident.reference, outcome: .duplicate)
                        .insert
                )
                return .folded(ReportResult(incident: incident, created: false, folded: true), queued: 0)
            }
        }
        var visibility: PostgresQuery = ""
        if let condition = Self.condition(for: scope, alias: "") { visibility = "AND \(condition)" }
        let rows = try connection.query(
            """
            UPDATE incidents SET report_count = report_count + 1, last_reported_at = now()
            WHERE reporter_uid = \(Int64(reporter.uid)) AND dedup_key = \(dedupKey) AND phase <> 'closed' \(visibility)
            RETURNING id, \(unsafeSQL: Self.incidentColumns)
            """
        )
        guard let row = rows.first else {
            let hidden = try connection.query(
                """
                SELECT 1 FROM incidents
                WHERE reporter_uid = \(Int64(reporter.uid)) AND dedup_key = \(dedupKey) AND phase <> 'closed'
                """
            )
            return hidden.isEmpty ? .noOpenIncident : .hidden
        }
        let incident = try Incident(row: row, cipher: cipher)
        let id = try row.decode(Int64.self, "id")
        var data = ["count": String(incident.reportCount), "title": draft.title, "severity": draft.severity.rawValue]
        if let people = draft.peopleAffected { data["peopleAffected"] = String(people) }
        if let records = draft.recordsAffected { data["recordsAffected"] = String(records) }
        try connection.query(
            """
            INSERT INTO events (incident_id, kind, actor_uid, actor_name, data)
            VALUES (\(id), 'report.folded', \(Int64(reporter.uid)), \(reporter.userName), \(try PostgresJSON(encoding: data)))
            """
        )
        if let key = draft.idempotencyKey {
            try connection.query(
                "INSERT INTO folded_reports (reporter_uid, idempotency_key, incident_id) VALUES (\(Int64(reporter.uid)), \(key), \(id))"
            )
        }
        try connection.query(
            AuditRecord(caller: reporter, action: "Report", incident: incident.reference, outcome: .folded).insert
        )
        let queued =
            try outbox?.enqueue(
                connection,
                incidentID: id,
                events: [IncidentEvent(.reportFolded, ["count": String(incident.reportCount)])],
                incident: incident,
                playbook: nil,
                actor: reporter.userName
            ) ?? 0
        return .folded(ReportResult(incident: incident, created: false, folded: true), queued: queued)
    }

    /// The incident with `reference`, if it exists and `access` allows it; the read is
    /// audited either way, with its outcome (ok, not-found or denied), in the same transaction.
    public func incident(
        _ reference: IncidentReference,
        audit: AuditRecord,
        access: ReadAccess
    ) async throws -> (Incident, AccessDecision)? {
        try await pool.transaction { connection in
            let rows = try connection.query(
                "SELECT \(unsafeSQL: Self.incidentColumns) FROM incidents WHERE reference = \(reference.rawValue)"
            )
            var record = audit
            record.incident = reference
            let found = try rows.first.map { try Incident(row: $0, cipher: cipher) }
            let decision = found.map(access.decide)
            switch decision {
            case nil: record.outcome = .notFound
            case .deny(let reason)?:
                record.outcome = .denied
                record.detail = reason
            case .allow?: break
            }
            try connection.query(record.insert)
            guard let found, let decision else { return nil }
            return (found, decision)
        }
    }

    /// A page of incidents, in the filter's order.
    public func list(
        _ filter: IncidentFilter,
        visibleTo scope: VisibilityScope,
        audit: AuditRecord
    ) async throws
        -> [IncidentSummary]
    {
        try await pool.transaction { connection in
            var conditions = Self.conditions(for: filter, alias: "i.")
            if let visibility = Self.condition(for: scope, alias: "i.") { conditions.append(visibility) }
            // The sort key, also the keyset cursor: the page after `after` starts past its key.
            let key: String
            let order: String
            switch filter.sort {
            case .newest:
                key = "i.reported_at, i.id"
                order = "i.reported_at DESC, i.id DESC"
            case .oldest:
                key = "i.reported_at, i.id"
                order = "i.reported_at, i.id"
            case .severity:
                key = "\(Self.severityRank("i.")), i.reported_at, i.id"
                order = "\(Self.severityRank("i.")) DESC, i.reported_at DESC, i.id DESC"
            }
            if let after = filter.after {
                // The cursor is looked up under the same visibility: a reference the caller may
                // not see behaves like one that does not exist (an empty page), so paging by a
                // hidden incident's sort key reveals nothing about it.
                let comparison = filter.sort == .oldest ? ">" : "<"
                var cursor: PostgresQuery =
                    "SELECT \(unsafeSQL: key) FROM incidents i WHERE i.reference = \(after.rawValue)"
                if let visibility = Self.condition(for: scope, alias: "i.") { cursor = "\(cursor) AND \(visibility)" }
                conditions.append("(\(unsafeSQL: key)) \(unsafeSQL: comparison) (\(cursor))")
            }
            var query: PostgresQuery =
                "SELECT i.reference, i.title, i.phase, i.severity, i.reported_at, i.assignee FROM incidents i"
            for (index, condition) in conditions.enumerated() {
                query = "\(query)\(unsafeSQL: index == 0 ? " WHERE " : " AND ")\(condition)"
            }
            query = "\(query) ORDER BY \(unsafeSQL: order) LIMIT \(filter.limit)"
            let rows = try connection.query(query)
            try connection.query(audit.insert)
            return try rows.map(IncidentSummary.init(row:))
        }
    }

    /// Severity as a number, most severe highest, for sorting.
    static func severityRank(_ alias: String) -> String {
        "CASE \(alias)severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END"
    }

    /// The SQL form of a filter's conditions (paging aside), over `incidents` as `alias`.
    static func conditions(for filter: IncidentFilter, alias: String) -> [PostgresQuery] {
        var conditions: [PostgresQuery] = []
        if !filter.phases.isEmpty {
            conditions.append("\(unsafeSQL: alias)phase = ANY(\(filter.phases.map(\.rawValue)))")
        } else if filter.openOnly {
            conditions.append("\(unsafeSQL: alias)phase <> 'closed'")
        }
        if !filter.severities.isEmpty {
            conditions.append("\(unsafeSQL: alias)severity = ANY(\(filter.severities.map(\.rawValue)))")
        }
        if let since = filter.since { conditions.append("\(unsafeSQL: alias)reported_at >= \(since)") }
        if let assignee = filter.assignee { conditions.append("\(unsafeSQL: alias)assignee = \(assignee)") }
        if let playbook = filter.playbook { conditions.append("\(unsafeSQL: alias)playbook_name = \(playbook)") }
        if let jurisdiction = filter.jurisdiction {
            conditions.append("\(unsafeSQL: alias)jurisdictions @> ARRAY[\(jurisdiction.rawValue)]::text[]")
        }
        if let text = filter.text {
            let pattern =
                "%"
                + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            conditions.append("\(unsafeSQL: alias)title ILIKE \(pattern)")
        }
        if filter.overdue {
            conditions.append(
                "EXISTS (SELECT 1 FROM tasks t WHERE t.incident_id = \(unsafeSQL: alias)id AND t.status IN ('open', 'possibly_owed') AND t.due_at < now())"
            )
        }
        return conditions
    }

    /// Open incidents by phase and severity, and the oldest one.
    /// Open incidents by phase and severity, and the oldest open one, as `scope` sees them.
    ///
    /// The counts come from `open_incident_counts` (kept by a trigger) wherever the scope
    /// allows: all of them for those who see everything; the unrestricted ones, plus the
    /// restricted ones assigned to them (an index lookup), for investigators. Only a scope
    /// without either — a reporter's own reports — is counted row by row, through its index.
    public func status(visibleTo scope: VisibilityScope, audit: AuditRecord) async throws -> StatusSummary {
        try await pool.transaction { connection in
            var queries: [PostgresQuery] = []
            if scope.everything {
                queries.append(
                    "SELECT phase, severity, sum(n)::bigint AS n FROM open_incident_counts GROUP BY phase, severity"
                )
            } else if scope.unrestricted {
                queries.append(
                    """
                    SELECT phase, severity, sum(n)::bigint AS n FROM open_incident_counts WHERE NOT restricted
                    GROUP BY phase, severity
                    """
                )
                if let name = scope.assignedTo {
                    queries.append(
                        """
                        SELECT phase, severity, count(*) AS n FROM incidents
                        WHERE assignee = \(name) AND restricted AND phase <> 'closed' GROUP BY phase, severity
                        """
                    )
                }
            } else {
                let visible = Self.condition(for: scope) ?? "true"
                queries.append(
                    "SELECT phase, severity, count(*) AS n FROM incidents WHERE phase <> 'closed' AND \(visible) GROUP BY phase, severity"
                )
            }
            var byPhase: [Phase: Int] = [:]
            var bySeverity: [Severity: Int] = [:]
            for query in queries {
                for row in try connection.query(query) {
                    let count = try row.decode(Int.self, "n")
                    guard count != 0 else { continue }
                    byPhase[try row.decodeEnum(Phase.self, "phase"), default: 0] += count
                    bySeverity[try row.decodeEnum(Severity.self, "severity"), default: 0] += count
                }
            }
            let visible = Self.condition(for: scope) ?? "true"
            let oldest = try connection.query(
                """
                SELECT reference, title, phase, severity, reported_at, assignee FROM incidents
                WHERE phase <> 'closed' AND \(visible) ORDER BY reported_at, id LIMIT 1
                """
            )
            try connection.query(audit.insert)
            return StatusSummary(
                openByPhase: byPhase,
                openBySeverity: bySeverity,
                oldestOpen: try oldest.first.map(IncidentSummary.init(row:))
            )
        }
    }

    /// Folds the delta rows of `open_incident_counts` into one row per phase, severity and
    /// restriction, so Status sums a handful of rows. Safe beside writers and other daemons:
    /// a delta committed meanwhile stays for the next fold, and a row is folded only once.
    @discardableResult
    public func foldOpenCounts() async throws -> Int {
        try await pool.transaction { connection in
            try connection.query(
                """
                WITH folded AS (DELETE FROM open_incident_counts RETURNING *),
                inserted AS (
                    INSERT INTO open_incident_counts
                    SELECT phase, severity, restricted, sum(n) FROM folded GROUP BY 1, 2, 3 HAVING sum(n) <> 0
                )
                SELECT count(*)::bigint AS n FROM folded
                """
            ).first.map { try $0.decode(Int.self, "n") } ?? 0
        }
    }

    /// Writes an audit record on its own: for calls refused before they reached the store.
    public func recordAudit(_ record: AuditRecord) async throws {
        _ = try await pool.transaction { connection in
            try connection.query(record.insert)
        }
    }

    /// The SQL form of `AccessPolicy.visibility(of:)`; nil when everything is visible.
    /// - Parameter alias: the incidents table's alias in the query (`i.`), if it has one.
    static func condition(for scope: VisibilityScope, alias: String = "") -> PostgresQuery? {
        if scope.everything { return nil }
        var alternatives: [PostgresQuery] = []
        if scope.unrestricted { alternatives.append("NOT \(unsafeSQL: alias)restricted") }
        if let name = scope.assignedTo { alternatives.append("\(unsafeSQL: alias)assignee = \(name)") }
        if let uid = scope.reportedBy {
            alternatives.append(
                "(\(unsafeSQL: alias)reporter_uid = \(Int64(uid)) AND NOT \(unsafeSQL: alias)restricted)"
            )
        }
        guard var combined = alternatives.first else { return "false" }
        for alternative in alternatives.dropFirst() {
            combined = "\(combined) OR \(alternative)"
        }
        return "(\(combined))"
    }

    /// `incidentColumns` qualified by the alias `i`, for joins.
    static let qualifiedIncidentColumns = incidentColumns.split(separator: ",")
        .map { "i." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")

    static let incidentColumns = """
        reference, title, description, phase, severity, category, data_categories, people_affected,
        records_affected, jurisdictions, reporter_uid, reporter_name, assignee, restricted, reported_at,
        aware_at, discovered_at, phase_entered_at, closed_at, version, playbook_name, playbook_version,
        dedup_key, report_count, last_reported_at, uid, legal_hold, purged_at
        """
}

extension PostgresRow {
    func decodeEnum<T: RawRepresentable>(_ type: T.Type, _ column: String) throws(PostgresError) -> T
    where T.RawValue == String {
        let text = try decode(String.self, column)
        guard let value = T(rawValue: text) else {
            throw PostgresError(code: .decoding, serverMessage: "unknown \(T.self) \(text) in column \(column)")
        }
        return value
    }

    func decodeEnums<T: RawRepresentable>(_ type: T.Type, _ column: String) throws(PostgresError) -> [T]
    where T.RawValue == String {
        try decode([String].self, column).map { text throws(PostgresError) in
            guard let value = T(rawValue: text) else {
                throw PostgresError(code: .decoding, serverMessage: "unknown \(T.self) \(text) in column \(column)")
            }
            return value
        }
    }
}

extension Incident {
    /// An incident from its row, its description opened with `cipher`.
    /// The incident a row holds; `description` when the caller sealed it itself a moment ago
    /// (a new report), so it is not opened again.
    init(row: PostgresRow, cipher: CipherBox, description: String? = nil) throws {
        let uid = try row.decode(UUID.self, "uid")
        self.init(
            reference: try row.decodeEnum(IncidentReference.self, "reference"),
            title: try row.decode(String.self, "title"),
            description: try description
                ?? cipher.open(
                    try row.decode(String.self, "description"),
                    context: FieldCipher.context(incident: uid, field: "description")
                ),
            phase: try row.decodeEnum(Phase.self, "phase"),
            severity: try row.decodeEnum(Severity.self, "severity"),
            category: try row.decode(String?.self, "category").flatMap(IncidentCategory.init(rawValue:)),
            dataCategories: try row.decodeEnums(DataCategory.self, "data_categories"),
            peopleAffected: try row.decode(Int64?.self, "people_affected"),
            recordsAffected: try row.decode(Int64?.self, "records_affected"),
            jurisdictions: try row.decodeEnums(Jurisdiction.self, "jurisdictions"),
            reporter: Person(
                uid: try row.decode(UInt32.self, "reporter_uid"),
                name: try row.decode(String.self, "reporter_name")
            ),
            assignee: try row.decode(String?.self, "assignee"),
            restricted: try row.decode(Bool.self, "restricted"),
            reported: try row.decode(Date.self, "reported_at"),
            aware: try row.decode(Date.self, "aware_at"),
            discovered: try row.decode(Date?.self, "discovered_at"),
            phaseEntered: try row.decode(Date.self, "phase_entered_at"),
            closed: try row.decode(Date?.self, "closed_at"),
            version: try row.decode(Int.self, "version"),
            playbook: try row.decode(String?.self, "playbook_name"),
            playbookVersion: try row.decode(String?.self, "playbook_version"),
            dedupKey: try row.decode(String?.self, "dedup_key"),
            reportCount: try row.decode(Int.self, "report_count"),
            lastReported: try row.decode(Date?.self, "last_reported_at"),
            legalHold: try row.decode(Bool.self, "legal_hold") ? true : nil,
            purged: try row.decode(Date?.self, "purged_at")
        )
    }
}

extension IncidentSummary {
    init(row: PostgresRow) throws(PostgresError) {
        self.init(
            reference: try row.decodeEnum(IncidentReference.self, "reference"),
            title: try row.decode(String.self, "title"),
            phase: try row.decodeEnum(Phase.self, "phase"),
            severity: try row.decodeEnum(Severity.self, "severity"),
            reported: try row.decode(Date.self, "reported_at"),
            assignee: try row.decode(String?.self, "assignee")
        )
    }
}

/// The playbook versions this process has seen committed to `playbooks`.
final class StoredPlaybooks: Sendable {
    private let digests = Mutex<Set<String>>([])

    func contains(_ digest: String) -> Bool { digests.withLock { $0.contains(digest) } }
    func insert(_ digest: String) { _ = digests.withLock { $0.insert(digest) } }
}
