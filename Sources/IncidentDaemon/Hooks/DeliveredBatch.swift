import Foundation
import IncidentStore
import Logging

/// Writes delivered attempts in batches: while one batch is being written, the deliveries
/// that finish meanwhile wait and go together in the next, one statement and one commit for
/// all of them rather than a transaction each.
///
/// A delivery's slot frees when its hook has finished, not when the attempt is committed: the
/// delivery keeps its lease until then, so no daemon claims it again, and if the write never
/// succeeds the lease expires and it is delivered again (at least once, never lost). At most
/// `backlog` attempts wait to be written; past that, `record` waits for the write, so a slow
/// database slows the hooks rather than filling memory.
actor DeliveredBatch {
    private let store: HookStore
    private let daemonID: String
    private let logger: Logger
    private let backlog: Int
    private var waiting: [HookStore.Delivered] = []
    /// Callers held back by a full backlog, released as each batch is written.
    private var held: [CheckedContinuation<Void, Never>] = []
    /// Callers of `drain`, released when nothing is left to write.
    private var drained: [CheckedContinuation<Void, Never>] = []
    private var writing = false

    init(store: HookStore, daemonID: String, logger: Logger, backlog: Int) {
        self.store = store
        self.daemonID = daemonID
        self.logger = logger
        self.backlog = max(1, backlog)
    }

    /// Queues `attempt` to be written; returns at once unless `backlog` attempts are waiting.
    func record(_ attempt: HookStore.Delivered) async {
        waiting.append(attempt)
        if !writing {
            writing = true
            Task { await self.writeAll() }
        }
        if waiting.count > backlog {
            await withCheckedContinuation { held.append($0) }
        }
    }

    /// Returns once every attempt recorded so far is written (or given up on).
    func drain() async {
        guard writing else { return }
        await withCheckedContinuation { drained.append($0) }
    }

    private func writeAll() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = []
            await write(batch)
            let released = held
            held = []
            for continuation in released { continuation.resume() }
        }
        writing = false
        let finished = drained
        drained = []
        for continuation in finished { continuation.resume() }
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
