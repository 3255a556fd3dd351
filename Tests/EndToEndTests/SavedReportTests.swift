import Foundation
import IncidentCore
import IncidentProtocol
import TestSupport
import Testing
import Varlink

/// A report is never lost: with the daemon down it is saved for its writer alone, and sent
/// once the daemon is back, with its idempotency key and the time it was written.
@Suite struct SavedReportTests {
    func ctl(_ arguments: [String], socket: String, state: String, input: String? = nil) async throws -> CommandResult {
        try await runCommand(
            Binaries.incidentctl,
            arguments + ["--socket", socket],
            input: input,
            environment: ["XDG_STATE_HOME": state, "INCIDENTD_CONTACT": "the privacy team on +49 30 1234"]
        )
    }

    /// A database whose daemon ran and stopped, leaving its socket path to the next one, and a
    /// state directory for the reports incidentctl saves meanwhile.
    func withDaemonDown(_ body: (TestDatabase, String, TemporaryDirectory) async throws -> Void) async throws {
        let state = try TemporaryDirectory(prefix: "saved")
        defer { state.remove() }
        try await withTestDatabase { database in
            let first = try await DaemonProcess(database: database)
            try await first.waitUntilReady()
            let socket = first.socketPath
            _ = await first.stop()
            try await body(database, socket, state)
        }
    }

    @Test func aReportFiledWhileTheDaemonIsDownIsSavedAndSentOnceItIsBack() async throws {
        try await withDaemonDown { database, socket, state in

            let down = try await ctl(
                ["report", "--title", "Laptop stolen from a car", "--description", "Unencrypted, with the CRM export"],
                socket: socket,
                state: state.path
            )
            #expect(down.status == 69, "\(down)")
            #expect(down.stderr.contains("Your report is saved in"), "\(down.stderr)")
            #expect(down.stderr.contains("tell the privacy team on +49 30 1234"), "who to call")
            #expect(down.stderr.contains("incidentctl report --resend"))
            let directory = state.appending("incidentctl/unsent")
            let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(files.count == 1)
            let mode = try FileManager.default.attributesOfItem(atPath: directory + "/" + files[0])[.posixPermissions]
            #expect(mode as? Int == 0o600, "readable by its writer only")
            #expect(
                try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int == 0o700
            )
            let noCopy = try await ctl(
                ["report", "--title", "t", "--description", "d", "--no-save"],
                socket: socket,
                state: state.path
            )
            #expect(noCopy.status == 69 && !noCopy.stderr.contains("saved"), "\(noCopy)")
            let written = Date()
            try await Task.sleep(for: .seconds(2))

            let second = try await DaemonProcess(database: database, socketPath: socket)
            defer { second.cleanUp() }
            try await second.waitUntilReady()
            let sent = try await ctl(["report", "--resend"], socket: socket, state: state.path)
            #expect(sent.status == 0 && sent.stdout.contains("Sent the saved report"), "\(sent)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
            let again = try await ctl(["report", "--resend"], socket: socket, state: state.path)
            #expect(again.stdout.contains("No saved reports to send."), "\(again)")

            let listed = try await ctl(["list", "--json"], socket: socket, state: state.path)
            let list = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(listed.stdout.utf8))
            #expect(list.incidents.count == 1, "exactly one incident")
            let reference = try #require(list.incidents.first?.reference)
            let shown = try await ctl(["show", reference.rawValue, "--json"], socket: socket, state: state.path)
            let file = try VarlinkJSON.decoder().decode(WorkflowWire.CaseFileReply.self, from: Data(shown.stdout.utf8))
            #expect(file.incident.aware < written, "aware is when it was written, not when it was sent")
            #expect(file.incident.reported > written)

            // A script's report with the daemon down also keeps a copy; the next report sent
            // sends it first.
            _ = await second.stop()
            let piped = try await ctl(
                ["report", "--from-file", "-"],
                socket: socket,
                state: state.path,
                input: "title: From a script\ndescription: DLP rule 7\n"
            )
            #expect(piped.status == 69 && piped.stderr.contains("saved"), "\(piped)")
            let third = try await DaemonProcess(database: database, socketPath: socket)
            defer { third.cleanUp() }
            try await third.waitUntilReady()
            let next = try await ctl(
                ["report", "--title", "Next", "--description", "d"],
                socket: socket,
                state: state.path
            )
            #expect(next.status == 0 && next.stdout.contains("Sent the saved report"), "\(next)")
            let all = try await ctl(["list", "--json"], socket: socket, state: state.path)
            let incidents = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(all.stdout.utf8))
            #expect(Set(incidents.incidents.map(\.title)) == ["Laptop stolen from a car", "From a script", "Next"])
        }
    }

    /// Any command that reaches incidentd sends what was saved, on standard error, so that a
    /// script's JSON on standard output stays whole.
    @Test func theNextSuccessfulCommandSendsWhatWasSaved() async throws {
        try await withDaemonDown { database, socket, state in
            let down = try await ctl(
                ["report", "--title", "USB stick lost", "--description", "payroll export"],
                socket: socket,
                state: state.path
            )
            #expect(down.status == 69, "\(down)")
            let refused = try await ctl(["status"], socket: socket, state: state.path)
            #expect(refused.status == 69 && !refused.stderr.contains("Sent the saved"), "\(refused)")

            let second = try await DaemonProcess(database: database, socketPath: socket)
            defer { second.cleanUp() }
            try await second.waitUntilReady()
            let listed = try await ctl(["list", "--json"], socket: socket, state: state.path)
            #expect(listed.status == 0 && listed.stderr.contains("Sent the saved report written"), "\(listed)")
            _ = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(listed.stdout.utf8))
            let saved = try FileManager.default.contentsOfDirectory(atPath: state.appending("incidentctl/unsent"))
            #expect(saved.isEmpty, "sent, so no longer kept")
            let again = try await ctl(["list", "--json"], socket: socket, state: state.path)
            #expect(!again.stderr.contains("Sent"), "sent once: \(again.stderr)")
            let list = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(again.stdout.utf8))
            #expect(list.incidents.map(\.title) == ["USB stick lost"], "exactly one incident")
        }
    }

    /// On a terminal (a pty from script(1)), a title over the limit is re-asked, and what was
    /// typed starts the description.
    @Test func anInteractiveTitleTooLongIsAskedAgainAndKept() async throws {
        try await withDaemon { daemon, _ in
            let long = String(repeating: "A very long title ", count: 15)
            let result = try await runCommand(
                "/usr/bin/script",
                ["-qec", "\(Binaries.incidentctl) report --socket \(daemon.socketPath)", "/dev/null"],
                input: "\(long)\nCard export left on a share\nFound by the DLP scan\n"
            )
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("(at most 200 characters)"), "\(result.stdout)")
            #expect(result.stdout.contains("a title has at most 200"), "\(result.stdout)")
            let shown = try await daemon.ctl(["list", "--json"])
            let list = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(shown.stdout.utf8))
            #expect(list.incidents.map(\.title) == ["Card export left on a share"])
            let reference = try #require(list.incidents.first?.reference.rawValue)
            let file = try await daemon.ctl(["show", reference])
            #expect(
                file.stdout.contains("A very long title A very long title"),
                "the long title is kept: \(file.stdout)"
            )
            #expect(file.stdout.contains("Found by the DLP scan"))
        }
    }
}
