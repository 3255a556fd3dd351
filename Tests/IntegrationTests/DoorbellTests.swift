import Testing

@testable import IncidentDaemon

/// The dispatcher's doorbell: a ring wakes a wait (or the next one), a wait ends at its
/// timeout, and a cancelled waiter stops waiting at once. The waits that must end early wait
/// an hour, and are asked to end within ten minutes: the full suite can starve this process's
/// threads for a minute or more, so a tighter bound would time the machine, not the doorbell.
@Suite(.timeLimit(.minutes(15))) struct DoorbellTests {
    @Test func aRingBeforeTheWaitIsKeptForIt() async {
        let bell = Doorbell()
        await bell.ring()
        let started = ContinuousClock.now
        await bell.wait(timeout: .seconds(3600))
        #expect(ContinuousClock.now - started < .seconds(600))
    }

    @Test func aRingWakesAWaitingDispatcher() async {
        let bell = Doorbell()
        let started = ContinuousClock.now
        async let waited: Void = bell.wait(timeout: .seconds(3600))
        try? await Task.sleep(for: .milliseconds(100))
        await bell.ring()
        await waited
        #expect(ContinuousClock.now - started < .seconds(600))
    }

    @Test func aWaitEndsAtItsTimeoutAndLeavesNoRingBehind() async {
        let bell = Doorbell()
        let started = ContinuousClock.now
        await bell.wait(timeout: .milliseconds(200))
        let first = ContinuousClock.now - started
        #expect(first >= .milliseconds(200))
        // The timeout was no ring: the next wait waits again.
        let again = ContinuousClock.now
        await bell.wait(timeout: .milliseconds(200))
        #expect(ContinuousClock.now - again >= .milliseconds(200))
    }

    @Test func aCancelledWaiterStopsWaitingAtOnce() async {
        let bell = Doorbell()
        let started = ContinuousClock.now
        let waiter = Task { await bell.wait(timeout: .seconds(3600)) }
        try? await Task.sleep(for: .milliseconds(100))
        waiter.cancel()
        await waiter.value
        #expect(ContinuousClock.now - started < .seconds(600))
    }
}
