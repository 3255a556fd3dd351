import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol
import Varlink

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export an incident's case file for a regulator or a third party.",
        discussion: """
            The facts, decisions with their reasons, tasks, the notification ledger and the
            timeline, in UTC, as Markdown or JSON. With --redact, e-mail addresses, phone,
            card, account and ID numbers and the names the case file knows are masked, for
            sharing outside the team (pattern-based: read it before you send it). Every
            export is audited, with whether it was redacted.

            --bundle writes one tar archive: the case file (Markdown and JSON), every notice
            sent, every evidence file and a SHA256SUMS manifest ('sha256sum -c' checks it).
            With --redact it holds the redacted case file and the manifest, no evidence.

            Examples:
              incidentctl export INC-2026-000123 > INC-2026-000123.md
              incidentctl export INC-2026-000123 --redact --format json --output case.json
              incidentctl export INC-2026-000123 --bundle INC-2026-000123.tar
            """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String

    @Option(name: .long, help: "markdown (default) or json.") var format: IncidentsWire.ExportFormat = .markdown

    @Flag(name: .long, help: "Mask personal data.") var redact = false

    @Option(name: .long, help: "Write to this file (created readable by you only) instead of standard output.")
    var output: String?

    @Option(name: .long, help: "Write a tar archive of the case file, notices and evidence (readable by you only).")
    var bundle: String?

    func validate() throws {
        if bundle != nil, output != nil { throw ValidationError("Give --bundle or --output, not both.") }
    }

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        if let bundle { return try writeBundle(of: reference, to: bundle) }
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

extension ExportCommand {
    /// The case file, its notices and its evidence in one tar archive under a directory named
    /// for the incident, with SHA256SUMS last. Written to a private temporary file that takes
    /// the name asked for only once every evidence file checked out.
    func writeBundle(of reference: IncidentReference, to path: String) throws {
        var connection = global.connection()
        func export(_ format: IncidentsWire.ExportFormat) throws -> String {
            try connection.call(
                Methods.Incidents.export,
                IncidentsWire.ExportParameters(reference: reference, format: format, redact: redact),
                retries: 2
            ).document
        }
        let markdown = try export(.markdown)
        let json = try export(.json)
        struct Contents: Decodable {
            var notices: [CaseFileExport.Notice]
            var evidence: [EvidenceItem]
        }
        let contents = try VarlinkJSON.decoder().decode(Contents.self, from: Data(json.utf8))
        let sink = try PrivateOutput(path: path)
        do {
            var tar = TarWriter(handle: sink.handle)
            var sums: [String] = []
            let directory = reference.rawValue + "/"
            let now = Date()
            func add(_ name: String, _ data: Data) throws {
                try tar.add(directory + name, data, modified: now)
                sums.append("\(ContentHasher.hex(of: data))  \(name)")
            }
            try add("case-file.md", Data(markdown.utf8))
            try add("case-file.json", Data(json.utf8))
            for notice in contents.notices {
                if let text = notice.text { try add("notices/\(notice.task).txt", Data(text.utf8)) }
            }
            var files = 0
            if !redact {
                for item in contents.evidence where item.purgedAt == nil {
                    let name = "evidence/\(item.label)-\(item.name)"
                    _ = try EvidenceDownload.stream(
                        socket: global.target,
                        reference,
                        item.number,
                        start: { try tar.begin(directory + name, size: $0.size, modified: $0.addedAt) },
                        chunk: { try tar.write($0) }
                    )
                    try tar.end()
                    sums.append("\(item.sha256)  \(name)")
                    files += 1
                }
            }
            try tar.add(directory + "SHA256SUMS", Data((sums.joined(separator: "\n") + "\n").utf8), modified: now)
            try tar.finish()
            try sink.keep()
            printError(
                "Wrote the \(redact ? "redacted " : "")case file of \(reference), \(contents.notices.count) notices "
                    + "and \(files) evidence files to \(path); check them with 'sha256sum -c SHA256SUMS'."
            )
        } catch {
            sink.discard()
            throw error
        }
    }
}

extension IncidentsWire.ExportFormat: ExpressibleByArgument {}
