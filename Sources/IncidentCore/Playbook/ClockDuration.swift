import Foundation
import Synchronization

/// A deadline's length as the laws count it: minutes, hours, calendar days, calendar months
/// (clamped at a month's end), or business days (weekends skipped, and the holidays of a named
/// calendar: `4bd-us` for the SEC's business days, `3bd-br` for Brazil's).
public struct ClockDuration: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case minutes = "m"
        case hours = "h"
        case days = "d"
        case businessDays = "bd"
        /// Calendar months: 1 February + 1mo is 1 March; 31 January + 1mo is the last day of February.
        case months = "mo"
    }

    public var value: Int
    public var unit: Unit
    /// For business days: the holidays skipped besides weekends.
    public var holidays: HolidayCalendar

    public init(value: Int, unit: Unit, holidays: HolidayCalendar = .none) {
        self.value = value
        self.unit = unit
        self.holidays = unit == .businessDays ? holidays : .none
    }

    /// The most business days a holiday calendar counts (they are counted one by one).
    static let maximumBusinessDaysWithHolidays = 3650

    /// Parses `30m`, `4h`, `3d`, `1mo`, `4bd`, `4bd-us`, `3bd-br`.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix(while: \.isNumber)
        guard !digits.isEmpty, digits.count <= 6, let value = Int(digits), value > 0 else { return nil }
        let rest = trimmed.dropFirst(digits.count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let unitText = rest.first, let unit = Unit(rawValue: String(unitText)) else { return nil }
        var holidays = HolidayCalendar.none
        if rest.count == 2 {
            guard unit == .businessDays, let named = HolidayCalendar(rawValue: String(rest[1])), named != .none,
                value <= Self.maximumBusinessDaysWithHolidays
            else { return nil }
            holidays = named
        }
        guard unit != .months || value <= 1200 else { return nil }
        self.init(value: value, unit: unit, holidays: holidays)
    }

    public var description: String { "\(value)\(unit.rawValue)" + (holidays == .none ? "" : "-\(holidays.rawValue)") }

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The instant `self` after `start`, in UTC. Business days count whole working days and
    /// keep the time of day; a start on a day off counts from the next working day's 00:00.
    public func added(to start: Date) -> Date {
        switch unit {
        case .minutes: return start.addingTimeInterval(Double(value) * 60)
        case .hours: return start.addingTimeInterval(Double(value) * 3600)
        case .days: return start.addingTimeInterval(Double(value) * 86_400)
        case .months:
            // Foundation clamps to the month's last day and keeps the time of day.
            return Self.utc.date(byAdding: .month, value: value, to: start) ?? start
        case .businessDays:
            // Days in UTC by arithmetic, not Calendar: a report's workflow counts these for
            // every clock of every regime, and Calendar's components cost most of that.
            func isWorkingDay(_ date: Date) -> Bool {
                let day = UTCDay(date)
                return !day.isWeekend && !holidays.contains(day)
            }
            var date = start
            if !isWorkingDay(date) {
                date = UTCDay(date).start
                while !isWorkingDay(date) { date = date.addingTimeInterval(86_400) }
            }
            var remaining = value
            if holidays == .none {
                // Five business days from a weekday are exactly one week: whole weeks at once, so
                // `999999bd` costs what `4bd` does.
                date = date.addingTimeInterval(Double(value / 5) * 7 * 86_400)
                remaining = value % 5
            }
            while remaining > 0 {
                date = date.addingTimeInterval(86_400)
                if isWorkingDay(date) { remaining -= 1 }
            }
            return date
        }
    }
}

/// A day in UTC, from an instant by arithmetic (days since 1970-01-01, then the civil date by
/// Howard Hinnant's days-to-civil algorithm): what a business-day count asks of each day.
struct UTCDay {
    let days: Int
    let year: Int
    let month: Int
    let day: Int

    init(_ date: Date) {
        days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Saturday or Sunday (1970-01-01 was a Thursday).
    var isWeekend: Bool {
        let weekday = ((days + 3) % 7 + 7) % 7  // 0 Monday … 6 Sunday
        return weekday >= 5
    }

    /// Its 00:00 UTC.
    var start: Date { Date(timeIntervalSince1970: Double(days) * 86_400) }
}

/// The public holidays a business-day clock skips.
public enum HolidayCalendar: String, Sendable, Hashable, CaseIterable {
    case none
    /// US federal holidays, 5 U.S.C. 6103 (https://www.law.cornell.edu/uscode/text/5/6103),
    /// with the observed day when one falls on a weekend (Saturday → Friday, Sunday → Monday):
    /// the days the SEC is closed.
    case us
    /// Brazil's national holidays: Lei 662/1949 as amended by Lei 10.607/2002
    /// (https://www.planalto.gov.br/ccivil_03/leis/l0662.htm), Lei 6.802/1980 (12 October),
    /// Lei 14.759/2023 (20 November, from 2024), and Good Friday. Carnival and Corpus Christi
    /// are optional days off for the federal service, not holidays, and are counted as working
    /// days. Whether ANPD counts state and municipal holidays is not confirmed.
    case br

    /// Whether `day` (in UTC) is one of these holidays.
    func contains(_ day: UTCDay) -> Bool {
        guard self != .none else { return false }
        return Self.known.holidays(of: self, in: day.year).contains(day.month * 100 + day.day)
    }

    /// Each calendar's holidays, worked out once per year asked for (month × 100 + day).
    private static let known = Known()

    private final class Known: Sendable {
        private let years = Mutex<[HolidayCalendar: [Int: Set<Int>]]>([:])

        func holidays(of calendar: HolidayCalendar, in year: Int) -> Set<Int> {
            if let days = years.withLock({ $0[calendar]?[year] }) { return days }
            let days = Set(calendar.holidays(in: year, calendar: ClockDuration.utc).map { $0.month * 100 + $0.day })
            years.withLock { $0[calendar, default: [:]][year] = days }
            return days
        }
    }

    private func holidays(in year: Int, calendar: Calendar) -> [(month: Int, day: Int)] {
        switch self {
        case .none: return []
        case .us:
            // Fixed-date holidays move to the nearest weekday; New Year's Day of the next year
            // may be observed on 31 December of this one.
            var days = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)].map { observed(year, $0.0, $0.1, calendar) }
            if let nextNewYear = observed(year + 1, 1, 1, calendar), nextNewYear.year == year {
                days.append(nextNewYear)
            }
            days += [
                nth(3, weekday: 2, of: 1, year, calendar),  // Martin Luther King Jr.'s Birthday
                nth(3, weekday: 2, of: 2, year, calendar),  // Washington's Birthday
                last(weekday: 2, of: 5, year, calendar),  // Memorial Day
                nth(1, weekday: 2, of: 9, year, calendar),  // Labor Day
                nth(2, weekday: 2, of: 10, year, calendar),  // Columbus Day
                nth(4, weekday: 5, of: 11, year, calendar),  // Thanksgiving Day
            ]
            return days.compactMap { $0 }.filter { $0.year == year }.map { ($0.month, $0.day) }
        case .br:
            var days = [(1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (12, 25)]
            if year >= 2024 { days.append((11, 20)) }
            let easter = Self.easter(year)
            if let goodFriday = calendar.date(
                from: DateComponents(year: year, month: easter.month, day: easter.day - 2)
            ) {
                let parts = calendar.dateComponents([.month, .day], from: goodFriday)
                days.append((parts.month!, parts.day!))
            }
            return days
        }
    }

    private func observed(
        _ year: Int,
        _ month: Int,
        _ day: Int,
        _ calendar: Calendar
    ) -> (year: Int, month: Int, day: Int)? {
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)) else { return nil }
        let shift =
            switch calendar.component(.weekday, from: date) {
            case 7: -1  // Saturday → Friday
            case 1: 1  // Sunday → Monday
            default: 0
            }
        let moved = date.addingTimeInterval(Double(shift) * 86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: moved)
        return (parts.year!, parts.month!, parts.day!)
    }

    /// The `n`th `weekday` (1 Sunday … 7 Saturday) of `month`.
    private func nth(
        _ n: Int,
        weekday: Int,
        of month: Int,
        _ year: Int,
        _ calendar: Calendar
    ) -> (year: Int, month: Int, day: Int)? {
        guard let first = calendar.date(from: DateComponents(year: year, month: month, day: 1)) else { return nil }
        let offset = (weekday - calendar.component(.weekday, from: first) + 7) % 7
        return (year, month, 1 + offset + (n - 1) * 7)
    }

    private func last(
        weekday: Int,
        of month: Int,
        _ year: Int,
        _ calendar: Calendar
    ) -> (year: Int, month: Int, day: Int)? {
        guard let first = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
            let days = calendar.range(of: .day, in: .month, for: first)?.count,
            let end = calendar.date(from: DateComponents(year: year, month: month, day: days))
        else { return nil }
        let back = (calendar.component(.weekday, from: end) - weekday + 7) % 7
        return (year, month, days - back)
    }

    /// Easter Sunday in the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher).
    static func easter(_ year: Int) -> (month: Int, day: Int) {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        return ((h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1)
    }
}
