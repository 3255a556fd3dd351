import Foundation
import Glibc
import IncidentProtocol
import TestSupport
import Testing
import Varlink

/// Hostile and careless clients get a clear error or a documented limit, and the others are
/// served throughout.
@Suite struct HostileClientTests {
    func config(_ text: String) throws -> (TemporaryDirectory, String) {
        let directory = try TemporaryDirectory(prefix: "ihostile")
        let path = directory.appending("incidentd.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (directory, path)
    }

    @Test func oneUserCannotHoldMoreConnectionsThanTheLimit() async throws {
        let (directory, path) = try config("maximumConnectionsPerUser: 5\n")
        defer { directory.remove() }
        try await withDaemon(arguments: ["--config", path]) { daemon, _ in
            try await onThread {
                var held: [VarlinkClient] = []
                for _ in 0..<5 {
                    let client = try VarlinkClient(path: daemon.socketPath)
                    #expect(try client.call(VarlinkCall(method: "org.varlink.service.GetInfo")).error == nil)
                    held.append(client)
                }
                let sixth = try VarlinkClient(path: daemon.socketPath)
                let refusal = try sixth.nextReply()
                #expect(refusal.error == WireError.Name.tooManyConnections.rawValue, "\(refusal)")
                #expect(refusal.parameters["limit"]?.integerValue == 5)
                #expect(throws: VarlinkClient.ConnectionError.self, "then it is closed") { try sixth.readMessage() }

                held.removeLast()
                // The server notices the close; a new connection is then admitted.
                var admitted = false
                for _ in 0..<100 where !admitted {
                    usleep(50_000)
                    let client = try VarlinkClient(path: daemon.socketPath)
                    admitted = (try? client.call(VarlinkCall(method: "org.varlink.service.GetInfo")))?.error == nil
                }
                #expect(admitted)
            }
            let cli = try await daemon.ctl(["status"])
            #expect(cli.status == 0 || cli.stderr.contains("most connections"), "\(cli)")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func aThousandConnectionsAndHostileClientsDoNotStopOthersBeingServed() async throws {
        let (directory, path) = try config("maximumConnectionsPerUser: 5000\nidleTimeoutSeconds: 60\n")
        defer { directory.remove() }
        try await withDaemon(arguments: ["--config", path]) { daemon, _ in
            let socket = daemon.socketPath
            // The attackers hold their connections while a well-behaved client is timed.
            let (attackers, latencies) = try await onThread { () -> (Int, [Double]) in
                var clients: [VarlinkClient] = []
                for _ in 0..<1000 { clients.append(try VarlinkClient(path: socket)) }
                // Half a message, then silence.
                let stalled = try VarlinkClient(path: socket)
                try stalled.send(Array(#"{"method":"io.incidentd.Incidents.Sta"#.utf8))
                clients.append(stalled)
                // A flood of tiny calls whose replies are never read.
                let flood = try VarlinkClient(path: socket)
                let call = Array(#"{"method":"org.varlink.service.GetInfo"}"#.utf8) + [0]
                // 1,000 calls in one write (40 KB); ~300 KB of replies pile up unread until the
                // daemon stops reading from it, and the idle timeout ends it.
                try flood.send(Array([[UInt8]](repeating: call, count: 1000).joined()))
                clients.append(flood)
                // A bracket bomb, a huge string, invalid UTF-8 and a NUL inside a string.
                let bomb = try VarlinkClient(path: socket)
                try bomb.send(
                    Array((#"{"method":"a.b.C","parameters":{"x":"# + String(repeating: "[", count: 200_000)).utf8) + [
                        0
                    ]
                )
                #expect(try bomb.nextReply().error == WireError.Name.malformedMessage.rawValue)
                let huge = try VarlinkClient(path: socket)
                try? huge.send(
                    Array(#"{"method":"io.incidentd.Incidents.Report","parameters":{"title":""#.utf8)
                        + [UInt8](repeating: UInt8(ascii: "a"), count: 2 << 20) + Array(#""}}"#.utf8) + [0]
                )
                #expect((try? huge.nextReply())?.error == WireError.Name.messageTooLarge.rawValue)
                let invalid = try VarlinkClient(path: socket)
                try invalid.send(
                    Array(#"{"method":"io.incidentd.Incidents.Get","parameters":{"reference":""#.utf8) + [0xFF, 0xFE]
                        + Array(#""}}"#.utf8) + [0]
                )
                #expect(try invalid.nextReply().error == WireError.Name.malformedMessage.rawValue)
                clients += [bomb, huge, invalid]
                let client = try VarlinkClient(path: socket)
                var samples: [Double] = []
                for _ in 0..<200 {
                    let start = ContinuousClock.now
                    let reply = try client.call(VarlinkCall(method: Methods.Incidents.status.name))
                    #expect(reply.error == nil, "\(reply)")
                    let elapsed = ContinuousClock.now - start
                    samples.append(
                        Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                    )
                }
                withExtendedLifetime(clients) {}
                return (clients.count, samples.sorted())
            }
            let p50 = latencies[latencies.count / 2]
            let p99 = latencies[latencies.count * 99 / 100]
            let rss =
                (try? String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.map(String.init) ?? "?"
            print(
                "hostile clients: \(attackers) open; Status latency p50 \(String(format: "%.1f", p50)) ms, "
                    + "p99 \(String(format: "%.1f", p99)) ms; daemon \(rss)"
            )
            #expect(p99 < 2000, "well-behaved clients are served throughout")
            #expect(daemon.isRunning)
        }
    }
}
