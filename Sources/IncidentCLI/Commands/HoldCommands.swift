import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct HoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Place a legal hold on an incident (admins): it is never purged until released.",
        discussion: """
            Example:
              incidentctl hold INC-2026-000123 \\
                  --reason "Litigation notice 2026-17 from Partner B"
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "Why it is held.") var reason: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.hold,
            IncidentsWire.HoldParameters(reference: reference, reason: reason)
        )
        printOut(
            global.json
                ? try Output.json(reply) : "\(reference) is on legal hold: it will not be purged until released."
        )
    }
}

struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Lift an incident's legal hold (admins); retention applies to it again.",
        discussion: "Example:\n  incidentctl release INC-2026-000123"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.release,
            IncidentsWire.GetParameters(reference: reference)
        )
        printOut(global.json ? try Output.json(reply) : "\(reference) is no longer on legal hold.")
    }
}
