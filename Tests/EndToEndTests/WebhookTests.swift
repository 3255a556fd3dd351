import Foundation
import Glibc
import Postgres
import TestSupport
import Testing
import Varlink

/// Webhooks against a local HTTP receiver that checks signatures with its own code.
@Suite struct WebhookTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// The Python receiver in Resources/, on 127.0.0.1 and a port of its choosing.
    final class Receiver: Sendable {
        let program: RunningProgram
        let directory: TemporaryDirectory
        let port: Int

        init(directory: TemporaryDirectory) async throws {
            self.directory = directory
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("Resources/webhook_receiver.py").path
            program = try await RunningProgram(
                "/usr/bin/env",
                ["python3", script, WebhookTests.secret, directory.appending("port"), directory.appending("requests")],
                output: directory.appending("receiver.log"),
                error: directory.appending("receiver.log")
            )
            let deadline = Date().addingTimeInterval(120)
            var port: Int?
            while port == nil, Date() < deadline {
                port = (try? String(contentsOfFile: directory.appending("port"), encoding: .utf8)).flatMap { Int($0) }
                if port == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard let port else {
                program.send(SIGKILL)
                throw TestSetupError("the webhook receiver did not start")
            }
            self.port = port
        }

        var requests: [[String: Any]] {
            ((try? String(contentsOfFile: directory.appending("requests"), encoding: .utf8)) ?? "")
                .split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
        }

        func requests(to path: String) -> [[String: Any]] {
            requests.filter { $0["path"] as? String == path }
        }

        /// SIGKILL, not waited for: its task reaps it, and waiting would block a test thread.
        func stop() {
            program.send(SIGKILL)
        }
    }

    /// A config with webhooks to the receiver's paths, and the secret file they sign with.
    func setup(_ receiver: Receiver, hooks: [(name: String, path: String, extra: String)]) throws -> HookTests.Setup {
        let secretFile = receiver.directory.appending("secret")
        try (Self.secret + "\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile, 0o600)
        let text = hooks.map { hook in
            """
              - name: \(hook.name)
                url: http://127.0.0.1:\(receiver.port)\(hook.path)
                secretFile: \(secretFile)
                events: [incident.reported]
            \(hook.extra)
            """
        }.joined(separator: "\n")
        return try HookTests.Setup(hooks: text)
    }

    func deliveries(_ database: TestDatabase, hook: String) throws -> [(state: String, attempts: Int, error: String?)] {
        try HookTests().deliveries(database, "hook = '\(hook)'")
    }

    @Test func aSignedWebhookIsRetriedAfter500AndDeliveredWithOneID() async throws {
        let directory = try TemporaryDirectory(prefix: "iweb")
        defer { directory.remove() }
        let receiver = try await Receiver(directory: directory)
        defer { receiver.stop() }
        let setup = try setup(receiver, hooks: [("flaky", "/flaky", "    maxAttempts: 5")])
        defer { setup.directory.remove() }
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            #expect(
                try await daemon.ctl(["report", "--title", "Webhook", "--description", "secret details"]).status == 0
            )
            #expect(
                try await HookTests().waitFor(90) {
                    try deliveries(database, hook: "flaky").first?.state == "delivered"
                },
                "\(daemon.log)"
            )
            let requests = receiver.requests(to: "/flaky")
            #expect(requests.map { $0["status"] as? Int } == [500, 500, 204], "\(requests)")
            #expect(
                requests.allSatisfy { $0["valid"] as? Bool == true },
                "every request carries a valid, fresh signature"
            )
            #expect(Set(requests.compactMap { $0["id"] as? String }).count == 1, "the same webhook-id on every attempt")
            #expect(requests.allSatisfy { $0["contentType"] as? String == "application/json" })
            let body = try #require(requests.first?["body"] as? String)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(object["event"] as? String == "incident.reported")
            #expect(!body.contains("secret details"), "no personal data unless configured")
            let delivery = try #require(try deliveries(database, hook: "flaky").first)
            #expect(delivery.attempts == 3)
            let connection = try database.connect()
            defer { connection.close() }
            let outcomes = try connection.query("SELECT outcome, output FROM hook_attempts ORDER BY attempt").map {
                (try $0.decode(String.self, "outcome"), try $0.decode(String.self, "output"))
            }
            #expect(
                outcomes.map(\.0) == [
                    "failed: the receiver answered HTTP 500 Internal Server Error",
                    "failed: the receiver answered HTTP 500 Internal Server Error", "delivered",
                ],
                "\(outcomes)"
            )
            #expect(outcomes.last?.1.hasPrefix("HTTP 204") == true, "the answer is kept with the attempt")
        }
    }

    @Test func aReceiverThatDoesNotAnswerTimesOutAndDoesNotBlockOtherHooks() async throws {
        let directory = try TemporaryDirectory(prefix: "iweb")
        defer { directory.remove() }
        let receiver = try await Receiver(directory: directory)
        defer { receiver.stop() }
        let setup = try setup(
            receiver,
            hooks: [
                ("slow", "/slow", "    timeoutSeconds: 1\n    maxAttempts: 1"), ("ok", "/ok", ""),
            ]
        )
        defer { setup.directory.remove() }
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            #expect(try await daemon.ctl(["report", "--title", "Slow receiver", "--description", "d"]).status == 0)
            #expect(
                try await HookTests().waitFor(90) { try deliveries(database, hook: "ok").first?.state == "delivered" }
            )
            #expect(
                try await HookTests().waitFor(90) { try deliveries(database, hook: "slow").first?.state == "dead" },
                "\(daemon.log)"
            )
            let connection = try database.connect()
            defer { connection.close() }
            let attempt = try connection.query(
                """
                SELECT extract(epoch FROM finished_at - started_at)::float8 AS seconds FROM hook_attempts
                WHERE delivery_id = (SELECT id FROM hook_deliveries WHERE hook = 'slow')
                """
            ).map { try $0.decode(Double.self, "seconds") }
            #expect(attempt.count == 1)
            #expect(
                (attempt.first ?? .infinity) < 10,
                "the 1 s timeout, not the receiver's 30 s, ended the attempt: \(attempt)"
            )
            let slow = try deliveries(database, hook: "slow").first
            #expect(slow?.error?.contains("timed out") == true, "\(String(describing: slow))")
        }
    }

    @Test func a410DisablesTheHookUntilAnAdminEnablesIt() async throws {
        let directory = try TemporaryDirectory(prefix: "iweb")
        defer { directory.remove() }
        let receiver = try await Receiver(directory: directory)
        defer { receiver.stop() }
        let setup = try setup(receiver, hooks: [("gone", "/gone", "    maxAttempts: 5"), ("ok", "/ok", "")])
        defer { setup.directory.remove() }
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            #expect(try await daemon.ctl(["report", "--title", "First", "--description", "d"]).status == 0)
            #expect(
                try await HookTests().waitFor(90) { try deliveries(database, hook: "gone").first?.state == "dead" },
                "\(daemon.log)"
            )
            let first = try #require(try deliveries(database, hook: "gone").first)
            #expect(first.attempts == 1, "410 is not retried")
            #expect(first.error?.contains("410 Gone") == true, "\(String(describing: first.error))")

            // Later events for the disabled hook wait; other hooks go on.
            #expect(try await daemon.ctl(["report", "--title", "Second", "--description", "d"]).status == 0)
            #expect(
                try await HookTests().waitFor(90) {
                    try deliveries(database, hook: "ok").filter { $0.state == "delivered" }.count == 2
                }
            )
            try await Task.sleep(for: .milliseconds(500))
            #expect(receiver.requests(to: "/gone").count == 1, "a disabled hook is not called")
            #expect(try deliveries(database, hook: "gone").map(\.state).sorted() == ["dead", "pending"])

            let listed = try await daemon.ctl(["hooks"])
            #expect(listed.stdout.contains("Disabled: gone"), "\(listed)")
            let json = try await daemon.ctl(["hooks", "--json"])
            #expect(json.stdout.contains("\"disabled\""), "\(json)")

            // Enabling releases the held delivery; the receiver still answers 410, so it disables again.
            let enabled = try await daemon.ctl(["hooks", "enable", "gone"])
            #expect(enabled.status == 0, "\(enabled)")
            #expect(try await HookTests().waitFor(90) { receiver.requests(to: "/gone").count == 2 })
            let again = try await daemon.ctl(["hooks", "enable", "no-such-hook"])
            #expect(again.status != 0 && again.stderr.contains("disabled hook"), "\(again)")
        }
    }

    @Test func aWebhookWithoutASafeSecretFileIsAClearStartUpError() async throws {
        let directory = try TemporaryDirectory(prefix: "iweb")
        defer { directory.remove() }
        let secretFile = directory.appending("open.secret")
        try "whsec_AQID".write(toFile: secretFile, atomically: true, encoding: .utf8)
        chmod(secretFile, 0o644)
        for (hook, message) in [
            ("url: http://127.0.0.1:9/x\n    secretFile: \(secretFile)", "may be read by other users"),
            ("url: http://127.0.0.1:9/x\n    secretFile: \(directory.appending("missing"))", "missing does not exist"),
            ("url: ftp://127.0.0.1/x\n    secretFile: \(secretFile)", "http:// or https://"),
            ("url: http://127.0.0.1:9/x", "needs secretFile"),
            ("url: http://127.0.0.1:9/x\n    exec: [/bin/true]", "exactly one of"),
        ] {
            let config = directory.appending("incidentd.yaml")
            try "hooks:\n  - name: w\n    \(hook)\n".write(toFile: config, atomically: true, encoding: .utf8)
            let result = try await runCommand(Binaries.incidentd, ["--config", config, "--check-config"])
            #expect(result.status != 0 && result.stderr.contains(message), "\(hook): \(result)")
        }
    }
}
