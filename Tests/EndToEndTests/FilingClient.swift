import Foundation
import IncidentProtocol
import Synchronization
import Varlink

/// One client on a thread of its own, filing reports through a daemon's socket as a careful
/// script would: each report carries its own idempotency key and is sent again, with the same
/// key, until it is acknowledged — after a dropped connection or a retryable error. What it was
/// told is kept for the test to compare with what the database holds.
final class FilingClient: Sendable {
    struct State {
        var acknowledged: [String: String] = [:]  // key → reference
        var acknowledgedAt: [Date] = []
        var retries = 0
        var errors: [String: Int] = [:]  // error name → how often
        var failure: String?
    }

    let index: Int
    let socket: String
    let prefix: String
    let retryable: Set<String>
    let description: String
    private let state = Mutex(State())
    private let stopping = Atomic<Bool>(false)
    private let ended = Atomic<Bool>(false)

    /// `retryable`: the error names the client retries; any other ends it with a failure.
    init(
        index: Int,
        socket: String,
        prefix: String = "chaos",
        retryable: Set<WireError.Name> = [.databaseUnavailable, .internalError],
        description: String = "d"
    ) {
        self.index = index
        self.socket = socket
        self.prefix = prefix
        self.retryable = Set(retryable.map(\.rawValue))
        self.description = description
    }

    var snapshot: State { state.withLock { $0 } }
    var acknowledged: [String: String] { snapshot.acknowledged }
    var failure: String? { snapshot.failure }
    var retries: Int { snapshot.retries }

    /// True once `run` has returned.
    var hasEnded: Bool { ended.load(ordering: .acquiring) }

    /// Asks the client to stop after the report it is filing is acknowledged.
    func stop() { stopping.store(true, ordering: .relaxed) }

    /// Files `reports` reports, or until `stop()` when nil; gives up on a report after
    /// `patience` seconds without an acknowledgement.
    func run(reports: Int? = nil, patience: TimeInterval = 120) {
        defer { ended.store(true, ordering: .releasing) }
        var connection: VarlinkClient?
        var number = 0
        while reports.map({ number < $0 }) ?? !stopping.load(ordering: .relaxed) {
            let key = "\(prefix)-\(index)-\(number)"
            number += 1
            let deadline = Date().addingTimeInterval(patience)
            var reference: String?
            while reference == nil {
                guard Date() < deadline else {
                    state.withLock { $0.failure = "report \(key) was never acknowledged" }
                    return
                }
                do {
                    if connection == nil {
                        connection = try VarlinkClient(path: socket)
                        connection?.setReceiveTimeout(seconds: 10)
                    }
                    let reply = try connection!.call(
                        VarlinkCall(
                            method: Methods.Incidents.report.name,
                            parameters: [
                                "title": .string("Filed \(key)"), "description": .string(description),
                                "idempotencyKey": .string(key),
                            ]
                        )
                    )
                    if let error = reply.error {
                        let retry = retryable.contains(error)
                        state.withLock {
                            $0.errors[error, default: 0] += 1
                            if retry { $0.retries += 1 } else { $0.failure = "\(key): \(error)" }
                        }
                        guard retry else { return }
                        usleep(100_000)
                        continue
                    }
                    reference = reply.parameters["incident"]?["reference"]?.stringValue ?? "?"
                } catch {
                    connection = nil
                    state.withLock { $0.retries += 1 }
                    usleep(100_000)
                }
            }
            state.withLock {
                $0.acknowledged[key] = reference
                $0.acknowledgedAt.append(Date())
            }
        }
    }
}

/// Clients filing together, each on its own thread.
struct FilingClients: Sendable {
    let clients: [FilingClient]

    /// Starts `clients` right away: filing `reports` each, or until `stop()` when nil.
    init(_ clients: [FilingClient], reports: Int? = nil, patience: TimeInterval = 120) {
        self.clients = clients
        for client in clients { Thread { client.run(reports: reports, patience: patience) }.start() }
    }

    var acknowledged: [String: String] {
        clients.reduce(into: [String: String]()) { $0.merge($1.acknowledged) { a, _ in a } }
    }
    var count: Int { clients.map { $0.snapshot.acknowledged.count }.reduce(0, +) }
    var failures: [String] { clients.compactMap(\.failure) }
    var retries: Int { clients.map(\.retries).reduce(0, +) }
    var errors: [String: Int] {
        clients.reduce(into: [String: Int]()) { $0.merge($1.snapshot.errors, uniquingKeysWith: +) }
    }
    /// When each acknowledgement arrived, in order.
    var acknowledgedAt: [Date] { clients.flatMap { $0.snapshot.acknowledgedAt }.sorted() }
    var finished: Bool { clients.allSatisfy(\.hasEnded) }

    /// Waits until `count` reports in all are acknowledged, or `timeout` passed; true when they were.
    func waitFor(_ count: Int, timeout: Duration = .seconds(120)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.count < count {
            if ContinuousClock.now > deadline || finished { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// Asks every client to stop and waits until each has.
    func stop() async throws {
        for client in clients { client.stop() }
        try await finish()
    }

    /// Waits until every client has ended.
    func finish() async throws {
        while !finished { try await Task.sleep(for: .milliseconds(50)) }
    }
}
