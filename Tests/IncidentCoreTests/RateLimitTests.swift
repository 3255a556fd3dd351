import Testing

@testable import IncidentCore

@Suite struct RateLimitTests {
    let limit = RateLimit(perMinute: 60, burst: 3)

    @Test func aBucketAdmitsItsBurstThenOneACallPerRefill() {
        var bucket = TokenBucket(limit: limit, now: 0)
        #expect((0..<3).map { _ in bucket.take(limit: limit, now: 0) } == [.admitted, .admitted, .admitted])
        #expect(bucket.take(limit: limit, now: 0) == .refused(retryAfter: 1, refusedInARow: 1))
        #expect(bucket.take(limit: limit, now: 0.5) == .refused(retryAfter: 1, refusedInARow: 2))
        #expect(bucket.take(limit: limit, now: 1.0) == .admitted, "one a second at 60 a minute")
        #expect(
            bucket.take(limit: limit, now: 1.0) == .refused(retryAfter: 1, refusedInARow: 1),
            "a new run of refusals"
        )
        #expect(bucket.take(limit: limit, now: 100) == .admitted)
        #expect(bucket.tokens == 2, "never more than the burst")
    }

    @Test func aSlowRefillSaysHowLongToWait() {
        let slow = RateLimit(perMinute: 2, burst: 1)
        var bucket = TokenBucket(limit: slow, now: 0)
        #expect(bucket.take(limit: slow, now: 0) == .admitted)
        #expect(bucket.take(limit: slow, now: 10) == .refused(retryAfter: 20, refusedInARow: 1))
    }

    @Test func anUnlimitedBucketAlwaysAdmits() {
        var bucket = TokenBucket(limit: .unlimited, now: 0)
        #expect((0..<1000).allSatisfy { _ in bucket.take(limit: .unlimited, now: 0) == .admitted })
    }

    @Test func theUsersOwnLimitWinsThenTheMostGenerousGroupThenTheDefault() {
        let limits = RateLimits(
            defaultLimit: RateLimit(perMinute: 10, burst: 10),
            users: ["dlp": RateLimit(perMinute: 6000, burst: 3000)],
            groups: [
                "soc": RateLimit(perMinute: 100, burst: 50), "ops": RateLimit(perMinute: 200, burst: 20),
                "free": .unlimited,
            ]
        )
        func caller(_ name: String, uid: UInt32 = 1000, groups: [String] = []) -> Caller {
            Caller(uid: uid, gid: uid, pid: 1, userName: name, groups: groups)
        }
        #expect(limits.limit(for: caller("dlp", groups: ["soc"]), trustedUID: 999).perMinute == 6000)
        #expect(limits.limit(for: caller("eve", groups: ["soc", "ops"]), trustedUID: 999).perMinute == 200)
        #expect(limits.limit(for: caller("eve", groups: ["soc", "free"]), trustedUID: 999).isUnlimited)
        #expect(limits.limit(for: caller("mallory"), trustedUID: 999).perMinute == 10)
        #expect(limits.limit(for: caller("root", uid: 0), trustedUID: 999).isUnlimited, "root is trusted")
        #expect(
            limits.limit(for: caller("incidentd", uid: 999), trustedUID: 999).isUnlimited,
            "so is the daemon's account"
        )
    }
}
