import Foundation

/// How many changing calls one user may make: a token bucket that holds `burst` calls and
/// refills at `perMinute`. `perMinute` 0 means no limit.
public struct RateLimit: Sendable, Equatable {
    public var perMinute: Int
    public var burst: Int

    public init(perMinute: Int, burst: Int) {
        self.perMinute = perMinute
        self.burst = burst
    }

    public static let unlimited = RateLimit(perMinute: 0, burst: 0)
    public var isUnlimited: Bool { perMinute == 0 }
}

/// The limits by user and group (configuration `rateLimits`). A user's own entry wins; else the
/// most generous of their groups'; else the default. Root and the daemon's own account are
/// trusted and never limited.
public struct RateLimits: Sendable, Equatable {
    /// Sized so that a busy integration (a DLP system filing a report a second, with bursts of
    /// a few hundred during an outbreak) is never refused, while one user cannot fill the
    /// database or the hook queue.
    public static let defaultLimit = RateLimit(perMinute: 600, burst: 600)

    public var defaultLimit: RateLimit
    public var users: [String: RateLimit]
    public var groups: [String: RateLimit]

    public init(
        defaultLimit: RateLimit = Self.defaultLimit,
        users: [String: RateLimit] = [:],
        groups: [String: RateLimit] = [:]
    ) {
        self.defaultLimit = defaultLimit
        self.users = users
        self.groups = groups
    }

    public func limit(for caller: Caller, trustedUID: UInt32) -> RateLimit {
        if caller.uid == 0 || caller.uid == trustedUID { return .unlimited }
        if let own = users[caller.userName] { return own }
        let fromGroups = caller.groups.compactMap { groups[$0] }
        if fromGroups.contains(where: \.isUnlimited) { return .unlimited }
        return fromGroups.max { $0.perMinute < $1.perMinute } ?? defaultLimit
    }
}

/// One user's bucket. Pure: the caller passes the time.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: TimeInterval
    /// Calls refused since the bucket last admitted one.
    public private(set) var refusedInARow: Int = 0

    public init(limit: RateLimit, now: TimeInterval) {
        tokens = Double(limit.burst)
        updated = now
    }

    /// What a call meets.
    /// Whether the bucket would be full now: forgetting it changes nothing.
    public func isFull(limit: RateLimit, now: TimeInterval) -> Bool {
        limit.isUnlimited || tokens + max(0, now - updated) * Double(limit.perMinute) / 60 >= Double(limit.burst)
    }

    public enum Admission: Sendable, Equatable {
        case admitted
        /// Refused; a token is back after `retryAfter` seconds. `refusedInARow` counts this one.
        case refused(retryAfter: Int, refusedInARow: Int)
    }

    public mutating func take(limit: RateLimit, now: TimeInterval) -> Admission {
        guard !limit.isUnlimited else { return .admitted }
        let perSecond = Double(limit.perMinute) / 60
        tokens = min(Double(limit.burst), tokens + max(0, now - updated) * perSecond)
        updated = now
        if tokens >= 1 {
            tokens -= 1
            refusedInARow = 0
            return .admitted
        }
        refusedInARow += 1
        // The tolerance keeps float noise (20.000000001 s) from adding a second.
        let wait = ((1 - tokens) / perSecond - 1e-6).rounded(.up)
        return .refused(retryAfter: max(1, Int(wait)), refusedInARow: refusedInARow)
    }
}
