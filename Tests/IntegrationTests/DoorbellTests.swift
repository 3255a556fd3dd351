import Testing

@testable import IncidentDaemon

/// The dispatcher's doorbell: a ring wakes a wait (or the next one), a wait ends at its
/// timeout, and a cancelled waiter stops waiting at once.
@Suite struct DoorbellTests {
    @Test func aRingBeforeTheWaitIsKeptForIt() async {
        let bell = Doorbell()
        await bell.ring()
        let started = ContinuousClock.now
        await bell.wait(timeout: .seconds(60))
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aRingWakesAWaitingDispatcher() async {
        let bell = Doorbell()
        let started = ContinuousClock.now
        async let waited: Void = bell.wait(timeout: .seconds(60))
        try? await Task.sleep(for: .milliseconds(100))
        await bell.ring()
        await waited
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aWaitEndsAtItsTimeoutAndLeavesNoRingBehind() async {
        let bell = Doorbell()
        let started = ContinuousClock.now
        await bell.wait(timeout: .milliseconds(200))
        let first = ContinuousClock.now - started
        #expect(first >= .milliseconds(200) && first < .seconds(5))
        // The timeout was no ring: the next wait waits again.
        let again = ContinuousClock.now
        await bell.wait(timeout: .milliseconds(200))
        #expect(ContinuousClock.now - again >= .milliseconds(200))
    }

    @Test func aCancelledWaiterStopsWaitingAtOnce() async {
        let bell = Doorbell()
        let started = ContinuousClock.now
        let waiter = Task { await bell.wait(timeout: .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(100))
        waiter.cancel()
        await waiter.value
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
