import IncidentStore
import Logging
import ServiceLifecycle

/// Fires due-soon and overdue alerts, and ends clock pauses that reached their end, at a fixed
/// interval; the database makes each happen once. Also folds the open-incident counts' deltas.
struct DueScheduler: Service {
    let store: IncidentStore
    let playbooks: PlaybookRegistry
    let lead: Duration
    let interval: Duration
    let logger: Logger

    /// Alerts (or ended pauses) written per transaction: a burst of reports is worked through
    /// in bounded memory, and a stop waits for one batch at most.
    static let batch = 200

    func run() async throws {
        let playbooks = self.playbooks
        let (store, lead) = (self.store, self.lead)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let fired = try await Self.inBatches {
                    try await store.fireDueAlerts(dueSoonLead: lead, playbooks: playbooks.versions, batch: Self.batch)
                }
                if fired > 0 { logger.info("deadline alerts fired", metadata: ["alerts.count": "\(fired)"]) }
            } catch {
                logger.warning("cannot scan deadlines; will retry", metadata: ["error": "\(error)"])
            }
            do {
                let ended = try await Self.inBatches {
                    try await store.endLapsedPauses(playbooks: playbooks.versions, batch: Self.batch)
                }
                if ended > 0 { logger.info("clock pauses ended at their end", metadata: ["pauses.count": "\(ended)"]) }
            } catch {
                logger.warning("cannot end lapsed clock pauses; will retry", metadata: ["error": "\(error)"])
            }
            // Keeps Status's counts a handful of rows however many changes came in between.
            do {
                try await store.foldOpenCounts()
            } catch {
                logger.warning("cannot fold the open-incident counts; will retry", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

extension DueScheduler {
    /// Runs `batch` again while it does a whole batch and the daemon is not stopping; returns
    /// how much was done in all.
    static func inBatches(_ batch: () async throws -> Int) async throws -> Int {
        var total = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let done = try await batch()
            total += done
            if done < Self.batch { break }
        }
        return total
    }
}

extension DueScheduler: CustomStringConvertible {
    var description: String { "DueScheduler" }
}
