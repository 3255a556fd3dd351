import ArgumentParser
import IncidentCore
import IncidentProtocol

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the case file of one incident.",
        discussion: """
            The header and facts, decisions with their reasons, tasks by phase with due and
            overdue marks, the notification ledger, and the latest events (all of them:
            incidentctl timeline).

            Example:
              incidentctl show INC-2026-000123
            """
    )

    /// How many of the latest events the case file ends with.
    static let latestEvents = 10

    @OptionGroup var global: GlobalOptions

    @Argument(
        help: "The incident's reference, such as INC-2026-000123, or 123 for this year's.",
        completion: Completions.references
    )
    var reference: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.get,
            IncidentsWire.GetParameters(reference: reference),
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        let output = Output()
        var text = output.caseFile(reply)
        // A reporter's view has no tasks, and no timeline either.
        if reply.tasks != nil,
            let timeline = try? connection.call(
                Methods.Incidents.timeline,
                WorkflowWire.TimelineParameters(reference: reference, latest: Self.latestEvents),
                retries: 2
            ), !timeline.events.isEmpty
        {
            let total = timeline.total ?? timeline.events.count
            let heading =
                total > timeline.events.count
                ? "Latest events (\(timeline.events.count) of \(total); all: incidentctl timeline \(reference))"
                : "Events"
            text +=
                "\n\n\(heading)\n"
                + output.timeline(timeline.events).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        }
        printOut(text)
    }
}
