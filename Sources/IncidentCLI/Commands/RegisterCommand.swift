import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Write the breach register: every incident, notified or not, one row each.",
        discussion: """
            The record GDPR Art. 33(5) and PIPEDA ask to be kept of every breach: for each
            incident reported in the period that you may read in full, its dates (aware,
            reported, contained, closed), category and data categories, the people and
            records affected per jurisdiction, each notifiability decision with its reason,
            each notification made (on time, or late and why), the root cause and what was
            done about it. Oldest first; times in UTC.

            CSV is RFC 4180 in UTF-8 with a byte-order mark, so Excel and LibreOffice open
            it with Chinese text intact; a cell a spreadsheet would run as a formula starts
            with an apostrophe. With --redact, free text is masked as in 'export --redact'.
            Every page the daemon sends is audited, with the references it held.

            Dates are local: 2026-05-01, 2026-05-01T09:30, or relative: 90d, 2w, a month
            (2026-11) or a quarter (2026-Q3).

            Examples:
              incidentctl register --output register.csv
              incidentctl register --since 2026-01-01 --format markdown
              incidentctl register --since 2026-Q3 --format json --redact
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Incidents reported at or after this date or instant (default: the first).")
    var since: String?

    @Option(name: .long, help: "And before this date or instant (default: now).")
    var until: String?

    @Option(name: .long, help: "How to write it.") var format: BreachRegister.Format = .csv

    @Flag(name: .long, help: "Mask personal data in free text.") var redact = false

    @Option(name: .long, help: "Write to this file (created readable by you only) instead of standard output.")
    var output: String?

    func run() throws {
        let now = Date()
        let format = global.json ? .json : format
        let register = try Self.fetch(
            since: since.map { try InstantParser.instant($0, flag: "--since", now: now) },
            until: until.map { try InstantParser.instant($0, flag: "--until", now: now) },
            format: IncidentsWire.RegisterFormat(rawValue: format.rawValue) ?? .json,
            redact: redact,
            global: global
        )
        let document = Data(try register.document(format).utf8)
        try PrivateOutput.write(document, to: output)
        if let output {
            printError(
                Language.current.text(
                    "Wrote the breach register (%s incidents) to %s.",
                    String(register.entries.count),
                    output
                )
            )
        }
    }
}

extension RegisterCommand {
    /// The register of the period, every page of it, each page against the same end so an
    /// incident filed meanwhile does not slip in.
    static func fetch(
        since: Date?,
        until: Date?,
        format: IncidentsWire.RegisterFormat,
        redact: Bool,
        global: GlobalOptions
    ) throws -> BreachRegister {
        var parameters = IncidentsWire.RegisterParameters(since: since, until: until, format: format, redact: redact)
        var connection = global.connection()
        var entries: [RegisterEntry] = []
        var reply: IncidentsWire.RegisterReply
        repeat {
            reply = try connection.call(Methods.Incidents.register, parameters, retries: 2)
            entries += reply.entries
            parameters.after = reply.next
            parameters.until = reply.until
        } while reply.next != nil
        return BreachRegister(
            entries: entries,
            since: reply.since,
            until: reply.until,
            exportedAt: Date(),
            exportedBy: NSUserName(),
            redacted: reply.redacted
        )
    }
}

extension BreachRegister.Format: ExpressibleByArgument {}
