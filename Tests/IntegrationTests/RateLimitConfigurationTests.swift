import Foundation
import IncidentCore
import IncidentProtocol
import Testing
import Varlink

@testable import IncidentDaemon

/// `rateLimits` and `maximumBytesPerIncident` in the configuration file.
@Suite struct RateLimitConfigurationTests {
    func parse(_ text: String) throws(ConfigurationError) -> Configuration { try parseConfiguration(text) }

    @Test func limitsByDefaultUserAndGroup() throws {
        let configuration = try parse(
            """
            rateLimits:
              default: {perMinute: 120, burst: 30}
              users: {dlp-agent: {perMinute: 6000, burst: 3000}}
              groups: {soc: {perMinute: 0}}
            maximumBytesPerIncident: 1048576
            hookCoalesceSeconds: 60
            """
        )
        #expect(configuration.rateLimits.defaultLimit == RateLimit(perMinute: 120, burst: 30))
        #expect(configuration.rateLimits.users["dlp-agent"] == RateLimit(perMinute: 6000, burst: 3000))
        #expect(configuration.rateLimits.groups["soc"]?.isUnlimited == true)
        #expect(configuration.maximumBytesPerIncident == 1_048_576)
        #expect(configuration.hookCoalesceWindow == .seconds(60))
        #expect(
            Configuration(socketPath: "/tmp/x.sock", stateDirectory: "/tmp/x").rateLimits.defaultLimit
                == RateLimits.defaultLimit,
            "a default that a busy integration fits"
        )
    }

    @Test(arguments: [
        ("rateLimits:\n  default: {burst: 5}\n", "rateLimits.default needs perMinute"),
        ("rateLimits:\n  default: {perMinute: -1}\n", "rateLimits.default.perMinute must be a whole number"),
        ("rateLimits:\n  users: {eve: {perMinute: 5, bursts: 2}}\n", "unknown key rateLimits.users.eve.bursts"),
        ("rateLimits:\n  everyone: {perMinute: 5}\n", "unknown key rateLimits.everyone"),
        ("rateLimits:\n  default: {perMinute: 5, burst: 0}\n", "rateLimits.default.burst must be at least 1"),
        ("maximumBytesPerIncident: 10\n", "maximumBytesPerIncident must be a whole number of bytes"),
    ])
    func aBadLimitIsRefusedWithItsLine(text: String, message: String) {
        #expect {
            _ = try parse(text)
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.message.contains(message) && error.line != nil
        }
    }

    @Test func theLimiterHoldsChangesButNotReads() {
        let limiter = RateLimiter(
            limits: { RateLimits(defaultLimit: RateLimit(perMinute: 60, burst: 2)) },
            trustedUID: 999,
            clock: { 0 }
        )
        let eve = Caller(uid: 1000, gid: 1000, pid: 1, userName: "eve")
        let report = VarlinkCall(method: Methods.Incidents.report.name)
        #expect(limiter.admit(report, eve) == nil)
        #expect(limiter.admit(report, eve) == nil)
        let refused = limiter.admit(report, eve)
        #expect(refused?.error.name == WireError.Name.tooManyRequests.rawValue)
        #expect(refused?.error.parameters["retryAfterSeconds"]?.integerValue == 1)
        #expect(refused?.refusedInARow == 1)
        #expect(limiter.admit(VarlinkCall(method: Methods.Incidents.get.name), eve) == nil, "reads are not limited")
    }

    /// Forgetting buckets to bound memory forgets only full ones, each judged by its own
    /// limit: a generous user's half-used burst is not handed back whole.
    @Test func forgettingBucketsNeverRefillsOne() {
        let generous = RateLimit(perMinute: 1, burst: 4)
        let limiter = RateLimiter(
            limits: { RateLimits(defaultLimit: RateLimit(perMinute: 60, burst: 1), users: ["dlp": generous]) },
            trustedUID: 999,
            bucketsKept: 2,
            clock: { 0 }
        )
        let dlp = Caller(uid: 1000, gid: 1000, pid: 1, userName: "dlp")
        let report = VarlinkCall(method: Methods.Incidents.report.name)
        for _ in 0..<3 { #expect(limiter.admit(report, dlp) == nil) }
        // Others arrive, and the daemon prunes: dlp's bucket holds one of four tokens, not full.
        for uid in UInt32(2000)..<2004 {
            _ = limiter.admit(report, Caller(uid: uid, gid: uid, pid: 1, userName: "u\(uid)"))
        }
        #expect(limiter.admit(report, dlp) == nil, "its last token")
        #expect(limiter.admit(report, dlp)?.error.name == WireError.Name.tooManyRequests.rawValue, "not a fresh burst")
    }
}
