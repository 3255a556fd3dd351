import Foundation
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// Bad input on the socket: each gets a named error, the daemon keeps serving everyone else,
/// and nothing partial is stored.
@Suite struct WireTests {
    static let validReport = #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d"}}"#

    func send(_ daemon: DaemonProcess, _ text: String) throws -> VarlinkReply {
        let client = try VarlinkClient(path: daemon.socketPath)
        client.setReceiveTimeout(seconds: 10)
        try client.send(Array(text.utf8) + [0])
        return try client.nextReply()
    }

    func incidentCount(_ database: TestDatabase) throws -> Int {
        let connection = try database.connect()
        defer { connection.close() }
        return try connection.query("SELECT count(*) AS n FROM incidents").first!.decode(Int.self, "n")
    }

    /// Each bad message, the error it gets, and the parameter that error names.
    static let badMessages: [(message: String, error: String, parameter: String?)] = [
        ("{not json", "io.incidentd.MalformedMessage", nil),
        ("[]", "io.incidentd.MalformedMessage", nil),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d","x":"#
                + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}}",
            "io.incidentd.MalformedMessage", nil
        ),
        (#"{"parameters":{}}"#, "io.incidentd.MalformedMessage", nil),
        (
            "{\"method\":\"io.incidentd.Incidents.Report\",\"parameters\":{\"title\":\"\u{FF}\"",
            "io.incidentd.MalformedMessage", nil
        ),
        (#"{"method":"io.incidentd.Nothing.Here"}"#, "org.varlink.service.InterfaceNotFound", nil),
        (#"{"method":"io.incidentd.Incidents.Delete"}"#, "org.varlink.service.MethodNotFound", nil),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t"}}"#,
            "org.varlink.service.InvalidParameter", "description"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":7,"description":"d"}}"#,
            "org.varlink.service.InvalidParameter", "title"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d","severity":"apocalyptic"}}"#,
            "org.varlink.service.InvalidParameter", "severity"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d","reporter":"mallory"}}"#,
            "org.varlink.service.InvalidParameter", "reporter"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d","peopleAffected":1.5}}"#,
            "org.varlink.service.InvalidParameter", "peopleAffected"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d","dataCategories":["dna"]}}"#,
            "org.varlink.service.InvalidParameter", "dataCategories[0]"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d","jurisdictions":["XX"]}}"#,
            "io.incidentd.InvalidValue", "jurisdictions[0]"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":"d","aware":"yesterday"}}"#,
            "io.incidentd.InvalidValue", "aware"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"a\u0000b","description":"d"}}"#,
            "io.incidentd.InvalidValue", "title"
        ),
        (
            #"{"method":"io.incidentd.Incidents.Get","parameters":{"reference":"INC-1"}}"#,
            "io.incidentd.InvalidValue", "reference"
        ),
        (
            #"{"method":"io.incidentd.Incidents.List","parameters":{"limit":100000}}"#,
            "io.incidentd.InvalidValue", "limit"
        ),
    ]

    /// One daemon takes every bad message in turn (a daemon each started 18 at once).
    @Test func badMessagesGetNamedErrorsAndStoreNothing() async throws {
        try await withDaemon { daemon, database in
            for (index, bad) in Self.badMessages.enumerated() {
                let reply = try send(daemon, bad.message)
                #expect(reply.error == bad.error, "\(bad.message.prefix(120)): \(reply)")
                if let parameter = bad.parameter {
                    #expect(reply.parameters["parameter"]?.stringValue == parameter, "\(bad.message.prefix(120))")
                }
                #expect(try incidentCount(database) == index, "nothing partial is stored")
                // A connection is still usable after a recoverable error; and everyone else is served.
                #expect(try send(daemon, Self.validReport).error == nil)
                #expect(try incidentCount(database) == index + 1)
            }
        }
    }

    @Test func anOversizedMessageClosesOnlyThatConnection() async throws {
        try await withDaemon { daemon, database in
            let bystander = try VarlinkClient(path: daemon.socketPath)
            let client = try VarlinkClient(path: daemon.socketPath)
            client.setReceiveTimeout(seconds: 10)
            let huge =
                #"{"method":"io.incidentd.Incidents.Report","parameters":{"title":"t","description":""#
                + String(repeating: "x", count: (1 << 20) + 10) + "\"}}"
            try? client.send(Array(huge.utf8) + [0])
            let reply = try client.nextReply()
            #expect(reply.error == WireError.Name.messageTooLarge.rawValue)
            #expect(throws: VarlinkClient.ConnectionError.self) { _ = try client.readMessage() }
            #expect(try incidentCount(database) == 0)
            try bystander.send(Array(Self.validReport.utf8) + [0])
            #expect(try bystander.nextReply().error == nil)
        }
    }

    @Test func pipelinedCallsAreAnsweredInOrderAndOnewayGetsNoReply() async throws {
        try await withDaemon { daemon, _ in
            let client = try VarlinkClient(path: daemon.socketPath)
            client.setReceiveTimeout(seconds: 10)
            let oneway = #"{"method":"io.incidentd.Incidents.Status","oneway":true}"#
            let info = #"{"method":"org.varlink.service.GetInfo"}"#
            try client.send(Array((oneway + "\0" + Self.validReport + "\0" + info + "\0").utf8))
            #expect(try client.nextReply().parameters["incident"] != nil)
            #expect(try client.nextReply().parameters["vendor"]?.stringValue == "incidentd")
        }
    }

    @Test func aStalledHalfMessageTimesOut() async throws {
        try await withTestDatabase { database in
            let daemon = try await DaemonProcess(
                database: database,
                arguments: ["--config", try Self.shortIdleConfig()]
            )
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            let client = try Self.sendHalfMessage(to: daemon)
            let started = ContinuousClock.now
            #expect(throws: VarlinkClient.ConnectionError.self) { _ = try client.readMessage() }
            #expect(ContinuousClock.now - started < .seconds(8))
            #expect(try send(daemon, Self.validReport).error == nil)
        }
    }

    /// Connects and sends the start of a call. On a loaded machine the daemon may idle the
    /// new connection out before this process gets to send, so that is tried again.
    static func sendHalfMessage(to daemon: DaemonProcess) throws -> VarlinkClient {
        var lastError: (any Error)?
        for _ in 1...5 {
            let client = try VarlinkClient(path: daemon.socketPath)
            client.setReceiveTimeout(seconds: 10)
            do {
                try client.send(Array(#"{"method":"io.incidentd.Inc"#.utf8))
                return client
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    /// The idle timeout measures the peer's silence, not the daemon's own work: a report
    /// that waits on a locked table for longer than the timeout still gets its reply.
    @Test func aCallSlowerThanTheIdleTimeoutKeepsItsConnection() async throws {
        try await withTestDatabase { database in
            let daemon = try await DaemonProcess(
                database: database,
                arguments: ["--config", try Self.shortIdleConfig()]
            )
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            let blocker = try database.connect()
            defer { blocker.close() }
            _ = try blocker.execute("BEGIN; LOCK TABLE incidents IN EXCLUSIVE MODE")
            let client = try VarlinkClient(path: daemon.socketPath)
            client.setReceiveTimeout(seconds: 30)
            try client.send(Array(Self.validReport.utf8) + [0])
            try await Task.sleep(for: .seconds(3))
            _ = try blocker.execute("COMMIT")
            let reply = try client.nextReply()
            #expect(reply.error == nil)
            #expect(try incidentCount(database) == 1)
        }
    }

    static func shortIdleConfig() throws -> String {
        let path = "/tmp/incidentd-idle-\(UUID().uuidString).yaml"
        try "idleTimeoutSeconds: 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
