import ArgumentParser
import Testing

@testable import IncidentCLI

/// The options every command takes work before the command as after it, as in git and
/// systemctl: `incidentctl --socket PATH --json status`.
@Suite struct GlobalOptionTests {
    @Test(arguments: [
        (["--socket", "/run/x.sock", "--json", "status"], ["status", "--socket", "/run/x.sock", "--json"]),
        (
            ["--json", "task", "done", "INC-2026-000001", "triage"],
            ["task", "done", "--json", "INC-2026-000001", "triage"]
        ),
        (["--socket=/s", "notice", "check", "4", "t"], ["notice", "check", "--socket=/s", "4", "t"]),
        (["status", "--json"], ["status", "--json"]),
        (["--help"], ["--help"]),
        (["--json"], ["--json"]),
    ])
    func globalOptionsBeforeTheCommandMoveToJustAfterIt(given: [String], expected: [String]) {
        #expect(GlobalOptions.hoisted(given) == expected)
    }

    @Test func theHoistedArgumentsParseAsTheCommandWithItsOptions() throws {
        let parsed = try IncidentCtl.parseAsRoot(
            GlobalOptions.hoisted(["--socket", "/run/x.sock", "--json", "show", "INC-2026-000001"])
        )
        let show = try #require(parsed as? ShowCommand)
        #expect(show.global.socket == "/run/x.sock" && show.global.json)
    }
}
