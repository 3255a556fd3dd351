import Foundation
import Testing

@testable import IncidentCLI

/// The dates people type for `--since`, `--until`, `--aware`: absolute ones in local time, and
/// the relative forms git takes.
@Suite struct InstantParserTests {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    /// 2026-12-03 10:15 in Shanghai.
    static let now = Date(timeIntervalSince1970: 1_796_264_100)

    static func local(_ text: String) -> String? {
        guard let date = InstantParser.parse(text, now: now, timeZone: zone) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    @Test(arguments: [
        ("2026-05-01", "2026-05-01 00:00"),
        ("2026-05-01T09:30", "2026-05-01 09:30"),
        ("2026-05-01 09:30", "2026-05-01 09:30"),
        ("2026-05-01T09:30:00Z", "2026-05-01 17:30"),
        ("now", "2026-12-03 10:15"),
        ("today", "2026-12-03 00:00"),
        ("yesterday", "2026-12-02 00:00"),
        ("Yesterday", "2026-12-02 00:00"),
        ("12h", "2026-12-02 22:15"),
        ("7d", "2026-11-26 10:15"),
        ("90d", "2026-09-04 10:15"),
        ("2w", "2026-11-19 10:15"),
        ("2026-11", "2026-11-01 00:00"),
        ("2026-Q1", "2026-01-01 00:00"),
        ("2026-q3", "2026-07-01 00:00"),
        ("2026-Q4", "2026-10-01 00:00"),
    ])
    func acceptedForms(_ typed: String, _ expected: String) {
        #expect(Self.local(typed) == expected, "\(typed)")
    }

    @Test(arguments: [
        "", "soon", "7x", "-3d", "2026-Q5", "2026-Q0", "2026-13", "2026-02-30", "26-05-01", "2026-05-01 9",
    ])
    func refusedForms(_ typed: String) {
        #expect(Self.local(typed) == nil, "\(typed)")
    }

    @Test func theErrorNamesTheFlagAndTheForms() {
        #expect(throws: CLIError.self) { try InstantParser.instant("last week", flag: "--since") }
        do {
            _ = try InstantParser.instant("last week", flag: "--since")
        } catch let error as CLIError {
            #expect(error.message.hasPrefix("--since last week is not a date or time; use 2026-05-01"), "\(error)")
            #expect(error.message.contains("2026-Q3"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
