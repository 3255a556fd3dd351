import IncidentStore
import Logging
import Synchronization

/// Writes the audit records of calls that need no database — introspection, playbook reads,
/// protocol breaches — without making the call wait for one: while PostgreSQL is slow or
/// every pooled connection is busy, they still answer at once. At most `limit` records wait;
/// past that they are counted, and the next one written says how many were dropped.
final class BackgroundAudit: Sendable {
    static let limit = 1000

    private let store: IncidentStore
    private let logger: Logger
    private let state = Mutex<(waiting: Int, dropped: Int)>((0, 0))

    init(store: IncidentStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    func record(_ record: AuditRecord) {
        let admitted = state.withLock { state -> Int? in
            guard state.waiting < Self.limit else {
                state.dropped += 1
                return nil
            }
            state.waiting += 1
            defer { state.dropped = 0 }
            return state.dropped
        }
        guard let dropped = admitted else { return }
        var record = record
        if dropped > 0 {
            record.detail +=
                (record.detail.isEmpty ? "" : "; ")
                + "\(dropped) earlier records of calls without data dropped under load"
            logger.warning(
                "audit records of calls without data were dropped under load",
                metadata: ["audit.dropped": "\(dropped)"]
            )
        }
        let store = self.store
        let logger = self.logger
        Task {
            await IncidentsAPI.audit(store: store, logger: logger, record)
            self.state.withLock { $0.waiting -= 1 }
        }
    }
}
