import Foundation
import IncidentCore
import Varlink

/// A case file for a regulator or a third party (`incidentctl export`): facts, decisions
/// with reasons, tasks, the notification ledger and the timeline, as Markdown or JSON, with
/// personal data masked when asked. Times are UTC, as a record kept for others should be.
public struct CaseFileExport: Sendable {
    public var file: WorkflowWire.CaseFileReply
    public var events: [WorkflowWire.TimelineReply.Event]
    public var exportedAt: Date
    public var exportedBy: String
    public var redacted: Bool
    /// Every notice sent, with its text; redacted, its digest and elements only.
    public var notices: [Notice]
    /// The manifest of every evidence file: what the bundle's files are checked against.
    public var evidence: [EvidenceItem]

    /// A notice as sent, as an export carries it.
    public struct Notice: Codable, Sendable, Equatable {
        public var task: String
        public var kind: NotificationRecipient
        public var sentAt: Date
        public var language: String
        public var digest: String
        public var elements: [String]
        /// The elements left to a later notice.
        public var deferredElements: [String]
        /// The reasons for leaving them; not in a redacted export.
        public var deferred: [String: String]?
        /// The exact text; not in a redacted export.
        public var text: String?

        /// The ledger entry's notice, whole, or (`redacted`) its digest and elements only.
        public init?(_ record: NotificationRecord, redacted: Bool) {
            guard let notice = record.notice else { return nil }
            task = record.task
            kind = record.kind
            sentAt = record.sentAt
            language = notice.language
            digest = record.contentDigest ?? notice.digest
            elements = notice.elements
            deferredElements = notice.deferred.keys.sorted()
            deferred = redacted ? nil : notice.deferred
            text = redacted ? nil : notice.text
        }
    }

    public init(
        file: WorkflowWire.CaseFileReply,
        events: [WorkflowWire.TimelineReply.Event],
        exportedAt: Date,
        exportedBy: String,
        redacted: Bool,
        notices: [Notice] = [],
        evidence: [EvidenceItem] = []
    ) {
        self.file = file
        self.events = events
        self.exportedAt = exportedAt
        self.exportedBy = exportedBy
        self.redacted = redacted
        self.notices = notices
        self.evidence = evidence
    }

    /// Everyone the case file names: masked wherever they appear when redacting.
    var people: [String] {
        var names = [file.incident.reporter.name, exportedBy]
        if let assignee = file.incident.assignee { names.append(assignee) }
        names += events.compactMap(\.actor)
        names += (file.tasks ?? []).compactMap(\.completedBy)
        names += (file.decisions ?? []).map(\.by)
        names += (file.notifications ?? []).map(\.by)
        names += evidence.map(\.addedBy)
        return names.filter { $0 != "incidentd" }
    }

    /// Everything the case file says in words, searched for the names it mentions.
    var texts: [String] {
        var texts = [file.incident.title, file.incident.description]
        texts += (file.facts ?? [:]).values
        texts += (file.decisions ?? []).map(\.reason)
        texts += (file.tasks ?? []).compactMap(\.reason)
        texts += (file.notifications ?? []).flatMap { [$0.recipient] + ($0.lateReason.map { [$0] } ?? []) }
        texts += [file.resolution, file.lessonsLearned].compactMap { $0 }
        texts += events.flatMap(\.data.values)
        texts += evidence.flatMap { [$0.name] + ($0.description.map { [$0] } ?? []) }
        return texts
    }

    /// How a text is shared: masked when redacting, each name the case records or mentions
    /// masked wherever it appears.
    func presenter() -> @Sendable (String) -> String {
        guard redacted else { return { $0 } }
        let redactor = Redactor(names: people, mentionedIn: texts)
        return { redactor.redact($0) }
    }

    /// `2026-05-01 09:30:00 UTC`, as a person reads it.
    static func utc(_ date: Date) -> String {
        BreachRegister.utcSeconds(date).replacingOccurrences(of: "T", with: " ") + " UTC"
    }

    public func markdown() -> String {
        let incident = file.incident
        let shown = presenter()
        func cell(_ text: String) -> String {
            shown(text).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
        var lines = ["# \(incident.reference) — \(cell(incident.title))", ""]
        lines.append(
            "Exported \(Self.utc(exportedAt)) by \(shown(exportedBy))"
                + (redacted ? "; personal data masked for sharing outside the team." : "; contains personal data.")
        )
        lines += ["", "## Summary", "", "| | |", "| --- | --- |"]
        lines += Self.summary(of: incident).map { "| \($0.0) | \(cell($0.1)) |" }
        lines += ["", "## Description", "", shown(incident.description)]
        if let facts = file.facts, !facts.isEmpty {
            lines += ["", "## Facts", ""]
            lines += facts.keys.sorted().map { "- **\($0)**: \(shown(facts[$0]!))" }
        }
        if let decisions = file.decisions, !decisions.isEmpty {
            lines += ["", "## Decisions", ""]
            lines += decisions.map {
                "- **\($0.name)**: \($0.value ? "yes" : "no") — \(shown($0.by)), \(Self.utc($0.at)): \(shown($0.reason))"
            }
        }
        if let tasks = file.tasks, !tasks.isEmpty { lines += Self.tasks(tasks, shown: shown) }
        if let notifications = file.notifications, !notifications.isEmpty {
            lines += ["", "## Notifications", ""]
            lines += notifications.map {
                "- \($0.kind.rawValue): \(shown($0.recipient)) by \($0.channel), \(Self.utc($0.sentAt)), by \(shown($0.by))"
                    + ($0.reference.map { ", reference \(shown($0))" } ?? "")
                    + ($0.lateReason.map { "; late: \(shown($0))" } ?? "")
            }
        }
        if !notices.isEmpty { lines += noticeSection(shown: shown) }
        if !evidence.isEmpty { lines += evidenceSection(cell: cell) }
        if let resolution = file.resolution {
            lines += [
                "", "## Resolution", "", shown(resolution), "", "## Lessons learned", "",
                shown(file.lessonsLearned ?? ""),
            ]
        }
        lines += ["", "## Timeline", "", "| Time | Who | Event | Details |", "| --- | --- | --- | --- |"]
        for event in events {
            let details = event.data.keys.sorted().map { "\($0)=\(event.data[$0]!)" }.joined(separator: " ")
            lines.append("| \(Self.utc(event.at)) | \(cell(event.actor ?? "-")) | \(event.kind) | \(cell(details)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The summary table's rows: what is known of the incident, as label and value.
    static func summary(of incident: Incident) -> [(String, String)] {
        var summary: [(String, String)] = [
            ("Phase", "\(incident.phase.rawValue) (since \(Self.utc(incident.phaseEntered)))"),
            ("Severity", incident.severity.rawValue),
        ]
        if let category = incident.category { summary.append(("Category", category.rawValue)) }
        if !incident.dataCategories.isEmpty {
            summary.append(("Data", incident.dataCategories.map(\.rawValue).joined(separator: ", ")))
        }
        if let people = incident.peopleAffected { summary.append(("People affected", String(people))) }
        if let records = incident.recordsAffected { summary.append(("Records affected", String(records))) }
        if !incident.jurisdictions.isEmpty {
            summary.append(("Jurisdictions", incident.jurisdictions.map(\.rawValue).joined(separator: ", ")))
        }
        summary.append(("Aware", Self.utc(incident.aware)))
        summary.append(("Reported", "\(Self.utc(incident.reported)) by \(incident.reporter.name)"))
        if let playbook = incident.playbook {
            summary.append(("Playbook", "\(playbook) \(incident.playbookVersion ?? "")"))
        }
        if let closed = incident.closed { summary.append(("Closed", Self.utc(closed))) }
        return summary
    }

    /// The tasks, one list per phase, each with where it stands.
    static func tasks(_ tasks: [WorkflowWire.Task], shown: (String) -> String) -> [String] {
        var lines = ["", "## Tasks"]
        for phase in Phase.allCases where tasks.contains(where: { $0.phase == phase }) {
            lines += ["", "### \(phase.rawValue)", ""]
            for task in tasks where task.phase == phase {
                let state: String
                switch task.status {
                case .done:
                    state = "done by \(shown(task.completedBy ?? "?")), \(task.completedAt.map(Self.utc) ?? "")"
                case .skipped: state = "skipped: \(shown(task.reason ?? ""))"
                case .notApplicable: state = "not applicable"
                case .open: state = task.due.map { "open, due \(Self.utc($0))" } ?? "open"
                case .possiblyOwed:
                    state =
                        "possibly owed (settled by \((task.settledBy ?? []).joined(separator: ", ")))"
                        + (task.due.map { ", due \(Self.utc($0))" } ?? "")
                }
                lines.append("- \(task.status == .done ? "[x]" : "[ ]") **\(task.id)** \(task.title) — \(state)")
            }
        }
        return lines
    }

    /// The evidence manifest: each file's number, name, kind, type, size, SHA-256 and who
    /// added it when (the content is in a bundle, `incidentctl export --bundle`).
    func evidenceSection(cell: (String) -> String) -> [String] {
        var lines = [
            "", "## Evidence", "", "| File | Name | Kind | Type | Bytes | SHA-256 | Added |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for item in evidence {
            let added =
                "\(cell(item.addedBy)), \(Self.utc(item.addedAt))" + (item.purgedAt == nil ? "" : "; content purged")
            lines.append(
                "| \(item.label) | \(cell(item.name)) | \(item.kind.rawValue) | \(item.mediaType) | \(item.size) | "
                    + "`\(item.sha256)` | \(added) |"
            )
        }
        return lines
    }

    /// Each notice sent: what it held and left to later, its digest, and its text, indented
    /// four spaces so Markdown keeps it as it was.
    func noticeSection(shown: (String) -> String) -> [String] {
        var lines = ["", "## Notices sent"]
        for notice in notices {
            lines += [
                "", "### \(notice.task) (to the \(notice.kind.rawValue)), \(Self.utc(notice.sentAt))", "",
                "- language: \(notice.language)", "- sha256: `\(notice.digest)`",
                "- elements: \(notice.elements.joined(separator: ", "))",
            ]
            for element in notice.deferredElements {
                lines.append(
                    "- left to a later notice: \(element)" + (notice.deferred?[element].map { ": \(shown($0))" } ?? "")
                )
            }
            if let text = notice.text {
                lines.append("")
                lines += text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
            }
        }
        return lines
    }

    /// The same as one JSON object: `caseFile` (as `show --json`), `events`, `notices` and who
    /// exported it when.
    public func json() throws -> String {
        struct Document: Encodable {
            var exportedAt: Date
            var exportedBy: String
            var redacted: Bool
            var caseFile: WorkflowWire.CaseFileReply
            var events: [WorkflowWire.TimelineReply.Event]
            var notices: [Notice]
            var evidence: [EvidenceItem]
        }
        let encoder = VarlinkJSON.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(
            Document(
                exportedAt: exportedAt,
                exportedBy: exportedBy,
                redacted: redacted,
                caseFile: file,
                events: events,
                notices: notices,
                evidence: evidence
            )
        )
        guard redacted else { return String(decoding: data, as: UTF8.self) }
        // Mask every string in the document; the redactor keeps instants, references and enum words.
        let value = try VarlinkJSON.decoder().decode(JSONValue.self, from: data)
        return String(decoding: try encoder.encode(Self.mask(value, with: presenter())), as: UTF8.self)
    }

    private static func mask(_ value: JSONValue, with shown: (String) -> String) -> JSONValue {
        switch value {
        case .string(let text): return .string(shown(text))
        case .array(let items): return .array(items.map { mask($0, with: shown) })
        case .object(let members): return .object(members.mapValues { mask($0, with: shown) })
        default: return value
        }
    }
}
