import Logging
import NIOPosix

/// Listens for PostgreSQL notifications on a connection of its own, on a thread of its own,
/// and reports the channels notified.
///
/// A notification sent while the connection was down is lost, so after every (re)connection
/// each channel is reported once as if notified: whoever waits on it looks again. Connection
/// failures are retried with a back-off up to five seconds, and logged once per outage.
public final class PostgresListener: Sendable {
    public let target: PostgresTarget
    public let channels: [String]
    private let applicationName: String
    private let logger: Logger

    /// `channels` are plain identifiers (letters, digits, underscores).
    public init(target: PostgresTarget, channels: [String], applicationName: String = "incidentd", logger: Logger) {
        precondition(
            channels.allSatisfy {
                !$0.isEmpty && $0.allSatisfy { $0 == "_" || $0.isASCII && ($0.isLetter || $0.isNumber) }
            },
            "notification channels are plain identifiers"
        )
        self.target = target
        self.channels = channels
        self.applicationName = applicationName
        self.logger = logger
    }

    /// Calls `notified` with the channels notified, as they are, until the task is cancelled
    /// (which it notices within half a second).
    public func run(_ notified: @escaping @Sendable (Set<String>) -> Void) async {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        var connection: PostgresConnection?
        var delay = Duration.milliseconds(100)
        var failing = false
        while !Task.isCancelled {
            do {
                let (open, channels) = try await thread.runIfActive { [connection] in
                    try self.next(on: connection)
                }
                connection = open
                if failing {
                    logger.info("listening for PostgreSQL notifications again")
                    failing = false
                }
                delay = .milliseconds(100)
                if !channels.isEmpty { notified(channels) }
            } catch {
                connection?.close()
                connection = nil
                if !failing {
                    logger.warning(
                        "cannot listen for PostgreSQL notifications; polling until it can",
                        metadata: ["db.error": "\(error)"]
                    )
                    failing = true
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        connection?.close()
        try? await thread.shutdownGracefully()
    }

    /// The channels notified within half a second on `connection`, or, when there is no usable
    /// connection, a fresh one listening on every channel (all reported as notified).
    private func next(on connection: PostgresConnection?) throws -> (PostgresConnection, Set<String>) {
        if let connection, connection.isUsable {
            return (connection, try connection.notifications(waitingUpTo: .milliseconds(500)))
        }
        connection?.close()
        let fresh = try PostgresConnection(target: target, applicationName: applicationName)
        for channel in channels { try fresh.execute("LISTEN \"\(channel)\"") }
        return (fresh, Set(channels))
    }
}
