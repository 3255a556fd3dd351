import IncidentCore
import IncidentStore
import Logging
import ServiceLifecycle
import Synchronization

/// Asks the rekeyer for a pass: at start, and when the key file is reloaded.
final class RekeyRequest: Sendable {
    private let pending = Mutex(true)

    func request() { pending.withLock { $0 = true } }

    func take() -> Bool {
        pending.withLock { value in
            defer { value = false }
            return value
        }
    }
}

/// Re-encrypts, in the background, every value not under the current key: after a rotation,
/// and values stored before encryption was on. Batches of a few hundred, so the daemon keeps
/// serving; several daemons share the work (SKIP LOCKED); a restart resumes where it stopped.
/// Between passes it only looks at a flag, so a large database is not scanned when nothing
/// changed.
struct Rekeyer: Service, CustomStringConvertible {
    let store: IncidentStore
    let requests: RekeyRequest
    let logger: Logger

    var description: String { "Rekeyer" }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            guard requests.take() else {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                continue
            }
            var total = 0
            do {
                while !Task.isShuttingDownGracefully {
                    let changed = try await store.reencrypt()
                    if changed == 0 { break }
                    total += changed
                }
                if total > 0 {
                    logger.notice(
                        "every value is encrypted under the current key",
                        metadata: ["values.reencrypted": "\(total)"]
                    )
                }
            } catch {
                logger.warning(
                    "cannot re-encrypt values; will retry",
                    metadata: ["error": "\(error)", "values.reencrypted": "\(total)"]
                )
                requests.request()
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(5)) }
            }
        }
    }
}
