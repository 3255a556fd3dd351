import IncidentCore
import Logging
import NIOConcurrencyHelpers

/// The settings a running daemon can change on reload (SIGHUP) without restarting.
public final class LiveSettings: Sendable {
    private let state: NIOLockedValueBox<RoleAssignments>

    public init(roles: RoleAssignments) {
        state = NIOLockedValueBox(roles)
    }

    public var roles: RoleAssignments {
        state.withLockedValue { $0 }
    }

    func apply(_ configuration: Configuration) {
        state.withLockedValue { $0 = configuration.roles }
    }
}
