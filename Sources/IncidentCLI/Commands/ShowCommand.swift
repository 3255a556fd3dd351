import ArgumentParser
import IncidentCore
import IncidentProtocol

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show the case file of one incident.",
        discussion: "Example:\n  incidentctl show INC-2026-000123"
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The incident's reference, such as INC-2026-000123.")
    var reference: String

    func run() throws {
        guard let reference = IncidentReference(rawValue: reference) else {
            throw CLIError("\(self.reference) is not a reference like INC-2026-000123.", status: .usage)
        }
        var connection = global.connection()
        let reply = try connection.call(
            "io.incidentd.Incidents.Get", IncidentsWire.GetParameters(reference: reference),
            as: WorkflowWire.CaseFileReply.self, retries: 2
        )
        printOut(global.json ? try Output.json(reply) : Output().caseFile(reply))
    }
}
