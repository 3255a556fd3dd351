import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export an incident's case file for a regulator or a third party.",
        discussion: """
            The facts, decisions with their reasons, tasks, the notification ledger and the
            timeline, in UTC, as Markdown or JSON. With --redact, e-mail addresses, phone, card,
            account and ID numbers and the names the case file knows are masked, for sharing
            outside the team (pattern-based: read it before you send it). Every export is
            audited, with whether it was redacted.

            Examples:
              incidentctl export INC-2026-000123 > INC-2026-000123.md
              incidentctl export INC-2026-000123 --redact --format json --output case.json
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The incident's reference.") var reference: String

    @Option(name: .long, help: "markdown (default) or json.") var format: IncidentsWire.ExportFormat = .markdown

    @Flag(name: .long, help: "Mask personal data.") var redact = false

    @Option(name: .long, help: "Write to this file (created readable by you only) instead of standard output.")
    var output: String?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.export,
            IncidentsWire.ExportParameters(reference: reference, format: format, redact: redact),
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        guard let output else {
            print(reply.document, terminator: "")
            return
        }
        guard
            FileManager.default.createFile(
                atPath: output,
                contents: Data(reply.document.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else {
            throw CLIError("Cannot write \(output); check the directory exists and you may write there.")
        }
        printError("Wrote the \(reply.redacted ? "redacted " : "")case file of \(reference) to \(output).")
    }
}

extension IncidentsWire.ExportFormat: ExpressibleByArgument {}
