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
        var lines = [output.tr("Open incidents: %s", String(reply.open))]
        guard reply.open > 0 else { return lines.joined(separator: "\n") }
        lines += counts(reply, output: output)
        lines += section(output.tr("Overdue"), reply.overdue, output: output)
        lines += section(output.tr("Due in the next 24 h"), reply.dueSoon, output: output)
        lines += legalClocks(reply.owedNotifications ?? [], output: output)
        lines += section(output.tr("Your tasks"), reply.myTasks, output: output)
        return lines.joined(separator: "\n")
    }

    /// Open incidents by phase and by severity, and the oldest one.
    static func counts(_ reply: IncidentsWire.StatusReply, output: Output) -> [String] {
        var lines = [""]
        var rows: [[String]] = [[output.tr("PHASE"), output.tr("OPEN")]]
        for phase in Phase.allCases where phase.isOpen {
            rows.append([phase.rawValue, String(reply.byPhase[phase.rawValue] ?? 0)])
        }
        lines.append(output.columns(rows))
        lines.append("")
        rows = [[output.tr("SEVERITY"), output.tr("OPEN")]]
        for severity in Severity.allCases.reversed() {
            rows.append([output.paint(severity), String(reply.bySeverity[severity.rawValue] ?? 0)])
        }
        lines.append(output.columns(rows))
        if let oldest = reply.oldestOpen {
            lines.append("")
            let reported = " " + output.tr("(reported %s)", output.relative(oldest.reported))
            let head = output.tr("Oldest open: %s", oldest.reference.rawValue) + " "
            lines.append(
                head
                    + output.fit(oldest.title, max(12, output.width - DisplayWidth.of(head + reported)))
                    .trimmingTrailingSpaces()
                    + reported
            )
        }
        return lines
    }

    /// Where a task's clock stands, in a few words: paused, overdue, due, or no deadline.
    static func clockText(_ task: IncidentsWire.DueTask, output: Output) -> String {
        if task.paused == true {
            return task.pausedUntil.map { output.tr("paused, %s", output.day($0)) } ?? output.tr("paused")
        } else if let due = task.due {
            return due < output.now
                ? output.tr("overdue %s", output.span(due)) : output.tr("due %s", output.relative(due))
        }
        return output.tr("no deadline")
    }

    /// The clock column's width for `tasks`: their widest clock, 18 to 22 columns.
    static func clockWidth(_ tasks: some Sequence<IncidentsWire.DueTask>, output: Output) -> Int {
        min(22, max(18, tasks.map { DisplayWidth.of(clockText($0, output: output)) }.max() ?? 0))
    }

    /// The clock, `width` columns: paused (yellow), overdue (red), or due.
    static func clock(_ task: IncidentsWire.DueTask, width: Int, output: Output) -> String {
        let cell = output.fit(clockText(task, output: output), width)
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
        var lines = ["", output.paint(title + output.tr(" (%s)", String(tasks.count)), .bold)]
        // References and task ids are typed back, so they are never shortened: titles are.
        let labelWidth = max(34, tasks.prefix(limit).map { DisplayWidth.of("\($0.reference)  \($0.task)") }.max() ?? 0)
        let clockWidth = clockWidth(tasks.prefix(limit), output: output)
        for task in tasks.prefix(limit) {
            let label = "\(task.reference)  \(task.task)"
            let title =
                task.settledBy.map {
                    output.tr("possibly owed, settled by %s: ", $0.joined(separator: ", ")) + task.title
                }
                ?? task.title
            let room = max(12, output.width - 2 - labelWidth - 2 - clockWidth - 2)
            lines.append(
                ("  " + output.pad(label, labelWidth) + "  " + clock(task, width: clockWidth, output: output) + "  "
                    + output.fit(title, room)).trimmingTrailingSpaces()
            )
        }
        if tasks.count > limit { lines.append("  " + output.tr("… and %s more", String(tasks.count - limit))) }
        return lines
    }

    /// Every running legal clock, per incident: its task, where it stands, and its title,
    /// possibly owed ones with the facts that settle them; 80 columns.
    static func legalClocks(_ clocks: [IncidentsWire.DueTask], output: Output) -> [String] {
        guard !clocks.isEmpty else { return [] }
        var lines = ["", output.paint(output.tr("Legal clocks running (%s)", String(clocks.count)), .bold)]
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
            let clockWidth = clockWidth(own, output: output)
            for task in own {
                let what =
                    task.settledBy.map { output.tr("possibly owed, needs %s", $0.joined(separator: ", ")) }
                    ?? task.title
                let room = max(12, output.width - 4 - idWidth - 2 - clockWidth - 2)
                lines.append(
                    ("    " + output.pad(task.task, idWidth) + "  " + clock(task, width: clockWidth, output: output)
                        + "  "
                        + output.fit(what, room)).trimmingTrailingSpaces()
                )
            }
        }
        if order.count > 10 {
            lines.append(
                "  "
                    + output.tr(
                        "… and %s more incidents: %s",
                        String(order.count - 10),
                        "incidentctl list --overdue, incidentctl show REF"
                    )
            )
        }
        return lines
    }
}
