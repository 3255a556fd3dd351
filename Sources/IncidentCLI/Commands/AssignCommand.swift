import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct AssignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "Assign an incident to an investigator (managers).",
        discussion: """
            The assignee must be a user of the system who is an investigator or a manager
            (--force assigns another user of the system). Assigning also completes the
            current phase's open tasks that the playbook says assigning does (doneWhen:
            assigned), such as the acknowledgement that asks for an investigator.

            Examples:
              incidentctl assign INC-2026-000123 alice
              incidentctl assign INC-2026-000123 --nobody
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The incident's reference.", completion: Completions.references)
    var reference: String

    @Argument(help: "The user name to assign.")
    var assignee: String?

    @Flag(name: .long, help: "Remove the assignment.")
    var nobody = false

    @Option(name: .long, help: "Refuse if the incident changed since this version.")
    var ifVersion: Int?

    @Flag(name: .long, help: "Assign a user who is neither an investigator nor a manager.")
    var force = false

    func validate() throws {
        if (assignee == nil) == !nobody {
            throw ValidationError("Name one assignee, or pass --nobody to remove the assignment.")
        }
    }

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.assign,
            IncidentsWire.AssignParameters(
                reference: reference,
                assignee: assignee,
                version: ifVersion,
                force: force ? true : nil
            )
        )
        if global.json {
            printOut(try Output.json(reply))
        } else if let assignee = reply.incident.assignee {
            printOut("\(reference) is assigned to \(assignee).")
        } else {
            printOut("\(reference) is assigned to nobody.")
        }
    }
}

struct RestrictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restrict",
        abstract: "Restrict an incident to its assignee, managers and auditors (managers).",
        discussion: """
            Examples:
              incidentctl restrict INC-2026-000123
              incidentctl restrict INC-2026-000123 --lift
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The incident's reference.", completion: Completions.references)
    var reference: String

    @Flag(name: .long, help: "Lift the restriction.")
    var lift = false

    @Option(name: .long, help: "Refuse if the incident changed since this version.")
    var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.restrict,
            IncidentsWire.RestrictParameters(reference: reference, restricted: !lift, version: ifVersion)
        )
        if global.json {
            printOut(try Output.json(reply))
        } else {
            printOut(
                reply.incident.restricted
                    ? "\(reference) is restricted: only its assignee, managers and auditors see it."
                    : "\(reference) is no longer restricted."
            )
        }
    }
}

extension IncidentReference {
    /// Parses a reference typed on the command line, or says what one looks like.
    /// A reference as typed: in full (`INC-2026-000123`), or its number alone (`123`) for
    /// this year's incident with that number.
    static func parse(_ text: String, now: Date = Date()) throws(CLIError) -> IncidentReference {
        if let reference = IncidentReference(rawValue: text) { return reference }
        if !text.isEmpty, text.count <= 6, text.allSatisfy(\.isASCII), let number = Int(text), number > 0 {
            let year = Calendar(identifier: .gregorian).component(.year, from: now)
            let digits = String(number)
            if let reference = IncidentReference(
                rawValue: "INC-\(year)-" + String(repeating: "0", count: 6 - digits.count) + digits
            ) {
                return reference
            }
        }
        throw CLIError("\(text) is not a reference like INC-2026-000123 (or 123 for this year's).", status: .usage)
    }
}
