import Foundation
import Glibc
import IncidentCore
import IncidentStore
import Logging
import ServiceLifecycle

/// Purges personal data past retention once a day, across all daemons: the first daemon to
/// claim the day's row in `maintenance_runs` runs it; the others skip. Checks hourly.
struct Purger: Service, CustomStringConvertible {
    let store: IncidentStore
    let policy: @Sendable () -> RetentionPolicy
    let daemonID: String
    let interval: Duration
    let logger: Logger

    var description: String { "Purger" }

    func run() async throws {
        let caller = Caller(uid: getuid(), gid: getgid(), pid: getpid(), userName: "incidentd")
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let policy = self.policy()
            if !policy.isEmpty {
                do {
                    if try await store.claimDailyRun("purge", daemon: daemonID) {
                        let purged = try await store.purge(
                            policy: policy,
                            dryRun: false,
                            audit: AuditRecord(caller: caller, action: AuditRecord.purgeAction)
                        )
                        logger.notice("daily retention run", metadata: ["incidents.purged": "\(purged.count)"])
                    }
                } catch {
                    logger.warning("cannot run the daily purge; will retry", metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
