import Foundation

/// A deadline's length: minutes, hours, days, or business days (weekends skipped).
public struct ClockDuration: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case minutes = "m"
        case hours = "h"
        case days = "d"
        case businessDays = "bd"
    }

    public var value: Int
    public var unit: Unit

    public init(value: Int, unit: Unit) {
        self.value = value
        self.unit = unit
    }

    /// Parses `30m`, `4h`, `3d`, `4bd`.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix(while: \.isNumber)
        guard !digits.isEmpty, digits.count <= 6, let value = Int(digits), value > 0,
            let unit = Unit(rawValue: String(trimmed.dropFirst(digits.count)))
        else { return nil }
        self.init(value: value, unit: unit)
    }

    public var description: String { "\(value)\(unit.rawValue)" }

    /// The instant `self` after `start`. Business days count whole weekdays (Monday to Friday,
    /// UTC) and keep the time of day; a start on a weekend counts from the next Monday 00:00.
    public func added(to start: Date) -> Date {
        switch unit {
        case .minutes: return start.addingTimeInterval(Double(value) * 60)
        case .hours: return start.addingTimeInterval(Double(value) * 3600)
        case .days: return start.addingTimeInterval(Double(value) * 86_400)
        case .businessDays:
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            var date = start
            if calendar.isDateInWeekend(date) {
                date = calendar.startOfDay(for: date)
                while calendar.isDateInWeekend(date) { date = date.addingTimeInterval(86_400) }
            }
            // Five business days from a weekday are exactly one week: whole weeks at once, so
            // `999999bd` costs what `4bd` does.
            date = date.addingTimeInterval(Double(value / 5) * 7 * 86_400)
            var remaining = value % 5
            while remaining > 0 {
                date = date.addingTimeInterval(86_400)
                if !calendar.isDateInWeekend(date) { remaining -= 1 }
            }
            return date
        }
    }
}
