import Logging
import ServiceLifecycle

/// Pings systemd's watchdog at half the interval it asked for, as long as the daemon's
/// concurrency runtime is alive to run this loop.
struct Watchdog: Service, CustomStringConvertible {
    var description: String { "Watchdog" }

    let notifier: SystemdNotifier
    let interval: Duration
    let logger: Logger

    func run() async throws {
        logger.info("systemd watchdog enabled", metadata: ["watchdog.interval": "\(interval)"])
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            notifier.watchdog()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval / 2) }
        }
    }
}
