import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct BoardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "Write the board report: one HTML page of charts from the breach register.",
        discussion: """
            One self-contained HTML file (no scripts, fonts or images from elsewhere: it
            works offline, by e-mail, and printed to PDF) with charts drawn as SVG:
            incidents opened and closed per week, open incidents by phase, the hours to
            notify the authority against each legal deadline, deadlines met and missed by
            regime, incidents by category and by kind of data, and the open incidents with
            their next deadline. Greys and patterns, not only colours, tell series apart.
            Its language follows LANG (Chinese under zh_CN).

            It is drawn from the incidents reported in the period that you may read in
            full, fetched as the register is, and audited as such.

            Examples:
              incidentctl board > board.html
              incidentctl board --since 2026-Q3 --output board.html
              incidentctl board --since 1y --redact --output for-the-board.html
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Incidents reported at or after this date or instant (default: 90d, 90 days ago).")
    var since: String = "90d"

    @Option(name: .long, help: "And before this date or instant (default: now).")
    var until: String?

    @Flag(name: .long, help: "Mask personal data in titles.") var redact = false

    @Option(name: .long, help: "Write to this file (created readable by you only) instead of standard output.")
    var output: String?

    func run() throws {
        let now = Date()
        let start = try InstantParser.instant(since, flag: "--since", now: now)
        let register = try RegisterCommand.fetch(
            since: start,
            until: until.map { try InstantParser.instant($0, flag: "--until", now: now) },
            format: .board,
            redact: redact,
            global: global
        )
        let page = BoardReport(register: register, since: start, output: Output()).html()
        try PrivateOutput.write(Data(page.utf8), to: output)
        if let output {
            printError(
                Language.current.text(
                    "Wrote the board report (%s incidents) to %s.",
                    String(register.entries.count),
                    output
                )
            )
        }
    }
}
