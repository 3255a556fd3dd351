import ArgumentParser
import IncidentCore
import IncidentProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show open incidents by phase and by severity.",
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
            rows.append([severity.rawValue, String(reply.bySeverity[severity.rawValue] ?? 0)])
        }
        lines.append(output.columns(rows))
        if let oldest = reply.oldestOpen {
            lines.append("")
            lines.append(
                "Oldest open: \(oldest.reference) \(oldest.title) (reported \(output.relative(oldest.reported)))"
            )
        }
        return lines.joined(separator: "\n")
    }
}
