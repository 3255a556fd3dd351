import Foundation
import Postgres
import TestSupport
import Testing

/// PostgreSQL notifications wake the hook dispatcher and `watch` for work any daemon committed,
/// so neither waits for its poll. The polls here are ten minutes: only a notification can
/// explain what the tests see within a minute.
@Suite struct WakeUpTests {
    @Test func aDeliveryAnotherDaemonQueuedRunsWithoutWaitingForThePoll() async throws {
        let setup = try HookTests.Setup(
            hooks: """
                  - name: record
                    exec: [$DIR/record.sh]
                    events: [incident.reported, incident.updated]
                """,
            pollMilliseconds: 600_000
        )
        defer { setup.directory.remove() }
        try setup.script("record.sh", "cat >> $DIR/payloads; echo >> $DIR/payloads\n")
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            #expect(try await daemon.ctl(["report", "--title", "Wake-up", "--description", "d"]).status == 0)
            // This daemon rang its own doorbell for its own report.
            #expect(try await HookTests().waitFor(60) { setup.lines("payloads").count == 1 }, "\(daemon.log)")
            // Another daemon queues a delivery: only the notification of its commit can wake this one.
            let connection = try database.connect()
            defer { connection.close() }
            try connection.query(
                """
                INSERT INTO hook_deliveries (incident_id, hook, event, payload, max_attempts)
                SELECT incident_id, hook, 'incident.updated', payload, max_attempts FROM hook_deliveries
                """
            )
            #expect(
                try await HookTests().waitFor(60) { setup.lines("payloads").count == 2 },
                "the dispatcher woke for a delivery it did not queue: \(daemon.log)"
            )
        }
    }

    @Test func watchShowsEventsAtOnceAndKeepsItsConnectionAliveBetweenThem() async throws {
        let directory = try TemporaryDirectory(prefix: "iwake")
        defer { directory.remove() }
        let config = directory.appending("incidentd.yaml")
        try "watchPollIntervalMilliseconds: 600000\nidleTimeoutSeconds: 2\n".write(
            toFile: config,
            atomically: true,
            encoding: .utf8
        )
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in
            let watch = try await BackgroundCommand(Binaries.incidentctl, ["watch", "--socket", daemon.socketPath])
            defer { watch.stop() }
            #expect(await watch.waitFor { _, stderr in stderr.contains("Watching events") }, "\(watch.stderr)")
            // Past the idle timeout with nothing to show: the keep-alives, not the poll, wake the watch.
            try await Task.sleep(for: .seconds(3))
            #expect(watch.isRunning, "\(watch.stderr)")
            #expect(!watch.stderr.contains("Lost the connection"), "\(watch.stderr)")
            for title in ["First after the wait", "Second after the wait"] {
                #expect(try await daemon.ctl(["report", "--title", title, "--description", "d"]).status == 0)
                #expect(
                    await watch.waitFor(60) { stdout, _ in stdout.contains(title) },
                    "\(watch.stdout)\n\(daemon.log)"
                )
            }
        }
    }
}
