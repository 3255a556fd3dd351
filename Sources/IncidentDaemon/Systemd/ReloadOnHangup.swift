import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration on SIGHUP. A configuration that fails to load is refused and
/// the running one kept, with the reason in the log and in systemd's status line.
struct ReloadOnHangup: Service {
    let load: @Sendable () throws -> Configuration
    let settings: LiveSettings
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            notifier.reloading()
            do {
                let configuration = try load()
                settings.apply(configuration)
                logger.notice("configuration reloaded")
                notifier.ready(status: "Ready; configuration reloaded")
            } catch {
                logger.error("reload refused; keeping the running configuration", metadata: ["error": "\(error)"])
                notifier.ready(status: "Ready; last reload refused: \(error)")
            }
        }
    }
}
