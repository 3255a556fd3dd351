import Foundation
import IncidentCore
import IncidentProtocol
import TestSupport
import Testing
import Varlink

/// incidentctl over SSH: `--host` runs `ssh HOST incidentctl bridge` and works as locally.
/// Here `INCIDENTD_SSH` names a stand-in for ssh that drops its options and the destination
/// and runs the command on this machine, so the bridge, the socket pair and every command
/// are the real ones; only the SSH transport is not.
@Suite struct BridgeTests {
    /// A stand-in for ssh: records the destination, then runs the remote command here.
    static func fakeSSH(in directory: TemporaryDirectory) throws -> String {
        let path = directory.appending("fake-ssh")
        try """
        #!/bin/sh
        while [ $# -gt 0 ]; do case "$1" in --) shift; break ;; -*) shift ;; *) break ;; esac; done
        echo "$1" >> "\(directory.appending("destinations"))"
        shift
        exec "$@"
        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        chmod(directory.path, 0o755)
        return path
    }

    static func environment(ssh: String, state: TemporaryDirectory) -> [String: String] {
        [
            "INCIDENTD_SSH": ssh, "PATH": Binaries.directory.path + ":/usr/bin:/bin",
            "XDG_STATE_HOME": state.appending("state"), "HOME": state.path,
        ]
    }

    @Test func everyCommandWorksOverTheBridgeAsLocally() async throws {
        let directory = try TemporaryDirectory(prefix: "bridge")
        defer { directory.remove() }
        let ssh = try Self.fakeSSH(in: directory)
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let config = directory.appending("incidentd.yaml")
        try "roles:\n  users:\n    \(user): [manager, investigator]\n".write(
            toFile: config,
            atomically: true,
            encoding: .utf8
        )
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in
            let environment = Self.environment(ssh: ssh, state: directory)
            func remote(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
                try await runCommand(
                    Binaries.incidentctl,
                    ["--host", "staff@incidents.example:\(daemon.socketPath)"] + arguments,
                    input: input,
                    environment: environment
                )
            }
            let filed = try await remote(["report", "--title", "Seen on my laptop", "--description", "d", "--json"])
            #expect(filed.status == 0, "\(filed)")
            let reply = try VarlinkJSON.decoder().decode(IncidentsWire.ReportReply.self, from: Data(filed.stdout.utf8))
            let reference = reply.incident.reference.rawValue
            #expect(reply.incident.reporter.name == user, "the daemon sees the account the bridge runs as")
            #expect(
                try String(contentsOfFile: directory.appending("destinations"), encoding: .utf8)
                    .contains("staff@incidents.example"),
                "ssh was given the destination"
            )
            let shown = try await remote(["show", reference])
            #expect(shown.status == 0 && shown.stdout.contains("Seen on my laptop"), "\(shown)")
            #expect(try await remote(["show", "INC-2026-999999"]).status == 3, "exit statuses are the daemon's")
            // An upload in chunks, and a streamed download, through the bridge.
            let bytes = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let file = directory.appending("capture.bin")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let added = try await remote(["evidence", "add", reference, file])
            #expect(added.status == 0, "\(added)")
            let back = directory.appending("capture.out")
            #expect(try await remote(["evidence", "get", reference, "E1", "-o", back]).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == Data(bytes))
            // INCIDENTD_HOST does as --host.
            var viaVariable = environment
            viaVariable["INCIDENTD_HOST"] = "incidents.example:\(daemon.socketPath)"
            let listed = try await runCommand(Binaries.incidentctl, ["list"], environment: viaVariable)
            #expect(listed.status == 0 && listed.stdout.contains(reference), "\(listed)")
        }
    }

    @Test func theBridgeRelaysTheDaemonsOwnErrorsAndRefusesATerminal() async throws {
        try await withDaemon { daemon, _ in
            let garbage = try await runCommand(
                Binaries.incidentctl,
                ["bridge", "--socket", daemon.socketPath],
                input: "{not json\u{0}"
            )
            #expect(garbage.status == 0, "\(garbage)")
            #expect(garbage.stdout.contains("io.incidentd.MalformedMessage"), "the daemon's error: \(garbage.stdout)")
            let call = #"{"method":"io.incidentd.Incidents.Status","parameters":{}}"#
            let status = try await runCommand(
                Binaries.incidentctl,
                ["bridge", "--socket", daemon.socketPath],
                input: call + "\u{0}"
            )
            #expect(status.stdout.contains("\"open\":0"), "\(status.stdout)")
            let terminal = try await runCommand(
                "/usr/bin/script",
                ["-qec", "\(Binaries.incidentctl) bridge --socket \(daemon.socketPath)", "/dev/null"],
                input: ""
            )
            #expect(terminal.stdout.contains("is for programs"), "\(terminal)")
        }
    }

    @Test func anSSHFailureIsNamedAndTheReportIsKept() async throws {
        let state = try TemporaryDirectory(prefix: "bridge")
        defer { state.remove() }
        let failed = try await runCommand(
            Binaries.incidentctl,
            ["--host", "unreachable.example", "report", "--title", "t", "--description", "d"],
            environment: Self.environment(ssh: "/bin/false", state: state)
        )
        #expect(failed.status == 69, "\(failed)")
        #expect(failed.stderr.contains("Could not reach incidentd on unreachable.example over SSH"), "\(failed.stderr)")
        #expect(failed.stderr.contains("Your report is saved"), "\(failed.stderr)")
        let missing = try await runCommand(
            Binaries.incidentctl,
            ["--host", "h.example", "status"],
            environment: Self.environment(ssh: "/nonexistent/ssh", state: state)
        )
        #expect(missing.status == 69 && missing.stderr.contains("cannot run /nonexistent/ssh"), "\(missing)")
    }
}
