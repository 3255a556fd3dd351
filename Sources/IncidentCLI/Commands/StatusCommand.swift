import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Where every open incident stands: by phase and severity, overdue, due in 24 h, notifications owed, your tasks.",
        discussion: "Example:\n  incidentctl status"
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.status,
            IncidentsWire.StatusParameters(),
            retries: 2
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
        lines += counts(reply, output: output)
        lines += section("Overdue", reply.overdue, output: output)
        lines += section("Due in the next 24 h", reply.dueSoon, output: output)
        lines += legalClocks(reply.owedNotifications ?? [], output: output)
        lines += section("Your tasks", reply.myTasks, output: output)
        return lines.joined(separator: "\n")
    }

    /// Open incidents by phase and by severity, and the oldest one.
    static func counts(_ reply: IncidentsWire.StatusReply, output: Output) -> [String] {
        var lines = [""]
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
            let reported = " (reported \(output.relative(oldest.reported)))"
            let head = "Oldest open: \(oldest.reference) "
            lines.append(
                head
                    + output.fit(oldest.title, max(12, output.width - DisplayWidth.of(head + reported)))
                    .trimmingTrailingSpaces()
                    + reported
            )
        }
        return lines
    }

    /// Where a task's clock stands, 18 columns: paused (yellow), overdue (red), or due.
    static func clock(_ task: IncidentsWire.DueTask, output: Output) -> String {
        let when: String
        if task.paused == true {
            when = task.pausedUntil.map { "paused, \(output.time($0).prefix(10))" } ?? "paused"
        } else if let due = task.due {
            when =
                due < output.now
                ? "overdue \(output.relative(due).replacingOccurrences(of: " ago", with: ""))"
                : "due \(output.relative(due))"
        } else {
            when = "no deadline"
        }
        let cell = output.fit(when, 18)
        if task.paused == true { return output.paint(cell, .yellow) }
        return task.due.map { $0 < output.now } == true ? output.paint(cell, .red) : cell
    }

    /// A titled list of tasks, at most `limit` of them.
    static func section(
        _ title: String,
        _ tasks: [IncidentsWire.DueTask]?,
        limit: Int = 10,
        output: Output
    ) -> [String] {
        guard let tasks, !tasks.isEmpty else { return [] }
        var lines = ["", output.paint("\(title) (\(tasks.count))", .bold)]
        // References and task ids are typed back, so they are never shortened: titles are.
        let labelWidth = max(34, tasks.prefix(limit).map { DisplayWidth.of("\($0.reference)  \($0.task)") }.max() ?? 0)
        for task in tasks.prefix(limit) {
            let label = "\(task.reference)  \(task.task)"
            let title =
                task.settledBy.map { "possibly owed, settled by \($0.joined(separator: ", ")): " + task.title }
                ?? task.title
            let room = max(12, output.width - 2 - labelWidth - 2 - 18 - 2)
            lines.append(
                ("  " + output.pad(label, labelWidth) + "  " + clock(task, output: output) + "  "
                    + output.fit(title, room)).trimmingTrailingSpaces()
            )
        }
        if tasks.count > limit { lines.append("  … and \(tasks.count - limit) more") }
        return lines
    }

    /// Every running legal clock, per incident: its task, where it stands, and its title,
    /// possibly owed ones with the facts that settle them; 80 columns.
    static func legalClocks(_ clocks: [IncidentsWire.DueTask], output: Output) -> [String] {
        guard !clocks.isEmpty else { return [] }
        var lines = ["", output.paint("Legal clocks running (\(clocks.count))", .bold)]
        var order: [IncidentReference] = []
        for clock in clocks where !order.contains(clock.reference) { order.append(clock.reference) }
        for reference in order.prefix(10) {
            let own = clocks.filter { $0.reference == reference }
            lines.append(
                "  " + reference.rawValue + "  "
                    + output.fit(own[0].incidentTitle, max(12, output.width - 4 - DisplayWidth.of(reference.rawValue)))
                    .trimmingTrailingSpaces()
            )
            let idWidth = max(20, own.map { DisplayWidth.of($0.task) }.max() ?? 0)
            for task in own {
                let what = task.settledBy.map { "possibly owed, needs \($0.joined(separator: ", "))" } ?? task.title
                let room = max(12, output.width - 4 - idWidth - 2 - 18 - 2)
                lines.append(
                    ("    " + output.pad(task.task, idWidth) + "  " + clock(task, output: output) + "  "
                        + output.fit(what, room)).trimmingTrailingSpaces()
                )
            }
        }
        if order.count > 10 {
            lines.append(
                "  … and \(order.count - 10) more incidents: incidentctl list --overdue, incidentctl show REF"
            )
        }
        return lines
    }
}
