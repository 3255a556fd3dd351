import Foundation
import IncidentCore
import IncidentProtocol
import Synchronization
import Varlink

/// Holds every user to their rate limit on calls that change something (`rateLimits`), one
/// token bucket per uid. Reading calls are never limited: they store nothing and cost the
/// caller's own connection time.
final class RateLimiter: Sendable {
    /// A refusal is audited when it starts a run of refusals, then once every this many.
    static let auditEvery = 100
    /// Past this many buckets, the full ones are forgotten (they would admit anyway).
    private let bucketsKept: Int
    /// Each user's bucket with the limit it was last filled under.
    private let buckets = Mutex<[UInt32: (bucket: TokenBucket, limit: RateLimit)]>([:])
    private let limits: @Sendable () -> RateLimits
    private let trustedUID: UInt32
    private let clock: @Sendable () -> TimeInterval

    init(
        limits: @escaping @Sendable () -> RateLimits,
        trustedUID: UInt32 = getuid(),
        bucketsKept: Int = 10_000,
        clock: @escaping @Sendable () -> TimeInterval = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.bucketsKept = bucketsKept
        self.limits = limits
        self.trustedUID = trustedUID
        self.clock = clock
    }

    /// What a call from `caller` meets: admitted, or refused — with whether to audit this refusal.
    func admit(_ call: VarlinkCall, _ caller: Caller) -> (error: VarlinkError, refusedInARow: Int, limit: RateLimit)? {
        // The calls that change nothing are never limited; a method is limited unless its
        // catalogue entry says it only reads or continues an admitted call.
        guard !Methods.unlimitedNames.contains(call.method) else { return nil }
        let limit = limits().limit(for: caller, trustedUID: trustedUID)
        guard !limit.isUnlimited else { return nil }
        let now = clock()
        let admission = buckets.withLock { buckets -> TokenBucket.Admission in
            if buckets.count > bucketsKept {
                buckets = buckets.filter { !$0.value.bucket.isFull(limit: $0.value.limit, now: now) }
            }
            var bucket = buckets[caller.uid]?.bucket ?? TokenBucket(limit: limit, now: now)
            let admission = bucket.take(limit: limit, now: now)
            buckets[caller.uid] = (bucket, limit)
            return admission
        }
        guard case .refused(let retryAfter, let refusedInARow) = admission else { return nil }
        let error = WireError.tooManyRequests(
            retryAfterSeconds: Double(retryAfter),
            limit: "\(limit.perMinute) changes a minute, bursts of \(limit.burst)"
        ).varlinkError
        return (error, refusedInARow, limit)
    }
}
