import IncidentCore
import Logging
import Synchronization

/// The settings a running daemon can change on reload (SIGHUP) without restarting.
public final class LiveSettings: Sendable {
    private struct State {
        var roles: RoleAssignments
        var retentionDays: Int?
        var rateLimits: RateLimits
        var profile: OrganisationProfile
        var evidenceLimits: EvidenceLimits
    }

    private let state: Mutex<State>

    public init(
        roles: RoleAssignments,
        retentionDays: Int? = nil,
        rateLimits: RateLimits = RateLimits(),
        profile: OrganisationProfile = OrganisationProfile(),
        evidenceLimits: EvidenceLimits = EvidenceLimits()
    ) {
        state = Mutex(
            State(
                roles: roles,
                retentionDays: retentionDays,
                rateLimits: rateLimits,
                profile: profile,
                evidenceLimits: evidenceLimits
            )
        )
    }

    /// How large evidence files and an incident's evidence may be.
    public var evidenceLimits: EvidenceLimits {
        state.withLock { $0.evidenceLimits }
    }

    /// Who the organisation is, for the notices.
    public var profile: OrganisationProfile {
        state.withLock { $0.profile }
    }

    /// How many changes each user may make.
    public var rateLimits: RateLimits {
        state.withLock { $0.rateLimits }
    }

    public var roles: RoleAssignments {
        state.withLock { $0.roles }
    }

    /// Days closed incidents keep their personal data when their playbook does not say.
    public var retentionDays: Int? {
        state.withLock { $0.retentionDays }
    }

    func apply(_ configuration: Configuration) {
        state.withLock {
            $0 = State(
                roles: configuration.roles,
                retentionDays: configuration.retentionDays,
                rateLimits: configuration.rateLimits,
                profile: configuration.profile,
                evidenceLimits: configuration.evidenceLimits
            )
        }
    }
}
