import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "How well the team did: times to acknowledge, contain and notify, and deadlines met.",
        discussion: """
            Over the incidents reported in the period that you may see: the median and 90th
            percentile of the time from report to acknowledgement, and from awareness to
            containment, to notifying the authority and to notifying the people affected; and
            the share of task deadlines met. All incidents first, then by playbook and severity.

            Dates are local: 2026-05-01, 2026-05-01T09:30, or relative as git takes them: 7d
            (days ago), 2w, yesterday, a month (2026-11) or a quarter (2026-Q3), each naming its
            first day.

            Examples:
              incidentctl stats
              incidentctl stats --since 2026-Q3 --until 2026-Q4
              incidentctl stats --since 7d --json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Incidents reported at or after this date or instant (default: 90d, 90 days ago).")
    var since: String = "90d"

    @Option(name: .long, help: "And before this date or instant (default: now).")
    var until: String?

    func run() throws {
        let now = Date()
        var parameters = IncidentsWire.StatsParameters(
            since: try InstantParser.instant(since, flag: "--since", now: now)
        )
        if let until { parameters.until = try InstantParser.instant(until, flag: "--until", now: now) }
        var connection = global.connection()
        let reply = try connection.call(Methods.Incidents.stats, parameters, retries: 2)
        printOut(global.json ? try Output.json(reply) : Output().statistics(reply))
    }
}

extension Output {
    /// The `stats` screen: one table, at most 100 columns.
    func statistics(_ reply: IncidentsWire.StatsReply) -> String {
        let total = reply.rows.first { $0.group == .all }?.incidents ?? 0
        var lines = ["Incidents reported \(time(reply.since)) to \(time(reply.until)): \(total)"]
        guard total > 0 else { return lines[0] }
        func timing(_ timing: IncidentStatistics.Timing) -> String {
            guard let median = timing.median, let p90 = timing.p90 else { return "-" }
            return "\(duration(median)) / \(duration(p90))"
        }
        func deadlines(_ row: IncidentStatistics) -> String {
            guard let share = row.deadlineShare else { return "-" }
            return "\(Int((share * 100).rounded()))% of \(row.deadlinesMet + row.deadlinesMissed)"
        }
        func cells(_ label: String, _ row: IncidentStatistics) -> [String] {
            [
                label, String(row.incidents), timing(row.acknowledge), timing(row.contain), timing(row.notifyAuthority),
                timing(row.notifyIndividuals), deadlines(row),
            ]
        }
        var rows: [[String]] = [["", "N", "ACKNOWLEDGE", "CONTAIN", "AUTHORITY", "INDIVIDUALS", "DEADLINES MET"]]
        for row in reply.rows where row.group == .all { rows.append(cells("All", row)) }
        for group in [IncidentStatistics.Group.playbook, .severity] {
            let members = reply.rows.filter { $0.group == group }
            guard !members.isEmpty else { continue }
            rows.append(["By \(group.rawValue)", "", "", "", "", "", ""])
            for row in members {
                rows.append(cells("  " + fit(row.key ?? "-", 22).trimmingCharacters(in: .whitespaces), row))
            }
        }
        lines.append("")
        lines.append(columns(rows))
        lines.append("")
        lines.append("Times are median / 90th percentile: acknowledge from the report; the others from awareness.")
        return lines.joined(separator: "\n")
    }

    /// `45s`, `35m`, `2h 10m`, `3d 4h`
    func duration(_ seconds: Double) -> String {
        let whole = max(0, Int(seconds.rounded()))
        switch whole {
        case ..<60: return "\(whole)s"
        case ..<3600: return "\(whole / 60)m"
        case ..<86_400: return whole % 3600 / 60 == 0 ? "\(whole / 3600)h" : "\(whole / 3600)h \(whole % 3600 / 60)m"
        default:
            return whole % 86_400 / 3600 == 0 ? "\(whole / 86_400)d" : "\(whole / 86_400)d \(whole % 86_400 / 3600)h"
        }
    }
}
