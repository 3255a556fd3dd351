/// Who is calling, as the kernel told the daemon (`SO_PEERCRED`) — never as the message claims.
public struct Caller: Sendable, Hashable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    /// The user name from the system's user database, or the uid as text when it has none.
    public var userName: String
    /// Names of the groups the user belongs to (primary and supplementary).
    public var groups: [String]

    public init(uid: UInt32, gid: UInt32, pid: Int32, userName: String? = nil, groups: [String] = []) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.userName = userName ?? String(uid)
        self.groups = groups
    }

    public var description: String { "\(userName) (uid \(uid), pid \(pid))" }
}
