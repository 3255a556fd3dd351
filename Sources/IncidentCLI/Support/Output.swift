import Foundation
import Glibc
import IncidentCore
import IncidentProtocol
import Varlink

/// How incidentctl prints: times in local time with their zone, colour only on a terminal
/// and never with NO_COLOR, JSON when asked.
struct Output {
    var timeZone: TimeZone = .current
    var now: Date = Date()
    var colour: Bool = Output.colourWanted()
    /// The columns a screen fits: the terminal's, else `COLUMNS`, else 100.
    var width: Int = DisplayWidth.terminal()
    /// The language of labels, headers and times (``Language/current``).
    var language: Language = .current

    /// `english` in the screen's language, with its `%s` replaced by `arguments`.
    func tr(_ english: String, _ arguments: String...) -> String { language.text(english, arguments: arguments) }

    enum Colour: String {
        case red = "31"
        case yellow = "33"
        case green = "32"
        case bold = "1"
        case dim = "2"
    }

    /// Colour when standard output is a terminal that is not `dumb`, and `NO_COLOR` is unset or
    /// empty (https://no-color.org).
    static func colourWanted(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        isTerminal: Bool = isatty(STDOUT_FILENO) == 1
    ) -> Bool {
        isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    func paint(_ text: String, _ colour: Colour) -> String {
        self.colour ? "\u{1B}[\(colour.rawValue)m\(text)\u{1B}[0m" : text
    }

    func paint(_ severity: Severity) -> String {
        switch severity {
        case .critical: return paint(severity.rawValue, .red)
        case .high: return paint(severity.rawValue, .yellow)
        default: return severity.rawValue
        }
    }

    /// `2026-11-29 14:05 CET`; in Chinese `2026年11月29日 14:05 CET`.
    func time(_ date: Date) -> String {
        localTime(date) + " " + (timeZone.abbreviation(for: date) ?? timeZone.identifier)
    }

    /// `2026-11-29 14:05`, without the zone, where a column has no room for it.
    func localTime(_ date: Date) -> String {
        let parts = localParts(date)
        return "\(day(date)) \(Self.twoDigits(parts.hour)):\(Self.twoDigits(parts.minute))"
    }

    /// `2026-11-29`; in Chinese `2026年11月29日`.
    func day(_ date: Date) -> String {
        let parts = localParts(date)
        if language.isChinese { return "\(parts.year ?? 0)年\(parts.month ?? 0)月\(parts.day ?? 0)日" }
        return "\(parts.year ?? 0)-\(Self.twoDigits(parts.month))-\(Self.twoDigits(parts.day))"
    }

    private func localParts(_ date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    }

    private static func twoDigits(_ value: Int?) -> String {
        let text = String(value ?? 0)
        return text.count < 2 ? "0" + text : text
    }

    /// `3h 12m ago`, `in 2d 4h`, `just now`.
    func relative(_ date: Date) -> String {
        let seconds = date.timeIntervalSince(now).rounded()
        guard abs(seconds) >= 60 else { return tr("just now") }
        return seconds < 0 ? tr("%s ago", span(date)) : tr("in %s", span(date))
    }

    /// How far `date` is from now, either way: `12m`, `3h 12m`, `2d 4h` (`2天4小时`).
    func span(_ date: Date) -> String {
        let magnitude = abs(Int(date.timeIntervalSince(now).rounded()))
        switch magnitude {
        case ..<3600: return tr("%sm", String(magnitude / 60))
        case ..<86_400: return tr("%sh %sm", String(magnitude / 3600), String(magnitude % 3600 / 60))
        default: return tr("%sd %sh", String(magnitude / 86_400), String(magnitude % 86_400 / 3600))
        }
    }

    /// `text` shortened or padded to `width` display columns.
    func fit(_ text: String, _ width: Int) -> String {
        DisplayWidth.pad(DisplayWidth.truncate(text, to: width), to: width)
    }

    /// `text` padded to `width` columns, never shortened: for what people type back.
    func pad(_ text: String, _ width: Int) -> String { DisplayWidth.pad(text, to: width) }

    func count(_ value: Int64) -> String {
        let digits = String(value)
        var result = ""
        for (index, char) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { result.append(",") }
            result.append(char)
        }
        return String(result.reversed())
    }

    /// The case file of one incident, as people read it.
    func incident(_ incident: Incident) -> String {
        var lines: [String] = []
        let head = "\(incident.reference)  "
        lines.append(head + fit(incident.title, max(12, width - DisplayWidth.of(head))).trimmingTrailingSpaces())
        var facts: [(String, String)] = [
            (tr("Phase"), tr("%s (since %s)", incident.phase.rawValue, time(incident.phaseEntered))),
            (tr("Severity"), paint(incident.severity)),
        ]
        if let category = incident.category { facts.append((tr("Category"), category.rawValue)) }
        if !incident.dataCategories.isEmpty {
            facts.append((tr("Data"), incident.dataCategories.map(\.rawValue).joined(separator: ", ")))
        }
        var affected: [String] = []
        if let people = incident.peopleAffected { affected.append(tr("%s people", count(people))) }
        if let records = incident.recordsAffected { affected.append(tr("%s records", count(records))) }
        if !affected.isEmpty { facts.append((tr("Affected"), affected.joined(separator: tr(", ")))) }
        if !incident.jurisdictions.isEmpty {
            facts.append((tr("Jurisdictions"), incident.jurisdictions.map(\.rawValue).joined(separator: ", ")))
        }
        facts.append(
            (
                tr("Reported"),
                tr("%s by %s (%s)", time(incident.reported), incident.reporter.name, relative(incident.reported))
            )
        )
        facts.append((tr("Aware"), time(incident.aware)))
        if let discovered = incident.discovered { facts.append((tr("Discovered"), time(discovered))) }
        facts.append((tr("Assignee"), incident.assignee ?? tr("nobody yet")))
        if incident.restricted {
            facts.append((tr("Restricted"), tr("yes: only assignees, managers and auditors see it")))
        }
        if let closed = incident.closed { facts.append((tr("Closed"), time(closed))) }
        if incident.legalHold == true {
            facts.append((tr("Legal hold"), paint(tr("yes: never purged until released"), .yellow)))
        }
        if let purged = incident.purged {
            facts.append((tr("Purged"), tr("%s: personal data removed after retention", time(purged))))
        }
        if incident.reportCount > 1 {
            let last = incident.lastReported.map { tr(", the latest %s", relative($0)) } ?? ""
            facts.append(
                (
                    tr("Reports"),
                    tr("%s with dedup key %s", count(Int64(incident.reportCount)), incident.dedupKey ?? "-") + last
                )
            )
        } else if let key = incident.dedupKey {
            facts.append((tr("Dedup key"), key))
        }
        let width = facts.map { DisplayWidth.of($0.0) }.max() ?? 0
        for (label, value) in facts { lines.append("  " + DisplayWidth.pad(label, to: width) + "  " + value) }
        lines.append("")
        for line in incident.description.split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append("  " + line)
        }
        return lines.joined(separator: "\n")
    }

    /// One line per incident, in columns.
    /// On a narrow screen the report time is given as an age, as kubectl does, so that the
    /// title keeps room.
    func table(_ incidents: [IncidentSummary]) -> String {
        guard !incidents.isEmpty else { return tr("No incidents match.") }
        func rows(_ when: (Date) -> String, _ heading: String) -> [[String]] {
            [[tr("REFERENCE"), tr("PHASE"), tr("SEVERITY"), heading, tr("ASSIGNEE"), tr("TITLE")]]
                + incidents.map { incident in
                    [
                        incident.reference.rawValue, incident.phase.rawValue, paint(incident.severity),
                        when(incident.reported), incident.assignee ?? "-", incident.title,
                    ]
                }
        }
        let full = rows(time, tr("REPORTED"))
        let fixed = (0..<5).map { column in full.map { DisplayWidth.of($0[column]) }.max() ?? 0 }.reduce(10, +)
        return columns(width - fixed >= 24 ? full : rows(relative, tr("AGE")))
    }

    /// Rows in columns two spaces apart, each as wide as its widest cell in display columns.
    /// The last column is free text (a title, a detail): it is shortened with `…` to fit the
    /// screen's width, never the columns before it, which hold what people type back
    /// (references, task ids).
    func columns(_ rows: [[String]]) -> String {
        let count = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < count - 1 {
                widths[index] = max(widths[index], DisplayWidth.of(cell))
            }
        }
        let fixed = widths.dropLast().reduce(0, +) + 2 * max(0, count - 1)
        let room = max(width - fixed, 12)
        return rows.map { row in
            row.enumerated().map { index, cell in
                index < row.count - 1
                    ? DisplayWidth.pad(cell, to: widths[index])
                    : (index == count - 1 ? DisplayWidth.truncate(cell, to: room) : cell)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    /// One line of `watch`:
    /// `2026-11-29 14:05 CET  INC-2026-000001  high  task.completed  by mia  task=contain  Title`.
    /// The severity is coloured on a terminal; instants in the event's data are shown as local
    /// times like the event's own.
    func event(_ event: WatchEvent) -> String {
        let details = event.data.sorted { $0.key < $1.key }.map { key, value in
            "\(key)=\(VarlinkJSON.parseInstant(value).map { time($0).replacingOccurrences(of: " ", with: "_") } ?? value)"
        }.joined(separator: " ")
        var line = "\(time(event.at))  \(event.reference)"
        if let severity = event.severity { line += "  " + paint(severity) }
        line += "  \(event.kind)"
        if let actor = event.actor { line += "  " + tr("by %s", actor) }
        if !details.isEmpty { line += "  \(details)" }
        // The title, last, is what gives way when the line would not fit, wholly if need be.
        let room = width - DisplayWidth.of(line) - 2
        return room < 8 ? line : (line + "  " + fit(event.title, room)).trimmingTrailingSpaces()
    }

    /// Pretty, stable JSON for `--json`.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = VarlinkJSON.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Parses the instants people type: RFC 3339; a date, or a date and time, in local time; and
/// the relative forms of `git log --since`: `now`, `today`, `yesterday` (local midnight), a
/// number of hours, days or weeks ago (`12h`, `7d`, `2w`), a month (`2026-11`) or a quarter
/// (`2026-Q3`), each naming its first day.
enum InstantParser {
    /// The forms, for error messages and help.
    static let forms = "2026-05-01, 2026-05-01T09:30, 7d (days ago), 2w, yesterday, 2026-11 or 2026-Q3"

    static func parse(_ text: String, now: Date = Date(), timeZone: TimeZone = .current) -> Date? {
        if let date = VarlinkJSON.parseInstant(text) { return date }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let word = text.lowercased()
        switch word {
        case "now": return now
        case "today": return calendar.startOfDay(for: now)
        case "yesterday": return calendar.date(byAdding: .day, value: -1, to: calendar.startOfDay(for: now))
        default: break
        }
        if let ago = ago(word) { return now.addingTimeInterval(-ago) }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard let datePart = parts.first, parts.count <= 2 else { return nil }
        let fields = datePart.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 2, let year = Int(fields[0]), fields[0].count == 4 else { return nil }
        var components = DateComponents(year: year, month: 1, day: 1, hour: 0, minute: 0)
        switch fields.count {
        case 2 where parts.count == 1:
            if let month = Int(fields[1]), (1...12).contains(month) {
                components.month = month
            } else if fields[1].uppercased().hasPrefix("Q"), let quarter = Int(fields[1].dropFirst()),
                (1...4).contains(quarter)
            {
                components.month = 3 * (quarter - 1) + 1
            } else {
                return nil
            }
        case 3:
            guard let month = Int(fields[1]), let day = Int(fields[2]) else { return nil }
            components.month = month
            components.day = day
            if parts.count == 2 {
                let hm = parts[1].split(separator: ":").compactMap { Int($0) }
                guard hm.count >= 2 else { return nil }
                components.hour = hm[0]
                components.minute = hm[1]
            }
        default:
            return nil
        }
        guard let date = calendar.date(from: components),
            calendar.component(.month, from: date) == components.month
        else { return nil }
        return date
    }

    /// `12h`, `7d`, `2w` as seconds.
    private static func ago(_ word: String) -> TimeInterval? {
        guard let unit = word.last, let count = Int(word.dropLast()), count >= 0 else { return nil }
        switch unit {
        case "h": return TimeInterval(count) * 3600
        case "d": return TimeInterval(count) * 86_400
        case "w": return TimeInterval(count) * 7 * 86_400
        default: return nil
        }
    }

    /// `text` as an instant, or a usage error naming `flag` and the forms it takes.
    static func instant(_ text: String, flag: String, now: Date = Date()) throws -> Date {
        guard let date = parse(text, now: now) else {
            throw CLIError("\(flag) \(text) is not a date or time; use \(forms).", status: .usage)
        }
        return date
    }
}

extension String {
    /// Without the spaces padding its end (a row whose last cells are empty).
    func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
