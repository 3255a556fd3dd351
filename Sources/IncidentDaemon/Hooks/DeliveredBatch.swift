import Foundation
import IncidentStore
import Logging

/// Writes delivered attempts in batches: while one batch is being written, the deliveries
/// that finish meanwhile wait and go together in the next, one statement and one commit for
/// all of them rather than a transaction each. Each caller returns once its own attempt is
/// recorded (or could not be, after which the lease expires and it is delivered again: at
/// least once, never lost), so a dispatcher slot frees only then, as before.
actor DeliveredBatch {
    private let store: HookStore
    private let daemonID: String
    private let logger: Logger
    private var waiting: [(HookStore.Delivered, CheckedContinuation<Void, Never>)] = []
    private var writing = false

    init(store: HookStore, daemonID: String, logger: Logger) {
        self.store = store
        self.daemonID = daemonID
        self.logger = logger
    }

    func record(_ attempt: HookStore.Delivered) async {
        await withCheckedContinuation { continuation in
            waiting.append((attempt, continuation))
            if !writing {
                writing = true
                Task { await self.writeAll() }
            }
        }
    }

    private func writeAll() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = []
            await write(batch.map(\.0))
            for (_, continuation) in batch { continuation.resume() }
        }
        writing = false
    }

    private func write(_ attempts: [HookStore.Delivered]) async {
        var logger = self.logger
        logger[metadataKey: "hook.batch"] = "\(attempts.count)"
        let (store, daemonID) = (self.store, self.daemonID)
        await HookDispatcher.recording(logger: logger) {
            try await store.finishDelivered(attempts, daemon: daemonID)
        }
    }
}
