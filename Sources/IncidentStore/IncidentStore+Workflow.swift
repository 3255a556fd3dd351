import Foundation
import IncidentCore
import Postgres

/// An incident with everything its workflow knows: the case file.
public struct CaseFile: Sendable {
    public var incident: Incident
    public var state: CaseState
    public var playbook: Playbook
}

/// A case file read to decide a change on: its state as stored, and the row the change is
/// written to, if the incident is still at the version read.
public struct CaseBasis: Sendable {
    public let file: CaseFile
    let id: Int64
}

/// What reading a case file to change it found.
public enum CaseRead: Sendable {
    case notFound
    /// Filed before playbooks existed, or its stored playbook no longer parses.
    case noPlaybook
    case found(CaseBasis)
}

/// What came of writing a change decided on what was read.
public enum Written<Value: Sendable>: Sendable {
    case written(Value)
    /// The incident changed after it was read; nothing was written.
    case moved
    /// Refused, and audited as such; nothing else was written.
    case refused(ChangeRefusal)
}

extension IncidentStore {
    /// Stores a playbook version (unless `playbookStored`: a committed transaction stored it
    /// before) and writes the start of `incident`'s workflow under it, in the transaction that
    /// filed the report.
    @discardableResult
    static func startWorkflow(
        _ connection: PostgresConnection,
        incidentID: Int64,
        incident: inout Incident,
        _ start: WorkflowStart,
        actor: Caller,
        outbox: Outbox?,
        cipher: CipherBox,
        playbookStored: Bool = false
    ) throws -> Int {
        let playbook = start.playbook
        if !playbookStored {
            try connection.query(
                """
                INSERT INTO playbooks (digest, name, version, title, source)
                VALUES (\(playbook.digest), \(playbook.name), \(playbook.version), \(playbook.title), \(playbook.source))
                ON CONFLICT (digest) DO NOTHING
                """
            )
        }
        incident.playbook = playbook.name
        incident.playbookVersion = playbook.version
        return try save(
            connection,
            incidentID: incidentID,
            incident: &incident,
            previous: nil,
            state: start.state,
            events: start.events,
            actor: actor,
            playbook: playbook,
            isNewPlaybook: true,
            outbox: outbox,
            cipher: cipher
        )
    }

    /// What reading a case file found.
    public enum Lookup: Sendable {
        case notFound
        case denied(reason: String)
        case found(CaseFile, IncidentView)
    }

    /// The case file of `reference`, if it exists and `access` allows reading it; audited
    /// either way. An incident filed before playbooks existed has an empty workflow.
    public func caseFile(
        _ reference: IncidentReference,
        audit: AuditRecord,
        playbooks: PlaybookVersions,
        access: ReadAccess
    ) async throws -> Lookup {
        try await pool.transaction { connection in
            var record = audit
            record.incident = reference
            guard let (id, incident, digest, source) = try self.incidentRow(connection, reference)
            else {
                record.outcome = .notFound
                try connection.query(record.insert)
                return .notFound
            }
            let decision = access.decide(incident)
            guard case .allow(let view) = decision else {
                if case .deny(let reason) = decision {
                    record.outcome = .denied
                    record.detail = reason
                }
                try connection.query(record.insert)
                if case .deny(let reason) = decision { return .denied(reason: reason) }
                return .notFound
            }
            try connection.query(record.insert)
            let playbook =
                digest.flatMap { digest in source.flatMap { playbooks.resolve(digest: digest, source: $0) } }
                ?? Self.noPlaybook
            let state = try Self.loadState(connection, incidentID: id, incident: incident, cipher: cipher)
            return .found(
                CaseFile(
                    incident: incident,
                    state: Workflow.evaluate(state, playbook: playbook, now: Date()),
                    playbook: playbook
                ),
                view
            )
        }
    }

    /// The case file of `reference` as stored, to decide a workflow command on; not audited
    /// (the command's own record says what came of it).
    public func caseForChange(_ reference: IncidentReference, playbooks: PlaybookVersions) async throws -> CaseRead {
        try await pool.transaction { connection in
            guard let (id, incident, digest, source) = try self.incidentRow(connection, reference)
            else { return .notFound }
            guard let digest, let source, let playbook = playbooks.resolve(digest: digest, source: source) else {
                return .noPlaybook
            }
            let state = try Self.loadState(connection, incidentID: id, incident: incident, cipher: cipher)
            return .found(CaseBasis(file: CaseFile(incident: incident, state: state, playbook: playbook), id: id))
        }
    }

    /// Writes what the workflow made of `basis`: the new state, its events, their hook
    /// deliveries and `audit`, in one transaction, if the incident is still at the version
    /// `basis` read; otherwise nothing (`.moved`: decide again on what is there now).
    public func write(
        _ state: CaseState,
        events: [IncidentEvent],
        on basis: CaseBasis,
        audit: AuditRecord,
        adding bytes: Int = 0
    ) async throws -> Written<CaseFile> {
        let outbox = self.outbox
        let (written, queued) = try await pool.transaction { connection -> (Written<CaseFile>, Int) in
            let reference = basis.file.incident.reference
            let version = try connection.query("SELECT version FROM incidents WHERE id = \(basis.id) FOR UPDATE")
            guard try version.first?.decode(Int.self, "version") == basis.file.incident.version else {
                return (.moved, 0)
            }
            var record = audit
            record.incident = reference
            if let refusal = try self.reserve(bytes, incidentID: basis.id, reference, connection) {
                try connection.query(record.refused(refusal).insert)
                return (.refused(refusal), 0)
            }
            var incident = basis.file.incident
            let queued = try Self.save(
                connection,
                incidentID: basis.id,
                incident: &incident,
                previous: basis.file.state,
                state: state,
                events: events,
                actor: audit.caller,
                playbook: basis.file.playbook,
                isNewPlaybook: false,
                outbox: outbox,
                cipher: cipher
            )
            try connection.query(record.insert)
            return (.written(CaseFile(incident: incident, state: state, playbook: basis.file.playbook)), queued)
        }
        if queued > 0 { outbox?.wake() }
        return written
    }

    /// The incident row with its playbook's digest and source. Nothing reads it under a lock:
    /// a change is written only if the incident is still at the version read (`write`).
    func incidentRow(
        _ connection: PostgresConnection,
        _ reference: IncidentReference
    ) throws
        -> (Int64, Incident, String?, String?)?
    {
        let rows = try connection.query(
            """
            SELECT i.id, \(unsafeSQL: Self.qualifiedIncidentColumns),
                   i.playbook_digest, p.source
            FROM incidents i LEFT JOIN playbooks p ON p.digest = i.playbook_digest
            WHERE i.reference = \(reference.rawValue)
            """
        )
        guard let row = rows.first else { return nil }
        return (
            try row.decode(Int64.self, "id"), try Incident(row: row, cipher: cipher),
            try row.decode(String?.self, "playbook_digest"),
            try row.decode(String?.self, "source")
        )
    }

    static func loadState(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        incident: Incident,
        cipher: CipherBox
    ) throws -> CaseState {
        let row = try connection.query(
            """
            SELECT facts, instants, estimated, gate_approved, paused_seconds, resolution, lessons_learned, uid
            FROM incidents WHERE id = \(id)
            """
        ).first!
        let decoder = JSONDecoder()
        var values = try decoder.decode([String: FactValue].self, from: Data(try row.decode(String.self, "facts").utf8))
        // Sensitive captures were sealed; open them.
        let uid = try row.decode(UUID.self, "uid")
        for (name, value) in values {
            if case .text(let text) = value, FieldCipher.isSealed(text) {
                values[name] = .text(
                    try cipher.open(text, context: FieldCipher.context(incident: uid, field: "fact:\(name)"))
                )
            }
        }
        // The incident's own columns are the truth for its triage attributes.
        for (key, value) in CaseFacts(incident: incident).values { values[key] = value }
        let stamps = try decoder.decode([String: Double].self, from: Data(try row.decode(String.self, "instants").utf8))
        var instants = CaseFacts(incident: incident).instants
        for (name, seconds) in stamps { instants[name] = Date(timeIntervalSince1970: seconds) }
        let tasks = try loadTasks(connection, incidentID: id, uid: uid, cipher: cipher)
        let pauses = try loadPauses(connection, incidentID: id, uid: uid, cipher: cipher)
        let decisions = try loadDecisions(connection, incidentID: id, uid: uid, cipher: cipher)
        let notifications = try loadNotifications(connection, incidentID: id, uid: uid, cipher: cipher)
        var facts = CaseFacts(values: values, instants: instants)
        facts.estimated = Set(try row.decode([String].self, "estimated"))
        return CaseState(
            phase: incident.phase,
            facts: facts,
            tasks: tasks,
            gateApproved: try row.decode(Bool.self, "gate_approved"),
            pauses: pauses,
            pausedSeconds: try row.decode(Double.self, "paused_seconds"),
            decisions: decisions,
            notifications: notifications,
            resolution: try SealedText.resolution.open(
                try row.decode(String?.self, "resolution"),
                incident: uid,
                cipher: cipher
            ),
            lessonsLearned: try SealedText.lessonsLearned.open(
                try row.decode(String?.self, "lessons_learned"),
                incident: uid,
                cipher: cipher
            )
        )
    }

    private static func loadTasks(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        uid: UUID,
        cipher: CipherBox
    ) throws -> [TaskState] {
        try connection.query(
            """
            SELECT key, phase, status, due_at, completed_by, completed_at, reason, undecided, paused_until FROM tasks
            WHERE incident_id = \(id) ORDER BY ctid
            """
        ).map { row in
            var task = TaskState(
                id: try row.decode(String.self, "key"),
                phase: try row.decodeEnum(Phase.self, "phase"),
                status: try row.decodeEnum(TaskState.Status.self, "status"),
                due: try row.decode(Date?.self, "due_at"),
                completedBy: try row.decode(String?.self, "completed_by"),
                completedAt: try row.decode(Date?.self, "completed_at"),
                reason: try SealedText.taskReason.open(
                    try row.decode(String?.self, "reason"),
                    incident: uid,
                    qualifier: try row.decode(String.self, "key"),
                    cipher: cipher
                )
            )
            task.undecided = try row.decode([String].self, "undecided")
            task.pausedUntil = try row.decode(Date?.self, "paused_until")
            return task
        }
    }

    private static func loadPauses(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        uid: UUID,
        cipher: CipherBox
    ) throws -> [ClockPause] {
        try connection.query(
            """
            SELECT number, regime, basis, reason, paused_by, since, until, ended_at, ended_by
            FROM clock_pauses WHERE incident_id = \(id) ORDER BY number
            """
        ).map { row in
            let number = try row.decode(Int.self, "number")
            return ClockPause(
                number: number,
                regime: try row.decode(String?.self, "regime"),
                basis: try row.decode(String.self, "basis"),
                reason: try SealedText.pauseReason.open(
                    try row.decode(String.self, "reason"),
                    incident: uid,
                    qualifier: String(number),
                    cipher: cipher
                ) ?? "",
                by: try row.decode(String.self, "paused_by"),
                since: try row.decode(Date.self, "since"),
                until: try row.decode(Date?.self, "until"),
                endedAt: try row.decode(Date?.self, "ended_at"),
                endedBy: try row.decode(String?.self, "ended_by")
            )
        }
    }

    private static func loadDecisions(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        uid: UUID,
        cipher: CipherBox
    ) throws -> [DecisionRecord] {
        try connection.query(
            "SELECT name, value, reason, decided_by, decided_at, task FROM decisions WHERE incident_id = \(id) ORDER BY id"
        ).map { row in
            DecisionRecord(
                name: try row.decode(String.self, "name"),
                value: try row.decode(Bool.self, "value"),
                reason: try SealedText.decisionReason.open(
                    try row.decode(String.self, "reason"),
                    incident: uid,
                    qualifier: try row.decode(String.self, "name"),
                    cipher: cipher
                ) ?? "",
                by: try row.decode(String.self, "decided_by"),
                at: try row.decode(Date.self, "decided_at"),
                task: try row.decode(String.self, "task")
            )
        }
    }

    private static func loadNotifications(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        uid: UUID,
        cipher: CipherBox
    ) throws -> [NotificationRecord] {
        try connection.query(
            """
            SELECT task, kind, recipient, channel, sent_at, sent_by, reference, content_digest, late_reason,
                   notice_text, notice_language, notice_elements, notice_deferred
            FROM notifications WHERE incident_id = \(id) ORDER BY id
            """
        ).map { row in
            let task = try row.decode(String.self, "task")
            var notice: SentNotice?
            if let text = try SealedText.noticeText.open(
                try row.decode(String?.self, "notice_text"),
                incident: uid,
                qualifier: task,
                cipher: cipher
            ) {
                let deferred = try SealedText.noticeDeferrals.open(
                    try row.decode(String?.self, "notice_deferred"),
                    incident: uid,
                    qualifier: task,
                    cipher: cipher
                )
                notice = SentNotice(
                    text: text,
                    language: try row.decode(String?.self, "notice_language") ?? NoticeLanguage.english,
                    elements: try row.decode([String]?.self, "notice_elements") ?? [],
                    // Purged, the reasons are gone; the elements left to later stay known.
                    deferred: deferred.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
                        ?? [:]
                )
            }
            return NotificationRecord(
                task: try row.decode(String.self, "task"),
                kind: try row.decodeEnum(NotificationRecipient.self, "kind"),
                recipient: try SealedText.recipient.open(
                    try row.decode(String.self, "recipient"),
                    incident: uid,
                    qualifier: try row.decode(String.self, "task"),
                    cipher: cipher
                ) ?? "",
                channel: try row.decode(String.self, "channel"),
                sentAt: try row.decode(Date.self, "sent_at"),
                by: try row.decode(String.self, "sent_by"),
                reference: try row.decode(String?.self, "reference"),
                contentDigest: try row.decode(String?.self, "content_digest"),
                lateReason: try SealedText.lateReason.open(
                    try row.decode(String?.self, "late_reason"),
                    incident: uid,
                    qualifier: try row.decode(String.self, "task"),
                    cipher: cipher
                ),
                notice: notice
            )
        }
    }

    /// Writes `state` over `previous`: the incident's columns (its triage attributes follow the
    /// facts), every task, new decisions and notifications, the events and their hook
    /// deliveries. Returns how many deliveries it queued.
    @discardableResult
    static func save(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        incident: inout Incident,
        previous: CaseState?,
        state: CaseState,
        events: [IncidentEvent],
        actor: Caller,
        playbook: Playbook,
        isNewPlaybook: Bool,
        outbox: Outbox?,
        cipher: CipherBox
    ) throws -> Int {
        incident.project(state, previous: previous)
        let sealer = IncidentSealer(connection: connection, incidentID: id, cipher: cipher)
        try saveIncident(
            connection,
            incidentID: id,
            incident,
            state: state,
            playbook: playbook,
            isNewPlaybook: isNewPlaybook,
            sealer
        )
        try saveRecords(connection, incidentID: id, previous: previous, state: state, sealer)
        if !events.isEmpty {
            let rows = try events.map { event -> PostgresQuery in
                "(\(id), \(event.kind.rawValue), \(Int64(actor.uid)), \(actor.userName), \(try PostgresJSON(encoding: event.data)))"
            }
            try connection.query(
                "INSERT INTO events (incident_id, kind, actor_uid, actor_name, data) VALUES \(PostgresQuery.list(rows))"
            )
        }
        return try outbox?.enqueue(
            connection,
            incidentID: id,
            events: events,
            incident: incident,
            playbook: playbook,
            actor: actor.userName
        ) ?? 0
    }

    /// The incident's row: its attributes, its facts (sensitive captures sealed) and instants.
    private static func saveIncident(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        _ incident: Incident,
        state: CaseState,
        playbook: Playbook,
        isNewPlaybook: Bool,
        _ sealer: IncidentSealer
    ) throws {
        let playbookDigest: String? = isNewPlaybook ? playbook.digest : nil
        let facts = state.facts
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let builtIn = Set(FieldDeclaration.builtIn.map(\.name)).subtracting(["peopleAffectedIn"])
        var stored = facts.values.filter { !builtIn.contains($0.key) }
        // Captures the playbook marks sensitive (free text that may name people) are sealed.
        for field in playbook.fields where field.isSensitive {
            if case .text(let text)? = stored[field.name], let sealed = try sealer.sealFact(text, named: field.name) {
                stored[field.name] = .text(sealed)
            }
        }
        let factsJSON = PostgresJSON(text: String(decoding: try encoder.encode(stored), as: UTF8.self))
        let stamps = facts.instants.filter { !["reported", "aware", "discovered", "phase"].contains($0.key) }
            .mapValues(\.timeIntervalSince1970)
        let instantsJSON = PostgresJSON(text: String(decoding: try encoder.encode(stamps), as: UTF8.self))
        try connection.query(
            """
            UPDATE incidents SET
                phase = \(incident.phase.rawValue), phase_entered_at = \(incident.phaseEntered), closed_at = \(incident.closed),
                severity = \(incident.severity.rawValue), category = \(incident.category?.rawValue),
                data_categories = \(incident.dataCategories.map(\.rawValue)), jurisdictions = \(incident.jurisdictions.map(\.rawValue)),
                people_affected = \(incident.peopleAffected), records_affected = \(incident.recordsAffected),
                discovered_at = \(incident.discovered),
                facts = \(factsJSON), instants = \(instantsJSON), estimated = \(facts.estimated.sorted())::text[],
                gate_approved = \(state.gateApproved),
                paused_seconds = \(state.pausedSeconds),
                resolution = \(try sealer.seal(state.resolution, .resolution)),
                lessons_learned = \(try sealer.seal(state.lessonsLearned, .lessonsLearned)),
                version = \(incident.version),
                playbook_name = COALESCE(\(playbookDigest == nil ? nil : incident.playbook), playbook_name),
                playbook_version = COALESCE(\(playbookDigest == nil ? nil : incident.playbookVersion), playbook_version),
                playbook_digest = COALESCE(\(playbookDigest), playbook_digest)
            WHERE id = \(id)
            """
        )
    }

    /// The tasks that changed, and the pauses, decisions and notifications that are new or
    /// changed; each table in as few statements as its rows allow.
    private static func saveRecords(
        _ connection: PostgresConnection,
        incidentID id: Int64,
        previous: CaseState?,
        state: CaseState,
        _ sealer: IncidentSealer
    ) throws {
        // Changed tasks, and below the events, each in one statement: one round trip, not one per
        // row. The tasks go as one array per column (a new incident has dozens of tasks): one
        // statement text whatever their number, prepared once, and ten parameters, not hundreds.
        let changedTasks = state.tasks.filter { $0 != previous?.task($0.id) }
        if !changedTasks.isEmpty {
            let reasons = try changedTasks.map { try sealer.seal($0.reason, .taskReason, $0.id) }
            try connection.query(
                """
                INSERT INTO tasks (incident_id, key, phase, status, due_at, completed_by, completed_at, reason, undecided, paused_until)
                SELECT \(id), t.key, t.phase, t.status, t.due_at, t.completed_by, t.completed_at, t.reason, t.undecided::text[],
                       t.paused_until
                FROM unnest(\(changedTasks.map(\.id))::text[], \(changedTasks.map(\.phase.rawValue))::text[],
                            \(changedTasks.map(\.status.rawValue))::text[], \(PostgresNullableArray(changedTasks.map(\.due)))::timestamptz[],
                            \(PostgresNullableArray(changedTasks.map(\.completedBy)))::text[],
                            \(PostgresNullableArray(changedTasks.map(\.completedAt)))::timestamptz[],
                            \(PostgresNullableArray(reasons))::text[], \(changedTasks.map(\.undecided.postgresText))::text[],
                            \(PostgresNullableArray(changedTasks.map(\.pausedUntil)))::timestamptz[])
                    AS t(key, phase, status, due_at, completed_by, completed_at, reason, undecided, paused_until)
                ON CONFLICT (incident_id, key) DO UPDATE SET
                    phase = EXCLUDED.phase, status = EXCLUDED.status, due_at = EXCLUDED.due_at,
                    completed_by = EXCLUDED.completed_by, completed_at = EXCLUDED.completed_at, reason = EXCLUDED.reason,
                    undecided = EXCLUDED.undecided, paused_until = EXCLUDED.paused_until
                """
            )
        }
        // Pauses are added, and lifted; never removed.
        for pause in state.pauses where pause != previous?.pauses.first(where: { $0.number == pause.number }) {
            try connection.query(
                """
                INSERT INTO clock_pauses (incident_id, number, regime, basis, reason, paused_by, since, until, ended_at, ended_by)
                VALUES (\(id), \(pause.number), \(pause.regime), \(pause.basis),
                        \(try sealer.seal(pause.reason, .pauseReason, String(pause.number)) ?? ""), \(pause.by), \(pause.since),
                        \(pause.until)::timestamptz, \(pause.endedAt)::timestamptz, \(pause.endedBy))
                ON CONFLICT (incident_id, number) DO UPDATE SET ended_at = EXCLUDED.ended_at, ended_by = EXCLUDED.ended_by
                """
            )
        }
        for decision in state.decisions.dropFirst(previous?.decisions.count ?? 0) {
            try connection.query(
                """
                INSERT INTO decisions (incident_id, name, value, reason, decided_by, decided_at, task)
                VALUES (\(id), \(decision.name), \(decision.value),
                        \(try sealer.seal(decision.reason, .decisionReason, decision.name)),
                        \(decision.by), \(decision.at), \(decision.task))
                """
            )
        }
        for notification in state.notifications.dropFirst(previous?.notifications.count ?? 0) {
            try connection.query(
                """
                INSERT INTO notifications (incident_id, task, kind, recipient, channel, sent_at, sent_by, reference,
                                           content_digest, late_reason, notice_text, notice_language, notice_elements,
                                           notice_deferred)
                VALUES (\(id), \(notification.task), \(notification.kind.rawValue),
                        \(try sealer.seal(notification.recipient, .recipient, notification.task)),
                        \(notification.channel), \(notification.sentAt), \(notification.by), \(notification.reference),
                        \(notification.contentDigest),
                        \(try sealer.seal(notification.lateReason, .lateReason, notification.task)),
                        \(try sealer.seal(notification.notice?.text, .noticeText, notification.task)),
                        \(notification.notice?.language), \(notification.notice?.elements),
                        \(try sealer.seal(try Self.deferrals(of: notification.notice), .noticeDeferrals, notification.task)))
                """
            )
        }
    }

    /// A sent notice's deferrals as the JSON object sealed in `notice_deferred`; nil when none.
    static func deferrals(of notice: SentNotice?) throws -> String? {
        guard let deferred = notice?.deferred, !deferred.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(deferred), as: UTF8.self)
    }

    /// Stands in for the playbook of incidents filed before playbooks existed: no tasks.
    static let noPlaybook = Playbook(
        name: "",
        version: "",
        title: "",
        isDefault: false,
        match: .init(),
        fields: [],
        instants: [],
        hooks: [],
        phases: [],
        escalations: [],
        digest: "",
        source: ""
    )

    /// The incident's timeline, oldest first.
    /// The incident's events, oldest first; with `latest`, only that many of the newest, and
    /// how many there are in all.
    /// With `onlyKinds`, only events of those kinds (the reporter view).
    public func timeline(
        _ reference: IncidentReference,
        latest: Int? = nil,
        onlyKinds: Set<String>? = nil
    ) async throws -> (events: [TimelineEntry], total: Int) {
        try await pool.transaction { connection in
            let limit: PostgresQuery = latest.map { "LIMIT \($0)" } ?? ""
            let kinds: PostgresQuery = onlyKinds.map { "AND e.kind = ANY(\($0.sorted()))" } ?? ""
            let entries = try connection.query(
                """
                SELECT * FROM (
                    SELECT e.id, e.at, e.kind, e.actor_name, e.data, i.uid FROM events e JOIN incidents i ON i.id = e.incident_id
                    WHERE i.reference = \(reference.rawValue) \(kinds) ORDER BY e.id DESC \(limit)
                ) latest ORDER BY id
                """
            ).map { row in
                var data = (try? row.decode(PostgresJSON.self, "data").decode([String: String].self)) ?? [:]
                if let text = data["text"] {
                    data["text"] = try cipher.open(
                        text,
                        context: FieldCipher.context(incident: try row.decode(UUID.self, "uid"), field: "note")
                    )
                }
                return TimelineEntry(
                    at: try row.decode(Date.self, "at"),
                    kind: try row.decode(String.self, "kind"),
                    actor: try row.decode(String?.self, "actor_name"),
                    data: data
                )
            }
            guard latest != nil else { return (entries, entries.count) }
            let total = try connection.query(
                "SELECT count(*) AS n FROM events e JOIN incidents i ON i.id = e.incident_id WHERE i.reference = \(reference.rawValue) \(kinds)"
            ).first!.decode(Int.self, "n")
            return (entries, total)
        }
    }
}

/// One line of an incident's timeline.
public struct TimelineEntry: Sendable, Equatable, Codable {
    public var at: Date
    public var kind: String
    public var actor: String?
    public var data: [String: String]

    /// The entry as a caller with `view` sees it: the reporter view keeps only what
    /// ``ReporterTimeline`` allows, and not who on the team acted.
    public func seen(as view: IncidentView) -> TimelineEntry {
        guard view == .reporter else { return self }
        var entry = self
        entry.data = ReporterTimeline.visibleData(kind: kind, data: data) ?? [:]
        entry.actor = nil
        return entry
    }
}

public enum WorkflowStoreError: Error, Sendable, CustomStringConvertible {
    case noPlaybook(IncidentReference)

    public var description: String {
        switch self {
        case .noPlaybook(let reference): return "\(reference) has no playbook (it was filed before playbooks existed)"
        }
    }
}

/// An open task of an open incident, for the status screen.
public struct OpenTaskRow: Sendable, Equatable {
    public var reference: IncidentReference
    public var incidentTitle: String
    public var assignee: String?
    public var task: String
    public var due: Date?
    /// Possibly owed: the facts that would settle whether it is (empty when it is owed).
    public var undecided: [String] = []
    /// While its regime's clocks are paused: when the pause ends (`Date.distantFuture`: when lifted).
    public var pausedUntil: Date?
    /// The incident's playbook version; its source, when this daemon has not parsed it yet,
    /// comes from `playbookSources(digests:)`, once per version rather than once per row.
    public var playbookDigest: String?
}

extension IncidentStore {
    /// Open tasks of open incidents the caller may see: those due before `dueBefore` (or with no
    /// such bound), or, with `assignee`, every open task of incidents assigned to them.
    /// Earliest deadline first.
    public func openTasks(
        visibleTo scope: VisibilityScope,
        dueBefore: Date?,
        assignee: String?,
        limit: Int
    ) async throws
        -> [OpenTaskRow]
    {
        try await pool.transaction { connection in
            let visible = Self.condition(for: scope, alias: "i.") ?? "true"
            var condition: PostgresQuery =
                "t.status IN ('open', 'possibly_owed') AND i.phase <> 'closed' AND \(visible)"
            // A paused task's deadline moves while its regime is paused: it is neither due soon nor overdue.
            if let dueBefore {
                condition =
                    "\(condition) AND t.due_at < \(dueBefore) AND (t.paused_until IS NULL OR t.paused_until <= now())"
            }
            if let assignee { condition = "\(condition) AND i.assignee = \(assignee)" }
            return try connection.query(
                """
                SELECT i.reference, i.title, i.assignee, t.key, t.due_at, t.undecided, i.playbook_digest,
                       CASE WHEN t.paused_until > now() THEN t.paused_until END AS paused_until
                FROM tasks t JOIN incidents i ON i.id = t.incident_id
                WHERE \(condition)
                ORDER BY t.due_at NULLS LAST, i.id LIMIT \(limit)
                """
            ).map { row in
                OpenTaskRow(
                    reference: try row.decodeEnum(IncidentReference.self, "reference"),
                    incidentTitle: try row.decode(String.self, "title"),
                    assignee: try row.decode(String?.self, "assignee"),
                    task: try row.decode(String.self, "key"),
                    due: try row.decode(Date?.self, "due_at"),
                    undecided: try row.decode([String].self, "undecided"),
                    pausedUntil: try row.decode(Date?.self, "paused_until"),
                    playbookDigest: try row.decode(String?.self, "playbook_digest")
                )
            }
        }
    }

    /// The stored sources of these playbook versions, by digest.
    public func playbookSources(digests: [String]) async throws -> [String: String] {
        guard !digests.isEmpty else { return [:] }
        return try await pool.withConnection { connection in
            var sources: [String: String] = [:]
            for row in try connection.query("SELECT digest, source FROM playbooks WHERE digest = ANY(\(digests))") {
                sources[try row.decode(String.self, "digest")] = try row.decode(String.self, "source")
            }
            return sources
        }
    }
}

/// Seals an incident's sensitive text bound to it, asking for the incident's uid only when
/// there is text to seal.
final class IncidentSealer {
    private let connection: PostgresConnection
    private let incidentID: Int64
    private let cipher: CipherBox
    private var knownUID: UUID?

    init(connection: PostgresConnection, incidentID: Int64, cipher: CipherBox) {
        self.connection = connection
        self.incidentID = incidentID
        self.cipher = cipher
    }

    private func uid() throws -> UUID {
        if let knownUID { return knownUID }
        let uid = try connection.query("SELECT uid FROM incidents WHERE id = \(incidentID)").first!.decode(
            UUID.self,
            "uid"
        )
        knownUID = uid
        return uid
    }

    /// `text` sealed as `kind` (plaintext when encryption is off).
    func seal(_ text: String?, _ kind: SealedText, _ qualifier: String? = nil) throws -> String? {
        guard text != nil, cipher.current != nil else { return text }
        return kind.seal(text, incident: try uid(), qualifier: qualifier, cipher: cipher)
    }

    /// A sensitive capture sealed; nil when encryption is off.
    func sealFact(_ text: String, named name: String) throws -> String? {
        guard cipher.current != nil else { return nil }
        return cipher.seal(text, context: FieldCipher.context(incident: try uid(), field: "fact:\(name)"))
    }
}
