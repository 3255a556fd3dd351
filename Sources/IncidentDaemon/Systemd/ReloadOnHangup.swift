import IncidentCore
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration and the playbooks on SIGHUP. Either that fails to load is refused
/// and the running one kept, with the reason in the log and in systemd's status line.
struct ReloadOnHangup: Service, CustomStringConvertible {
    var description: String { "ReloadOnHangup" }

    let load: @Sendable () throws -> Configuration
    let settings: LiveSettings
    let playbooks: PlaybookRegistry
    let notifier: SystemdNotifier
    let logger: Logger
    /// Reads the key file again (after `incidentd keys rotate`); returns the current key's id.
    var reloadKeys: (@Sendable () async throws -> String)?

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            notifier.reloading()
            var refused: [String] = []
            do {
                let configuration = try load()
                settings.apply(configuration)
                logger.notice("configuration reloaded")
            } catch {
                logger.error("reload refused; keeping the running configuration", metadata: ["error": "\(error)"])
                refused.append("configuration: \(error)")
            }
            if let reloadKeys {
                do {
                    let current = try await reloadKeys()
                    logger.notice(
                        "key file reloaded; re-encrypting older values in the background",
                        metadata: ["key.current": "\(current)"]
                    )
                } catch {
                    logger.error("key file reload refused; keeping the running keys", metadata: ["error": "\(error)"])
                    refused.append("keys: \(error)")
                }
            }
            do {
                let loaded = try playbooks.reload()
                logger.notice("playbooks reloaded", metadata: ["playbooks.count": "\(loaded.count)"])
            } catch {
                logger.error("playbook reload refused; keeping the running set", metadata: ["error": "\(error)"])
                refused.append("playbooks: \(error.problems.first.map(String.init(describing:)) ?? "")")
            }
            notifier.ready(
                status: refused.isEmpty
                    ? "Ready; reloaded" : "Ready; reload refused: \(refused.joined(separator: "; "))"
            )
        }
    }
}
