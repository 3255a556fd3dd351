import Foundation
import Testing

@testable import IncidentCore

@Suite struct EventCursorTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func newIdsAdvanceThePositionAndAreFresh() {
        var cursor = EventCursor(position: 10)
        #expect(cursor.advance(over: [11, 12, 13], now: start) == [11, 12, 13])
        #expect(cursor.position == 13)
        #expect(cursor.gaps.isEmpty)
        #expect(cursor.advance(over: [], now: start).isEmpty)
    }

    @Test func anIdCommittedLateFillsItsGapOnce() {
        var cursor = EventCursor(position: 10)
        #expect(cursor.advance(over: [11, 14], now: start) == [11, 14])
        #expect(Set(cursor.gaps.keys) == [12, 13])
        #expect(cursor.advance(over: [13, 15], now: start.addingTimeInterval(1)) == [13, 15])
        #expect(Set(cursor.gaps.keys) == [12])
        #expect(cursor.advance(over: [13], now: start.addingTimeInterval(2)).isEmpty, "never shown twice")
        #expect(cursor.advance(over: [11], now: start.addingTimeInterval(2)).isEmpty)
    }

    @Test func gapsOfRolledBackTransactionsExpire() {
        var cursor = EventCursor(position: 0)
        _ = cursor.advance(over: [5], now: start)
        #expect(cursor.gaps.count == 4)
        _ = cursor.advance(over: [], now: start.addingTimeInterval(EventCursor.gapLifetime + 1))
        #expect(cursor.gaps.isEmpty)
    }

    @Test func gapsAreBounded() {
        var cursor = EventCursor(position: 0)
        #expect(cursor.advance(over: [1_000_000], now: start) == [1_000_000])
        #expect(cursor.gaps.count == EventCursor.maximumGaps)
        #expect(cursor.position == 1_000_000)
    }
}
