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
            containment, to notifying the authority and to notifying the people affected;
            and the share of task deadlines met. All incidents first, then by playbook and
            severity.

            Dates are local: 2026-05-01, 2026-05-01T09:30, or relative as git takes them: 7d
            (days ago), 2w, yesterday, a month (2026-11) or a quarter (2026-Q3), each naming
            its first day.

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
    /// The `stats` screen: one table, a row per group with each time as median / 90th
    /// percentile; where that does not fit the screen, the 90th percentiles go on a line of
    /// their own under the medians, with shorter headings.
    func statistics(_ reply: IncidentsWire.StatsReply) -> String {
        let total = reply.rows.first { $0.group == .all }?.incidents ?? 0
        let heading = tr("Incidents reported %s to %s: %s", time(reply.since), time(reply.until), String(total))
        guard total > 0 else { return heading }
        func deadlines(_ row: IncidentStatistics) -> String {
            guard let share = row.deadlineShare else { return "-" }
            return tr(
                "%s%% of %s",
                String(Int((share * 100).rounded())),
                String(row.deadlinesMet + row.deadlinesMissed)
            )
        }
        func timings(_ row: IncidentStatistics) -> [IncidentStatistics.Timing] {
            [row.acknowledge, row.contain, row.notifyAuthority, row.notifyIndividuals]
        }
        func cell(_ value: Double?) -> String { value.map(duration) ?? "-" }
        // Every group: all incidents, then by playbook and by severity, with its label.
        var groups: [(label: String, row: IncidentStatistics?)] = []
        for row in reply.rows where row.group == .all { groups.append((tr("All"), row)) }
        for group in [IncidentStatistics.Group.playbook, .severity] {
            let members = reply.rows.filter { $0.group == group }
            guard !members.isEmpty else { continue }
            groups.append((tr(group == .playbook ? "By playbook" : "By severity"), nil))
            for row in members { groups.append(("  " + (row.key ?? "-"), row)) }
        }
        func label(_ text: String, _ limit: Int) -> String {
            DisplayWidth.truncate(text, to: limit).trimmingTrailingSpaces()
        }
        // The table: a row per group, each time as median / 90th percentile; `narrow`: the 90th
        // percentiles on a line under the medians, with shorter headings.
        func rows(narrow: Bool) -> String {
            var rows: [[String]] = [
                narrow
                    ? ["", "N", tr("ACK"), tr("CONTAIN"), tr("AUTHORITY"), tr("PEOPLE"), tr("ON TIME")]
                    : [
                        "", "N", tr("ACKNOWLEDGE"), tr("CONTAIN"), tr("AUTHORITY"), tr("INDIVIDUALS"),
                        tr("DEADLINES MET"),
                    ]
            ]
            for (text, row) in groups {
                guard let row else {
                    rows.append([text, "", "", "", "", "", ""])
                    continue
                }
                let times = timings(row)
                guard narrow else {
                    let cells = times.map {
                        $0.median == nil || $0.p90 == nil ? "-" : "\(cell($0.median)) / \(cell($0.p90))"
                    }
                    rows.append([label(text, 24), String(row.incidents)] + cells + [deadlines(row)])
                    continue
                }
                rows.append(
                    [label(text, 22), String(row.incidents)] + times.map { cell($0.median) } + [deadlines(row)]
                )
                if times.contains(where: { $0.median != nil }) {
                    rows.append(["", ""] + times.map { $0.median == nil ? "" : cell($0.p90) } + [""])
                }
            }
            return columns(rows)
        }
        var table = rows(narrow: false)
        var note = tr("Times are median / 90th percentile: acknowledge from the report; the others from awareness.")
        if table.split(separator: "\n").contains(where: { DisplayWidth.of($0) > width }) {
            table = rows(narrow: true)
            note = tr(
                "Times are the median, and under it the 90th percentile: acknowledge from the report; the others from awareness."
            )
        }
        let lines =
            DisplayWidth.wrap(heading, first: "", rest: "  ", width: width) + ["", table, ""]
            + DisplayWidth.wrap(note, first: "", rest: "", width: width)
        return lines.joined(separator: "\n")
    }

    /// `45s`, `35m`, `2h 10m`, `3d 4h`
    func duration(_ seconds: Double) -> String {
        let whole = max(0, Int(seconds.rounded()))
        switch whole {
        case ..<60: return tr("%ss", String(whole))
        case ..<3600: return tr("%sm", String(whole / 60))
        case ..<86_400:
            let (hours, minutes) = (String(whole / 3600), String(whole % 3600 / 60))
            return whole % 3600 / 60 == 0 ? tr("%sh", hours) : tr("%sh %sm", hours, minutes)
        default:
            let (days, hours) = (String(whole / 86_400), String(whole % 86_400 / 3600))
            return whole % 86_400 / 3600 == 0 ? tr("%sd", days) : tr("%sd %sh", days, hours)
        }
    }
}
