/// Wakes every waiting `Watch` when events were added, by any daemon (a PostgreSQL
/// notification); a watch that hears nothing looks again after its fallback interval.
///
/// Unlike the hook dispatcher's ``Doorbell`` it has many waiters, so a ring is counted rather
/// than remembered: a waiter passes the count it saw before it last looked, and returns at once
/// if the bell has rung since.
public actor EventBell {
    public init() {}

    private(set) var rings = 0
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0

    func ring() {
        rings += 1
        let woken = waiters
        waiters = [:]
        for waiter in woken.values { waiter.resume() }
    }

    nonisolated func ringSoon() {
        Task { await self.ring() }
    }

    /// Returns once the bell has rung more than `seen` times, after `timeout`, or as soon as the
    /// waiting task is cancelled.
    func wait(after seen: Int, timeout: Duration) async {
        guard rings == seen else { return }
        let id = nextWaiter
        nextWaiter += 1
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.stopWaiting(id)
            }
            await withCheckedContinuation { continuation in
                waiters[id] = continuation
            }
            group.cancelAll()
        }
    }

    private func stopWaiting(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }
}
