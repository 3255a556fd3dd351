/// How users and groups map to roles; part of the daemon's configuration.
///
/// Defaults: root and members of `incidentd-admin` are admins; members of
/// `incidentd-managers`, `incidentd-investigators` and `incidentd-auditors` get those roles;
/// anyone who can reach the socket may report (`anyoneMayReport`).
public struct RoleAssignments: Sendable, Equatable {
    public var users: [String: Set<Role>]
    public var groups: [String: Set<Role>]
    /// Everyone who can reach the socket holds the reporter role.
    public var anyoneMayReport: Bool

    public init(users: [String: Set<Role>] = [:], groups: [String: Set<Role>] = [:], anyoneMayReport: Bool = true) {
        self.users = users
        self.groups = groups
        self.anyoneMayReport = anyoneMayReport
    }

    public static let defaults = RoleAssignments(
        users: ["root": [.admin]],
        groups: [
            "incidentd-admin": [.admin],
            "incidentd-managers": [.manager],
            "incidentd-investigators": [.investigator],
            "incidentd-auditors": [.auditor],
        ],
        anyoneMayReport: true
    )

    /// The roles `caller` holds: their user's, their groups', and reporter if anyone may report.
    public func roles(for caller: Caller) -> Set<Role> {
        var roles: Set<Role> = anyoneMayReport ? [.reporter] : []
        if caller.uid == 0 { roles.insert(.admin) }
        roles.formUnion(users[caller.userName] ?? [])
        for group in caller.groups {
            roles.formUnion(groups[group] ?? [])
        }
        return roles
    }

    /// The users and groups that grant any of `roles`, for saying whom to ask:
    /// `group incidentd-admin, group incidentd-auditors, user root`.
    public func holders(of roles: Set<Role>) -> [String] {
        let groupNames = groups.filter { !$0.value.isDisjoint(with: roles) }.keys.sorted().map { "group \($0)" }
        let userNames = users.filter { !$0.value.isDisjoint(with: roles) }.keys.sorted().map { "user \($0)" }
        return groupNames + userNames
    }

    public func principal(for caller: Caller) -> Principal {
        Principal(caller: caller, roles: roles(for: caller))
    }
}
