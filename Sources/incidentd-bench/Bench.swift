import ArgumentParser
import Foundation
import IncidentProtocol
import Varlink

/// A load generator for incidentd: resident clients, each on its own connection and thread,
/// filing reports with idempotency keys (or other calls) as fast as the daemon answers.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidentd-bench",
        abstract: "Measure incidentd throughput and latency with resident Varlink clients."
    )

    @Option(help: "The incidentd socket.")
    var socket: String

    @Option(help: "Concurrent clients, each with its own connection.")
    var clients: Int = 8

    @Option(help: "How long to run, in seconds.")
    var seconds: Double = 10

    @Option(help: "What to call: report, status, list, get, or audit (an incident's audit records).")
    var call: String = "report"

    @Option(help: "For get and audit: the incident's reference.")
    var reference: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    /// Replies have sorted keys, so an error reply, and only one, starts with this.
    static let errorPrefix = Array(#"{"error":"#.utf8)

    func run() throws {
        let deadline = Date().addingTimeInterval(seconds)
        let results = Results()
        let runID = UUID().uuidString.prefix(8)
        var threads: [Thread] = []
        for client in 0..<clients {
            let thread = Thread { [socket, call, reference] in
                do {
                    let connection = try VarlinkClient(path: socket)
                    var latencies: [Double] = []
                    var count = 0
                    while Date() < deadline {
                        let message = Self.callToSend(
                            call,
                            number: count,
                            client: client,
                            run: runID,
                            reference: reference
                        )
                        // Like pgbench's client, spend as little as possible beside the server:
                        // the reply is read whole but decoded only when it is an error.
                        let bytes = try message.encoded()
                        let start = DispatchTime.now().uptimeNanoseconds
                        try connection.send(bytes)
                        let answer = try connection.readMessage()
                        latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
                        if answer.starts(with: Self.errorPrefix) {
                            let reply = try VarlinkReply(decoding: answer)
                            throw VarlinkError(name: reply.error ?? "?", parameters: reply.parameters)
                        }
                        count += 1
                    }
                    results.add(latencies)
                } catch {
                    results.fail("\(error)")
                }
            }
            threads.append(thread)
            thread.start()
        }
        while results.finished < clients { usleep(10_000) }
        if let failure = results.failure { throw ValidationError("a client failed: \(failure)") }
        let latencies = results.latencies.sorted()
        let rate = Double(latencies.count) / seconds
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        if json {
            print(
                #"{"call":"\#(call)","clients":\#(clients),"calls":\#(latencies.count),"perSecond":\#(Int(rate)),"#
                    + #""p50ms":\#(percentile(0.5)),"p99ms":\#(percentile(0.99))}"#
            )
        } else {
            print(
                String(
                    format: "%@ × %d clients: %d calls, %.0f/s, p50 %.2f ms, p99 %.2f ms",
                    call,
                    clients,
                    latencies.count,
                    rate,
                    percentile(0.5),
                    percentile(0.99)
                )
            )
        }
    }

    /// The call one client sends as its `number`th: the kind asked for, or a report.
    static func callToSend(
        _ call: String,
        number count: Int,
        client: Int,
        run runID: Substring,
        reference: String?
    ) -> VarlinkCall {
        switch call {
        case "status": return VarlinkCall(method: Methods.Incidents.status.name)
        case "list":
            return VarlinkCall(
                method: Methods.Incidents.list.name,
                parameters: ["openOnly": .bool(true), "limit": .integer(50)]
            )
        case "get":
            return VarlinkCall(
                method: Methods.Incidents.get.name,
                parameters: ["reference": .string(reference ?? "")]
            )
        case "audit":
            return VarlinkCall(
                method: Methods.Audit.query.name,
                parameters: ["incident": .string(reference ?? ""), "limit": .integer(100)]
            )
        default:
            return VarlinkCall(
                method: Methods.Incidents.report.name,
                parameters: [
                    "title": .string("Benchmark report \(client)-\(count)"),
                    "description": .string("Filed by incidentd-bench to measure throughput."),
                    "dataCategories": .array([.string("contact")]),
                    "idempotencyKey": .string("bench-\(runID)-\(client)-\(count)"),
                ]
            )
        }
    }
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var latencies: [Double] = []
    private(set) var finished = 0
    private(set) var failure: String?

    func add(_ values: [Double]) {
        lock.lock()
        latencies += values
        finished += 1
        lock.unlock()
    }

    func fail(_ message: String) {
        lock.lock()
        failure = failure ?? message
        finished += 1
        lock.unlock()
    }
}
