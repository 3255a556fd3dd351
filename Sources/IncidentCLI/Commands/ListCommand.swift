import ArgumentParser
import IncidentCore
import IncidentProtocol

/// The filters `list` and `watch` share.
struct FilterOptions: ParsableArguments {
    @Option(name: .long, help: "Only this phase (report, investigate, notify, closed); repeatable.")
    var phase: [Phase] = []

    @Option(name: .long, help: "Only this severity (untriaged, low, medium, high, critical); repeatable.")
    var severity: [Severity] = []

    @Flag(name: .long, help: "Only open incidents (not closed).")
    var open = false

    @Option(name: .long, help: "Only incidents assigned to this user.")
    var assignee: String?

    @Option(name: .long, help: "Only incidents run by this playbook.")
    var playbook: String?

    @Option(name: .long, help: "Only incidents in this jurisdiction (an ISO country code, US-XX or EU).")
    var jurisdiction: String?

    @Option(name: .long, help: "Only incidents whose title contains this text (any case).")
    var text: String?

    @Flag(name: .long, help: "Only incidents with an open task past its due time.")
    var overdue = false

    /// The wire form of the filter.
    func parameters() throws -> IncidentsWire.ListParameters {
        var parameters = IncidentsWire.ListParameters(
            phases: phase.isEmpty ? nil : phase,
            severities: severity.isEmpty ? nil : severity,
            openOnly: open ? true : nil,
            assignee: assignee,
            playbook: playbook,
            text: text,
            overdue: overdue ? true : nil
        )
        if let jurisdiction {
            guard let code = Jurisdiction(rawValue: jurisdiction) else {
                throw CLIError(
                    "--jurisdiction \(jurisdiction) is not an ISO country code (DE, FR), a US state (US-CA) or EU.",
                    status: .usage
                )
            }
            parameters.jurisdiction = code
        }
        return parameters
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List incidents, newest first.",
        discussion: """
            Examples:
              incidentctl list --open
              incidentctl list --phase investigate --severity high --severity critical
              incidentctl list --overdue --sort severity
              incidentctl list --jurisdiction DE --text payroll --assignee mia
              incidentctl list --since 2026-01-01 --limit 20 --after INC-2026-000120
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: FilterOptions

    @Option(name: .long, help: "Only incidents reported at or after this date or instant.")
    var since: String?

    @Option(name: .long, help: "newest (default), oldest, or severity (most severe first).")
    var sort: IncidentFilter.Sort = .newest

    @Option(name: .long, help: "At most this many (1 to 1000).")
    var limit: Int = 50

    @Option(name: .long, help: "Continue after this reference (printed at the end of the previous page).")
    var after: String?

    func run() throws {
        var parameters = try filter.parameters()
        parameters.sort = sort
        parameters.limit = limit
        if let since {
            parameters.since = try InstantParser.instant(since, flag: "--since")
        }
        if let after {
            guard let reference = IncidentReference(rawValue: after) else {
                throw CLIError("--after \(after) is not a reference like INC-2026-000123.", status: .usage)
            }
            parameters.after = reference
        }
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.list,
            parameters,
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        printOut(Output().table(reply.incidents))
        if let next = reply.next {
            printOut("More: the same command with --after \(next.rawValue)")
        }
    }
}

extension Phase: ExpressibleByArgument {}
extension Severity: ExpressibleByArgument {}
extension DataCategory: ExpressibleByArgument {}
extension IncidentCategory: ExpressibleByArgument {}
extension IncidentFilter.Sort: ExpressibleByArgument {}
