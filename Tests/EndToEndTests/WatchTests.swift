import Foundation
import IncidentProtocol
import TestSupport
import Testing
import Varlink

/// `incidentctl watch`: a live stream through Varlink `more`, filtered, surviving restarts.
@Suite struct WatchTests {
    @Test func watchShowsEventsFiledByAnotherClientAndResumesAfterARestart() async throws {
        try await withTestDatabase { database in
            let daemon = try await DaemonProcess(database: database, arguments: ["--log-level", "info"])
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            _ = try await daemon.ctl(["report", "--title", "Before the watch", "--description", "d"])

            let everything = try await BackgroundCommand(
                Binaries.incidentctl,
                ["watch", "--socket", daemon.socketPath]
            )
            defer { everything.stop() }
            let critical = try await BackgroundCommand(
                Binaries.incidentctl,
                ["watch", "--severity", "critical", "--json", "--socket", daemon.socketPath]
            )
            defer { critical.stop() }
            #expect(
                await everything.waitFor { _, stderr in stderr.contains("Watching events") },
                "\(everything.stderr)"
            )
            // The JSON watcher prints no banner; give it a moment to start its stream.
            try await Task.sleep(for: .milliseconds(500))

            let low = try await daemon.ctl([
                "report", "--title", "Printer queue leaked", "--description", "d", "--severity", "low",
            ])
            let high = try await daemon.ctl([
                "report", "--title", "Card data exposed", "--description", "d", "--severity", "critical",
            ])
            #expect(low.status == 0 && high.status == 0)
            #expect(
                await everything.waitFor { stdout, _ in stdout.contains("Card data exposed") },
                "\(everything.stdout)"
            )
            #expect(everything.stdout.contains("incident.reported  by "), "\(everything.stdout)")
            #expect(everything.stdout.contains("Printer queue leaked"))
            // Only new events, unless asked to resume: what was filed before is not replayed. (The
            // scheduler's due-soon alerts for it are new events, and may come in a slow run.)
            let replayed = everything.stdout.split(separator: "\n").filter {
                $0.contains("Before the watch") && !$0.contains("by incidentd")
            }
            #expect(replayed.isEmpty, "\(everything.stdout)")

            #expect(await critical.waitFor { stdout, _ in stdout.contains("Card data exposed") }, "\(critical.stdout)")
            #expect(!critical.stdout.contains("Printer queue leaked"), "the filter applies")
            let line = try #require(critical.stdout.split(separator: "\n").first)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["kind"] as? String == "incident.reported")
            #expect((object["reference"] as? String)?.hasPrefix("INC-") == true)

            // The daemon restarts: watch says so, reconnects, and shows what happened since.
            await daemon.stop()
            #expect(
                await everything.waitFor { _, stderr in stderr.contains("Lost the connection") },
                "\(everything.stderr)"
            )
            let restarted = try await DaemonProcess(database: database, socketPath: daemon.socketPath)
            defer { restarted.cleanUp() }
            try await restarted.waitUntilReady()
            #expect(
                await everything.waitFor { _, stderr in stderr.contains("Reconnected to incidentd") },
                "\(everything.stderr)"
            )
            _ = try await restarted.ctl(["report", "--title", "After the restart", "--description", "d"])
            #expect(
                await everything.waitFor { stdout, _ in stdout.contains("After the restart") },
                "\(everything.stdout)"
            )
            #expect(everything.isRunning)
        }
    }

    @Test func aQuietWatchOutlivesTheIdleTimeoutAndWatchWithoutMoreIsRefused() async throws {
        let directory = try TemporaryDirectory(prefix: "iwatch")
        defer { directory.remove() }
        let config = directory.appending("incidentd.yaml")
        try "idleTimeoutSeconds: 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in
            let watch = try await BackgroundCommand(Binaries.incidentctl, ["watch", "--socket", daemon.socketPath])
            defer { watch.stop() }
            #expect(await watch.waitFor { _, stderr in stderr.contains("Watching events") })
            try await Task.sleep(for: .seconds(3))
            #expect(
                !watch.stderr.contains("Lost the connection"),
                "keep-alives hold a quiet watch open: \(watch.stderr)"
            )
            _ = try await daemon.ctl(["report", "--title", "Quiet no more", "--description", "d"])
            #expect(await watch.waitFor { stdout, _ in stdout.contains("Quiet no more") }, "\(watch.stdout)")

            let client = try VarlinkClient(path: daemon.socketPath)
            let reply = try client.call(VarlinkCall(method: Methods.Incidents.watch.name))
            #expect(reply.error == "org.varlink.service.ExpectedMore", "\(reply)")
        }
    }
}
