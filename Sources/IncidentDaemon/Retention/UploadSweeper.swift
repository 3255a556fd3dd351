import Foundation
import IncidentStore
import Logging
import ServiceLifecycle

/// Removes evidence uploads that stopped: a client killed or disconnected halfway leaves an
/// upload nobody commits. Its chunks were never visible; once nothing arrived for the upload
/// timeout they are deleted. Any daemon may sweep; deleting twice finds nothing.
struct UploadSweeper: Service, CustomStringConvertible {
    let store: IncidentStore
    let timeout: Duration
    let logger: Logger

    var description: String { "UploadSweeper" }

    /// How often it looks: half the timeout, between a second and a minute.
    var interval: Duration { max(.seconds(1), min(.seconds(60), timeout / 2)) }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let removed = try await store.removeAbandonedUploads(idleFor: timeout.components.seconds)
                if removed > 0 {
                    logger.notice("removed abandoned evidence uploads", metadata: ["uploads.removed": "\(removed)"])
                }
            } catch {
                logger.warning("cannot remove abandoned evidence uploads; will retry", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
