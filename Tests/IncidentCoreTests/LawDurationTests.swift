import Foundation
import Testing

@testable import IncidentCore

/// The durations the laws use, with the answers worked out by hand on a calendar.
@Suite struct LawDurationTests {
    static func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test(arguments: [
        // NIS2 Art. 23(4)(d): the final report "one month" after the notification.
        ("1mo", "2026-02-01T10:00:00Z", "2026-03-01T10:00:00Z"),
        ("1mo", "2026-01-31T08:00:00Z", "2026-02-28T08:00:00Z"),  // clamped at the month's end
        ("1mo", "2024-01-31T08:00:00Z", "2024-02-29T08:00:00Z"),  // a leap year
        ("1mo", "2026-12-15T23:30:00Z", "2027-01-15T23:30:00Z"),
        ("12mo", "2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z"),
        // SEC Form 8-K: four business days, skipping Thanksgiving (26 November 2026).
        ("4bd-us", "2026-11-25T15:00:00Z", "2026-12-02T15:00:00Z"),
        ("4bd", "2026-11-25T15:00:00Z", "2026-12-01T15:00:00Z"),
        // Independence Day 2026 is a Saturday: observed Friday 3 July.
        ("1bd-us", "2026-07-02T12:00:00Z", "2026-07-06T12:00:00Z"),
        // New Year's Day 2028 is a Saturday: observed Friday 31 December 2027.
        ("1bd-us", "2027-12-30T09:00:00Z", "2028-01-03T09:00:00Z"),
        // Juneteenth 2026 is a Friday.
        ("1bd-us", "2026-06-18T09:00:00Z", "2026-06-22T09:00:00Z"),
        // Brazil: Tiradentes (21 April), Good Friday (3 April 2026), Black Consciousness (20 November, from 2024).
        ("3bd-br", "2026-04-20T12:00:00Z", "2026-04-24T12:00:00Z"),
        ("1bd-br", "2026-04-02T10:00:00Z", "2026-04-06T10:00:00Z"),
        ("1bd-br", "2026-11-19T10:00:00Z", "2026-11-23T10:00:00Z"),
        ("1bd-br", "2023-11-17T10:00:00Z", "2023-11-20T10:00:00Z"),  // not yet a holiday in 2023
    ])
    func aDurationEndsWhereTheCalendarSays(duration: String, start: String, end: String) throws {
        let parsed = try #require(ClockDuration(parsing: duration))
        #expect(parsed.added(to: Self.at(start)) == Self.at(end), "\(duration) after \(start)")
        #expect(ClockDuration(parsing: parsed.description) == parsed, "prints as it parses")
    }

    @Test func easterFollowsTheGregorianComputus() {
        #expect(HolidayCalendar.easter(2026) == (4, 5))
        #expect(HolidayCalendar.easter(2027) == (3, 28))
        #expect(HolidayCalendar.easter(2025) == (4, 20))
    }

    @Test(arguments: ["4bd-xx", "4d-us", "4mo-us", "1bd-", "3651bd-us", "1201mo", "1-us"])
    func aDurationThatIsNotALawsIsRefused(text: String) {
        #expect(ClockDuration(parsing: text) == nil, "\(text)")
    }

    /// The arithmetic day business-day clocks count with agrees with Foundation's calendar
    /// on every day from 1900 to 2200, at every hour of the day, either side of the epoch.
    @Test func aUTCDayIsTheCalendarsDay() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var date = Self.at("1900-01-01T00:30:00Z")
        let end = Self.at("2200-01-01T00:00:00Z")
        var checked = 0
        while date < end {
            let day = UTCDay(date)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            guard day.year == parts.year, day.month == parts.month, day.day == parts.day,
                day.isWeekend == calendar.isDateInWeekend(date), day.start == calendar.startOfDay(for: date)
            else {
                Issue.record("\(date): \(day.year)-\(day.month)-\(day.day), weekend \(day.isWeekend)")
                return
            }
            checked += 1
            date = date.addingTimeInterval(86_400 + 3_607)  // a day and a bit: every hour in turn
        }
        #expect(checked > 100_000)
    }
}
