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

    func run() async throws {
        let playbooks = self.playbooks
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let fired = try await store.fireDueAlerts(dueSoonLead: lead, playbooks: playbooks.versions)
                if fired > 0 { logger.info("deadline alerts fired", metadata: ["alerts.count": "\(fired)"]) }
            } catch {
                logger.warning("cannot scan deadlines; will retry", metadata: ["error": "\(error)"])
            }
            do {
                let ended = try await store.endLapsedPauses(playbooks: playbooks.versions)
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

extension DueScheduler: CustomStringConvertible {
    var description: String { "DueScheduler" }
}
