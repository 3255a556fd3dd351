/// Wakes an idle dispatcher when deliveries were queued: at once by this daemon, and through a
/// PostgreSQL notification by any daemon (``WakeUpListener``). The dispatcher also looks at its
/// poll interval, for retries falling due and while it cannot listen.
actor Doorbell {
    /// Rung while nobody waited: the next wait returns at once.
    private var rung = false
    private var waiter: CheckedContinuation<Void, Never>?

    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            rung = true
        }
    }

    /// Returns when rung, after `timeout`, or as soon as the waiting task is cancelled. The
    /// timer is a child task that ends with the wait, so no wait leaves a task behind.
    func wait(timeout: Duration) async {
        if rung {
            rung = false
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends early when cancelled: by the ring below, or with the waiting task.
                try? await Task.sleep(for: timeout)
                await self.stopWaiting()
            }
            await withCheckedContinuation { continuation in
                waiter = continuation
            }
            group.cancelAll()
        }
    }

    /// Ends a wait without counting as a ring.
    private func stopWaiting() {
        waiter?.resume()
        waiter = nil
    }

    nonisolated func ringSoon() {
        Task { await self.ring() }
    }
}
