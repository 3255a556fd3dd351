import IncidentStore
import Logging
import ServiceLifecycle

/// Seals committed audit records into the hash chain at a fixed interval. With several
/// daemons on one database only one seals at a time (the database's advisory lock); the
/// others find nothing to do. A final seal runs on shutdown.
struct AuditSealer: Service, CustomStringConvertible {
    var description: String { "AuditSealer" }

    let store: AuditStore
    let interval: Duration
    /// Signs the head after each batch that moved it.
    let signer: AuditSigner
    let logger: Logger

    func run() async throws {
        // The first round signs whatever head the chain has; later ones only a head they moved.
        var first = true
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await sealOnce(sign: first)
            first = false
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await sealOnce(sign: false)
    }

    /// Seals, and signs the head when this round sealed something (or `sign`).
    private func sealOnce(sign: Bool) async {
        do {
            let sealed = try await store.seal()
            if sealed > 0 { logger.trace("sealed audit records", metadata: ["audit.sealed": "\(sealed)"]) }
            if sealed > 0 || sign { try await signer.signHead() }
        } catch {
            logger.warning("cannot seal audit records; will retry", metadata: ["error": "\(error)"])
        }
    }
}
