import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Where every open incident stands: by phase and severity, overdue, due in 24 h, notifications owed, your tasks.",
        discussion: "Example:\n  incidentctl status"
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        var connection = global.connection()
        let reply = try connection.call(
            "io.incidentd.Incidents.Status", IncidentsWire.StatusParameters(),
            as: IncidentsWire.StatusReply.self, retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        printOut(Self.render(reply, output: Output()))
    }

    static func render(_ reply: IncidentsWire.StatusReply, output: Output) -> String {
        var lines = ["Open incidents: \(reply.open)"]
        guard reply.open > 0 else { return lines.joined(separator: "\n") }
        lines.append("")
        var rows: [[String]] = [["PHASE", "OPEN"]]
        for phase in Phase.allCases where phase.isOpen {
            rows.append([phase.rawValue, String(reply.byPhase[phase.rawValue] ?? 0)])
        }
        lines.append(output.columns(rows))
        lines.append("")
        rows = [["SEVERITY", "OPEN"]]
        for severity in Severity.allCases.reversed() {
            rows.append([output.paint(severity), String(reply.bySeverity[severity.rawValue] ?? 0)])
        }
        lines.append(output.columns(rows))
        if let oldest = reply.oldestOpen {
            lines.append("")
            lines.append(
                "Oldest open: \(oldest.reference) \(oldest.title) (reported \(output.relative(oldest.reported)))"
            )
        }
        func section(_ title: String, _ tasks: [IncidentsWire.DueTask]?, limit: Int = 10) {
            guard let tasks, !tasks.isEmpty else { return }
            lines.append("")
            lines.append(output.paint("\(title) (\(tasks.count))", .bold))
            for task in tasks.prefix(limit) {
                let when: String
                if task.paused == true {
                    when = task.pausedUntil.map { "paused to \(output.time($0).prefix(10))" } ?? "paused"
                } else if let due = task.due {
                    when = due < output.now
                        ? "overdue \(output.relative(due).replacingOccurrences(of: " ago", with: ""))"
                        : "due \(output.relative(due))"
                } else {
                    when = "no deadline"
                }
                let label = "\(task.reference)  \(task.task)"
                let title = task.settledBy.map { "possibly owed, settled by \($0.joined(separator: ", ")): " + task.title } ?? task.title
                let whenCell = output.fit(when, 18)
                let painted = task.paused == true ? output.paint(whenCell, .yellow)
                    : task.due.map { $0 < output.now } == true ? output.paint(whenCell, .red) : whenCell
                lines.append(("  " + output.fit(label, 34) + "  " + painted + "  " + output.fit(title, 42)).trimmingTrailingSpaces())
            }
            if tasks.count > limit { lines.append("  … and \(tasks.count - limit) more") }
        }
        section("Overdue", reply.overdue)
        section("Due in the next 24 h", reply.dueSoon)
        section("Legal clocks running", reply.owedNotifications)
        section("Your tasks", reply.myTasks)
        return lines.joined(separator: "\n")
    }
}
