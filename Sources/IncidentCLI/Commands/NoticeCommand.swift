import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct NoticeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notice",
        abstract: "Draft a notification task's notice and check it holds what the law requires.",
        discussion: """
            Examples:
              incidentctl notice check INC-2026-000123 gdpr-authority
              incidentctl notice draft INC-2026-000123 gdpr-authority
              incidentctl notice draft INC-2026-000123 pipl-individuals --lang zh-CN
              incidentctl notice draft INC-2026-000123 gdpr-authority --format markdown
              incidentctl notice show INC-2026-000123 gdpr-authority
            """,
        subcommands: [NoticeCheckCommand.self, NoticeDraftCommand.self, NoticeShowCommand.self]
    )
}

struct NoticeCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "List each element the law requires: present, missing, or allowed to follow later.",
        discussion: """
            Exits 1 while an element the first notice must hold is missing, so scripts can
            wait on it.

            Example:
              incidentctl notice check INC-2026-000123 gdpr-authority
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The notification task, as 'incidentctl show' lists it.", completion: Completions.tasks) var task:
        String
    @Option(name: .customLong("lang"), help: "Write the values in this language (en, zh-CN).") var language: String?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Notices.check,
            NoticesWire.CheckParameters(reference: reference, task: task, language: language),
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
        } else {
            printOut(Output().noticeCheck(reply, of: reference))
        }
        if !reply.complete { throw ExitCode(ExitStatus.failure.rawValue) }
    }
}

struct NoticeDraftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draft",
        abstract: "Write the notice from the case file as it stands.",
        discussion: """
            What is not yet known shows as a placeholder, such as [to be completed: …];
            'incidentctl notice check' says what supplies it.

            Examples:
              incidentctl notice draft INC-2026-000123 gdpr-authority > notice.txt
              incidentctl notice draft INC-2026-000123 pipl-individuals --lang zh-CN
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The notification task, as 'incidentctl show' lists it.", completion: Completions.tasks) var task:
        String
    @Option(name: .customLong("lang"), help: "A language the notice has (en, zh-CN); en by default.")
    var language: String?
    @Option(name: .long, help: "text (the default) or markdown.") var format: String?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        if let format, NoticeFormat(rawValue: format) == nil {
            throw CLIError("--format \(format) is not a format: give text or markdown.", status: .usage)
        }
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Notices.draft,
            NoticesWire.DraftParameters(reference: reference, task: task, language: language, format: format),
            retries: 2
        )
        if global.json { return printOut(try Output.json(reply)) }
        printOut(reply.text)
        let missing = reply.elements.filter { $0.status == "missing" }.map(\.id)
        if !missing.isEmpty {
            printError(
                "incidentctl: the notice lacks \(missing.joined(separator: ", ")); "
                    + "'incidentctl notice check \(reference) \(task)' says what supplies each."
            )
        }
    }
}

extension Output {
    /// Each element on a line of its own, what supplies a missing one below it, every line
    /// wrapped to 80 columns.
    func noticeCheck(_ reply: NoticesWire.CheckReply, of reference: IncidentReference) -> String {
        let missing = reply.elements.filter { $0.status == "missing" }.count
        let deferrable = reply.elements.filter { $0.status == "deferrable" }.count
        var lines = ["\(reply.task), a notice to the \(reply.recipient.rawValue), for \(reference):"]
        var summary = missing == 0 ? "holds every element the first notice needs" : "\(missing) missing"
        if deferrable > 0 { summary += "; \(deferrable) not yet known may follow later" }
        lines.append(summary + ".")
        lines.append("")
        let width = min(reply.elements.map(\.id.count).max() ?? 0, 24)
        for element in reply.elements {
            let mark = ["present": "ok", "missing": "MISSING", "deferrable": "later"][element.status] ?? element.status
            let head =
                "  " + mark.padding(toLength: 8, withPad: " ", startingAt: 0)
                + element.id.padding(toLength: width + 2, withPad: " ", startingAt: 0)
            lines += DisplayWidth.wrap(element.article, first: head, rest: String(repeating: " ", count: head.count))
            let indent = String(repeating: " ", count: 10)
            if element.status != "present", let supply = element.supply {
                lines += DisplayWidth.wrap(supply, first: indent + "→ ", rest: indent + "  ")
            }
            if element.status == "deferrable", let later = element.later {
                lines += DisplayWidth.wrap("may follow later (\(later))", first: indent + "  ", rest: indent + "  ")
            }
        }
        return lines.joined(separator: "\n")
    }
}

struct NoticeShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the notice a notification task sent, byte for byte, checked against its digest.",
        discussion: """
            The text goes to standard output exactly as it was sent; what it held goes to
            standard error. Exits 1 when the text no longer matches the ledger's digest.

            Example:
              incidentctl notice show INC-2026-000123 gdpr-authority > sent.txt
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The notification task.", completion: Completions.tasks) var task: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Notices.show,
            NoticesWire.ShowParameters(reference: reference, task: task),
            retries: 2
        )
        if global.json { return printOut(try Output.json(reply)) }
        guard reply.intact else {
            throw CLIError(
                "The notice \(task) of \(reference) no longer matches its digest \(reply.digest); "
                    + "report it to the incidentd administrator.",
                status: .failure
            )
        }
        FileHandle.standardOutput.write(Data(reply.text.utf8))
        var about = [
            "Sent to the \(reply.recipient.rawValue) by \(reply.by), \(reply.language), sha256 \(reply.digest)."
        ]
        if !reply.deferred.isEmpty {
            about.append("Left to a later notice: \(reply.deferred.keys.sorted().joined(separator: ", ")).")
        }
        printError(about.joined(separator: "\n"))
    }
}
