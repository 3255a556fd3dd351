import Foundation
import IncidentProtocol
import TestSupport
import Testing

/// The metrics listener (docs/monitoring.md): off unless configured, loopback or a Unix socket
/// unless remote access is allowed in so many words, and never a title, a name or a reference
/// in what it serves.
@Suite struct MetricsTests {
    /// `GET path` over HTTP/1.1, on a Unix socket or a TCP port, with Python's standard library
    /// as a scraper would: the status, then the body.
    static func get(_ address: String, path: String = "/metrics") async throws -> (status: Int, body: String) {
        let script = """
            import http.client, socket, sys
            address, path = sys.argv[1], sys.argv[2]
            class Unix(http.client.HTTPConnection):
                def connect(self):
                    self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    self.sock.connect(address)
            if address.startswith('/'):
                connection = Unix('localhost', timeout=10)
            else:
                host, port = address.rsplit(':', 1)
                connection = http.client.HTTPConnection(host, int(port), timeout=10)
            connection.request('GET', path)
            response = connection.getresponse()
            print(response.status)
            sys.stdout.write(response.read().decode())
            """
        let result = try await runCommand("/usr/bin/python3", ["-c", script, address, path])
        guard result.status == 0, let newline = result.stdout.firstIndex(of: "\n"),
            let status = Int(result.stdout[..<newline])
        else { throw TestSetupError("cannot scrape \(address): \(result)") }
        return (status, String(result.stdout[result.stdout.index(after: newline)...]))
    }

    /// The value of the sample `name{labels}` in an exposition, if there is one.
    static func value(_ body: String, _ sample: String) -> Double? {
        for line in body.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    @Test func aScrapeCountsWhatHappenedAndNamesNoOne() async throws {
        let directory = try TemporaryDirectory(prefix: "metrics")
        defer { directory.remove() }
        let socket = directory.appending("metrics.sock")
        let setup = try HookTests.Setup.receiver(extra: "metricsListen: \(socket)")
        defer { setup.directory.remove() }
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, _ in
            #expect(daemon.log.contains("serving metrics"), "\(daemon.log)")
            let title = "Payroll export of Zhang Wei left on a share"
            var references: [String] = []
            for _ in 0..<2 {
                let filed = try await daemon.ctl([
                    "report", "--title", title, "--description", "d", "--severity", "high", "--jurisdiction", "DE",
                    "--aware", "2026-01-05T08:00:00Z",
                ])
                #expect(filed.status == 0, "\(filed)")
                if let reference = filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/) {
                    references.append(String(reference.output))
                }
            }
            let missing = try await daemon.ctl(["show", "INC-2020-999999"])
            #expect(missing.status == ExitStatus.notFound.rawValue)
            #expect(await HookTests().waitFor(30) { setup.lines("delivered").count == 2 })

            let (status, body) = try await Self.get(socket)
            #expect(status == 200)
            #expect(Self.value(body, #"incidentd_open_incidents{phase="report",severity="high"}"#) == 2, "\(body)")
            #expect(Self.value(body, #"incidentd_open_incidents{phase="notify",severity="low"}"#) == 0)
            // Aware in January: GDPR's 72 hours to the authority are long past.
            #expect((Self.value(body, #"incidentd_obligations{regime="gdpr",state="overdue"}"#) ?? 0) >= 2, "\(body)")
            #expect(
                Self.value(body, #"incidentd_call_duration_seconds_count{method="io.incidentd.Incidents.Report"}"#)
                    == 2
            )
            #expect(
                Self.value(
                    body,
                    #"incidentd_call_errors_total{method="io.incidentd.Incidents.Get",error="io.incidentd.NoSuchIncident"}"#
                ) == 1,
                "\(body)"
            )
            #expect(
                Self.value(body, #"incidentd_hook_deliveries_total{hook="receiver",outcome="delivered"}"#) == 2
            )
            #expect(Self.value(body, #"incidentd_hook_delivery_latency_seconds_count{hook="receiver"}"#) == 2)
            #expect(Self.value(body, "incidentd_hook_deliveries_dead") == 0)
            #expect(Self.value(body, "incidentd_hook_queue_depth") != nil)
            #expect(Self.value(body, "incidentd_audit_records_pending_seal") != nil)
            #expect(Self.value(body, "incidentd_database_up") == 1)
            #expect(Self.value(body, "incidentd_database_connections_max") == 8)
            for secret in ["Zhang", "Payroll", "INC-", NSUserName()] + references {
                #expect(!body.contains(secret), "\(secret) is not in the metrics")
            }
            let elsewhere = try await Self.get(socket, path: "/")
            #expect(elsewhere.status == 404 && elsewhere.body.contains("/metrics"))
        }
    }

    @Test func aLoopbackPortServesAndAnAddressOthersReachIsRefusedUnlessAllowed() async throws {
        let directory = try TemporaryDirectory(prefix: "metricsport")
        defer { directory.remove() }
        let free = try await runCommand(
            "/usr/bin/python3",
            ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]
        )
        let port = try #require(Int(free.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let config = directory.appending("loopback.yaml")
        try "metricsListen: 127.0.0.1:\(port)\n".write(toFile: config, atomically: true, encoding: .utf8)
        try await withDaemon(arguments: ["--config", config]) { _, _ in
            let (status, body) = try await Self.get("127.0.0.1:\(port)")
            #expect(status == 200 && body.contains("# TYPE incidentd_open_incidents gauge"), "\(body)")
        }

        let remote = directory.appending("remote.yaml")
        try "metricsListen: 0.0.0.0:9464\n".write(toFile: remote, atomically: true, encoding: .utf8)
        let refused = try await runCommand(Binaries.incidentd, ["--check-config", "--config", remote])
        #expect(refused.status == 78, "\(refused)")
        #expect(refused.stderr.contains("metricsListen 0.0.0.0:9464 is reachable from other machines"), "\(refused)")
        try "metricsListen: 0.0.0.0:9464\nmetricsAllowRemote: true\n".write(
            toFile: remote,
            atomically: true,
            encoding: .utf8
        )
        let allowed = try await runCommand(Binaries.incidentd, ["--check-config", "--config", remote])
        #expect(allowed.status == 0, "\(allowed)")
        try "metricsListen: port 9464\n".write(toFile: remote, atomically: true, encoding: .utf8)
        let nonsense = try await runCommand(Binaries.incidentd, ["--check-config", "--config", remote])
        #expect(nonsense.status == 78 && nonsense.stderr.contains("metricsListen must be HOST:PORT"), "\(nonsense)")
    }

    @Test func withoutMetricsListenNothingIsServed() async throws {
        try await withDaemon { daemon, _ in
            #expect(!daemon.log.contains("serving metrics"), "\(daemon.log)")
        }
    }
}
