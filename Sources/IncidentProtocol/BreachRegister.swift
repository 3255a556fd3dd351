import Foundation
import IncidentCore

/// One incident as the breach register records it: the facts, effects and remedial action
/// GDPR Art. 33(5) asks to be documented for every breach, notified or not (PIPEDA's record
/// of breaches asks the same, kept 24 months): when it was known, reported, contained and
/// closed; what data and how many people, per jurisdiction; each notifiability decision with
/// its reason; each notification made, on time or late and why; the root cause and what was
/// done about it.
public struct RegisterEntry: Codable, Sendable, Equatable {
    public var reference: IncidentReference
    public var title: String
    public var phase: Phase
    public var severity: Severity
    public var category: IncidentCategory?
    public var dataCategories: [DataCategory]
    public var aware: Date
    public var reported: Date
    public var contained: Date?
    public var closed: Date?
    public var jurisdictions: [Jurisdiction]
    public var peopleAffected: Int64?
    public var recordsAffected: Int64?
    /// People affected per jurisdiction, where the case file has the split.
    public var peopleAffectedIn: [String: Int64]?
    /// Which of the counts are estimates.
    public var estimated: [String]?
    public var decisions: [Decision]
    public var notifications: [Notification]
    public var rootCause: String?
    /// How it was contained.
    public var containment: String?
    /// What was done so that it does not happen again.
    public var prevention: String?
    /// When it entered each phase it reached (`report`, `investigate`, `notify`, `closed`).
    public var phases: [String: Date]?
    /// While it is open: the owed task with the earliest deadline.
    public var nextDeadline: Deadline?

    public struct Deadline: Codable, Sendable, Equatable {
        public var task: String
        public var regime: String?
        public var due: Date
    }

    public struct Decision: Codable, Sendable, Equatable {
        /// The decision's field: `notifiable`, `highRisk`…
        public var name: String
        public var value: Bool
        public var reason: String
        public var by: String
        public var at: Date
    }

    public struct Notification: Codable, Sendable, Equatable {
        public var task: String
        /// The regime file the task comes from, when it comes from one.
        public var regime: String?
        public var kind: NotificationRecipient
        public var recipient: String
        public var sentAt: Date
        /// The deadline it was due by, when it had a clock.
        public var due: Date?
        /// Sent by its deadline; nil without a deadline.
        public var onTime: Bool?
        public var lateReason: String?
    }

    /// The entry of an incident whose case file is `state` under `playbook`. With `redact`,
    /// the free text is masked as in a redacted export, and so are the people it names.
    public init(incident: Incident, state: CaseState, playbook: Playbook, redact: Bool) {
        let facts = state.facts
        func text(_ name: String) -> String? {
            guard case .text(let value)? = facts.values[name], !value.isEmpty else { return nil }
            return value
        }
        var people: [String] = [incident.reporter.name]
        if let assignee = incident.assignee { people.append(assignee) }
        people += state.decisions.map(\.by) + state.notifications.map(\.by)
        var texts = [incident.title] + state.decisions.map(\.reason)
        texts += state.notifications.flatMap { [$0.recipient] + ($0.lateReason.map { [$0] } ?? []) }
        texts += ["rootCause", "containment", "prevention"].compactMap(text)
        let redactor = Redactor(names: people.filter { $0 != "incidentd" }, mentionedIn: texts)
        let shown: (String) -> String = redact ? { redactor.redact($0) } : { $0 }

        reference = incident.reference
        title = shown(incident.title)
        phase = incident.phase
        severity = incident.severity
        category = incident.category
        dataCategories = incident.dataCategories
        aware = incident.aware
        reported = incident.reported
        contained = facts.instants["contained"]
        closed = incident.closed
        jurisdictions = incident.jurisdictions
        peopleAffected = incident.peopleAffected
        recordsAffected = incident.recordsAffected
        if case .counts(let counts)? = facts.values["peopleAffectedIn"], !counts.isEmpty { peopleAffectedIn = counts }
        estimated = facts.estimated.isEmpty ? nil : facts.estimated.sorted()
        decisions = state.decisions.map {
            Decision(name: $0.name, value: $0.value, reason: shown($0.reason), by: shown($0.by), at: $0.at)
        }
        notifications = state.notifications.map { record in
            let due = state.task(record.task)?.due
            return Notification(
                task: record.task,
                regime: playbook.task(record.task)?.regime,
                kind: record.kind,
                recipient: shown(record.recipient),
                sentAt: record.sentAt,
                due: due,
                onTime: due.map { record.sentAt <= $0 },
                lateReason: record.lateReason.map(shown)
            )
        }
        rootCause = text("rootCause").map(shown)
        containment = text("containment").map(shown)
        prevention = text("prevention").map(shown)
        var entered: [String: Date] = [:]
        for phase in Phase.allCases {
            if let at = facts.instants["phase:\(phase.rawValue)"] { entered[phase.rawValue] = at }
        }
        entered[Phase.report.rawValue] = entered[Phase.report.rawValue] ?? incident.reported
        if let closed = incident.closed { entered[Phase.closed.rawValue] = closed }
        phases = entered
        if incident.phase != .closed,
            let next = state.tasks.filter({ $0.isOwed && $0.pausedUntil == nil }).compactMap({ task in
                task.due.map { (task, $0) }
            }).min(by: { $0.1 < $1.1 })
        {
            nextDeadline = Deadline(task: next.0.id, regime: playbook.task(next.0.id)?.regime, due: next.1)
        }
    }
}

/// The breach register as a document: every incident the caller may see that was reported in
/// the period, as CSV (RFC 4180), JSON or Markdown. Times are UTC.
public struct BreachRegister: Sendable {
    public enum Format: String, Codable, Sendable, CaseIterable {
        case csv, json, markdown
    }

    public var entries: [RegisterEntry]
    public var since: Date?
    public var until: Date
    public var exportedAt: Date
    public var exportedBy: String
    public var redacted: Bool

    public init(
        entries: [RegisterEntry],
        since: Date?,
        until: Date,
        exportedAt: Date,
        exportedBy: String,
        redacted: Bool
    ) {
        self.entries = entries
        self.since = since
        self.until = until
        self.exportedAt = exportedAt
        self.exportedBy = exportedBy
        self.redacted = redacted
    }

    public func document(_ format: Format) throws -> String {
        switch format {
        case .csv: return csv()
        case .json: return try json()
        case .markdown: return markdown()
        }
    }

    /// The columns, in order: the CSV header and the Markdown table's.
    public static let columns = [
        "reference", "title", "phase", "severity", "category", "data_categories", "aware", "reported", "contained",
        "closed", "jurisdictions", "people_affected", "records_affected", "people_affected_by_jurisdiction",
        "estimated", "decisions", "notifications", "root_cause", "containment", "prevention",
    ]

    /// Each entry's cells, in the order of ``columns``; lists joined with "; ".
    public static func cells(_ entry: RegisterEntry) -> [String] {
        let number = { (value: Int64?) in value.map(String.init) ?? "" }
        let decisions = entry.decisions.map {
            "\($0.name)=\($0.value ? "yes" : "no") (\($0.reason)) by \($0.by) at \(utc($0.at))"
        }
        let notifications = entry.notifications.map { notice in
            var text = "\(notice.kind.rawValue): \(notice.recipient) at \(utc(notice.sentAt))"
            if let regime = notice.regime { text += " [\(regime)]" }
            switch notice.onTime {
            case true?: text += ", on time"
            case false?: text += ", late" + (notice.lateReason.map { ": \($0)" } ?? "")
            case nil: break
            }
            return text
        }
        return [
            entry.reference.rawValue, entry.title, entry.phase.rawValue, entry.severity.rawValue,
            entry.category?.rawValue ?? "", entry.dataCategories.map(\.rawValue).joined(separator: "; "),
            utc(entry.aware), utc(entry.reported), entry.contained.map(utc) ?? "", entry.closed.map(utc) ?? "",
            entry.jurisdictions.map(\.rawValue).joined(separator: "; "), number(entry.peopleAffected),
            number(entry.recordsAffected),
            (entry.peopleAffectedIn ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                .joined(separator: "; "),
            (entry.estimated ?? []).joined(separator: "; "), decisions.joined(separator: "; "),
            notifications.joined(separator: "; "), entry.rootCause ?? "", entry.containment ?? "",
            entry.prevention ?? "",
        ]
    }

    /// RFC 4180: CRLF between records, a header row, fields quoted where they hold a comma, a
    /// quote or a line break, quotes doubled. UTF-8 with a byte-order mark, which is how Excel
    /// knows it is UTF-8 (LibreOffice and Python's `utf-8-sig` read it too). A cell that a
    /// spreadsheet would take for a formula (= + - @ first) starts with an apostrophe: a title
    /// a reporter wrote must not run when the register is opened.
    public func csv() -> String {
        var lines = [Self.columns.map(Self.csvField).joined(separator: ",")]
        for entry in entries {
            lines.append(Self.cells(entry).map { Self.csvField(Self.defused($0)) }.joined(separator: ","))
        }
        return "\u{FEFF}" + lines.joined(separator: "\r\n") + "\r\n"
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `text`, with an apostrophe before it when a spreadsheet would read it as a formula.
    static func defused(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) else { return text }
        return "'" + text
    }

    public func json() throws -> String {
        struct Document: Encodable {
            var since: Date?
            var until: Date
            var exportedAt: Date
            var exportedBy: String
            var redacted: Bool
            var incidents: [RegisterEntry]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let document = Document(
            since: since,
            until: until,
            exportedAt: exportedAt,
            exportedBy: exportedBy,
            redacted: redacted,
            incidents: entries
        )
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    public func markdown() -> String {
        func cell(_ text: String) -> String {
            text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r\n", with: " ")
                .replacingOccurrences(of: "\n", with: " ")
        }
        let period = "\(since.map(Self.utc) ?? "the first incident") to \(Self.utc(until))"
        var lines = [
            "# Breach register", "",
            "Incidents reported \(period); exported \(Self.utc(exportedAt)) by \(exportedBy)"
                + (redacted ? "; personal data masked for sharing outside the team." : "; contains personal data."),
            "",
        ]
        guard !entries.isEmpty else {
            return (lines + ["No incidents were reported in this period.", ""]).joined(separator: "\n")
        }
        lines.append("| " + Self.columns.joined(separator: " | ") + " |")
        lines.append("|" + String(repeating: " --- |", count: Self.columns.count))
        for entry in entries { lines.append("| " + Self.cells(entry).map(cell).joined(separator: " | ") + " |") }
        return (lines + [""]).joined(separator: "\n")
    }

    /// `2026-05-01T09:30:00Z`, as spreadsheets and RFC 3339 read it.
    static func utc(_ date: Date) -> String { utcSeconds(date) + "Z" }

    /// `2026-05-01T09:30:00` in UTC: what both spellings of an instant start from.
    static func utcSeconds(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false)
                .timeSeparator(.colon)
        )
    }
}
