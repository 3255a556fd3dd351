import Foundation
import Glibc
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// Nothing acknowledged is ever lost: clients with idempotency keys keep filing while incidentd
/// is killed with SIGKILL and restarted. (The short version; longer runs: `make chaos`.)
@Suite struct FaultTests {
    static let clients = Int(ProcessInfo.processInfo.environment["CHAOS_CLIENTS"] ?? "") ?? 16
    static let reportsPerClient = Int(ProcessInfo.processInfo.environment["CHAOS_REPORTS"] ?? "") ?? 25
    static let kills = Int(ProcessInfo.processInfo.environment["CHAOS_KILLS"] ?? "") ?? 3

    @Test(.timeLimit(.minutes(10)))
    func killingTheDaemonUnderLoadLosesNoAcknowledgedReport() async throws {
        try await withTestDatabase { database in
            let directory = try TemporaryDirectory(prefix: "ichaos")
            defer { directory.remove() }
            let hook = directory.appending("hook.sh")
            try "#!/bin/sh\ncat > /dev/null\necho \"$INCIDENTD_DELIVERY_ID\" >> \(directory.appending("delivered"))\n"
                .write(toFile: hook, atomically: true, encoding: .utf8)
            chmod(hook, 0o755)
            let config = directory.appending("incidentd.yaml")
            try """
            hookPollIntervalMilliseconds: 50
            hookRetryBaseMilliseconds: 50
            hookLeaseMarginMilliseconds: 500
            hookUser: root
            hooks:
              - {name: count, exec: [\(hook)], events: [incident.reported], timeoutSeconds: 5, maxAttempts: 20}
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let socket = directory.appending("incidentd.sock")
            var daemon = try await DaemonProcess(
                database: database,
                arguments: ["--config", config],
                socketPath: socket
            )
            try await daemon.waitUntilReady()

            let clients = FilingClients(
                (0..<Self.clients).map { FilingClient(index: $0, socket: socket) },
                reports: Self.reportsPerClient
            )
            for _ in 0..<Self.kills {
                try await Task.sleep(for: .milliseconds(700))
                kill(daemon.pid, SIGKILL)
                daemon.cleanUp()
                daemon = try await DaemonProcess(
                    database: database,
                    arguments: ["--config", config],
                    socketPath: socket
                )
                try await daemon.waitUntilReady()
            }
            try await clients.finish()
            defer { daemon.cleanUp() }
            #expect(clients.failures.isEmpty, "\(clients.failures)")

            let acknowledged = clients.acknowledged
            let expected = Self.clients * Self.reportsPerClient
            #expect(acknowledged.count == expected)
            let connection = try database.connect()
            defer { connection.close() }
            let stored = try connection.query(
                "SELECT idempotency_key, reference FROM incidents WHERE idempotency_key LIKE 'chaos-%'"
            ).map { (try $0.decode(String.self, "idempotency_key"), try $0.decode(String.self, "reference")) }
            #expect(stored.count == expected, "every acknowledged report exists exactly once")
            for (key, reference) in stored { #expect(acknowledged[key] == reference, "\(key)") }
            let retries = clients.retries
            print(
                "kill test: \(acknowledged.count) acknowledged, \(stored.count) stored, \(retries) client retries, \(Self.kills) kills"
            )

            // Every queued delivery completes, and the audit chain holds.
            let deadline = Date().addingTimeInterval(120)
            var undelivered = -1
            while Date() < deadline {
                undelivered = try connection.query(
                    "SELECT count(*) AS n FROM hook_deliveries WHERE state <> 'delivered'"
                )
                .first!.decode(Int.self, "n")
                if undelivered == 0 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(undelivered == 0)
            let deliveries = try connection.query("SELECT count(*) AS n FROM hook_deliveries").first!.decode(
                Int.self,
                "n"
            )
            #expect(deliveries == expected, "one delivery per report")
            let verify = try VarlinkClient(path: socket).call(VarlinkCall(method: Methods.Audit.verify.name))
            #expect(verify.error == nil && verify.parameters["broken"] == nil, "\(verify)")
        }
    }
}
