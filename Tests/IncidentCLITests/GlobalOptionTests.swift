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
        (["--host", "alice@srv", "report", "-"], ["report", "--host", "alice@srv", "-"]),
        (["--host=srv:/run/i.sock", "list"], ["list", "--host=srv:/run/i.sock"]),
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

    @Test(arguments: [
        ("srv", "srv", nil), ("alice@srv.example", "alice@srv.example", nil),
        ("srv:/run/incidentd/incidentd.sock", "srv", "/run/incidentd/incidentd.sock"),
    ])
    func aHostNamesTheDestinationAndTheSocketThere(text: String, destination: String, socket: String?) throws {
        let target = try #require(RemoteTarget(text))
        #expect(target.destination == destination && target.socket == socket)
        #expect(RemoteTarget(path: target.path) == target)
        #expect(target.command(environment: [:]).prefix(4) == ["ssh", "-T", "--", destination])
    }

    @Test(arguments: ["", "-oProxyCommand=sh", "srv:relative.sock", "a b", "srv;rm"])
    func aHostThatCouldBeAnOptionOrAShellWordIsRefused(text: String) {
        #expect(RemoteTarget(text) == nil)
    }
}
