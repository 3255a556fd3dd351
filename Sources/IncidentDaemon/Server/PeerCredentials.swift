import Foundation
import IncidentCore
import NIOCore
import NIOPosix
import Synchronization

/// Mirrors Linux's `struct ucred` (pid, uid, gid), which Glibc does not export to Swift.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0

    /// Reads `SO_PEERCRED` from a connected Unix socket channel.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard case .unixDomainSocket? = channel.localAddress,
            let provider = channel as? any SocketOptionProvider
        else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        return provider.unsafeGetSocketOption(level: .socket, name: .init(rawValue: SO_PEERCRED))
    }
}

/// Resolves uids to user names and groups through the system's user database, caching each
/// answer briefly: a lookup may go to NSS (LDAP, sssd), and a change of someone's groups
/// should take effect within seconds, not at the next restart.
final class UserDirectory: Sendable {
    private struct Entry {
        var caller: Caller
        var expires: ContinuousClock.Instant
    }

    private let cache = Mutex([UInt32: Entry]())
    private let lifetime: Duration

    init(lifetime: Duration = .seconds(10)) {
        self.lifetime = lifetime
    }

    /// The caller behind `credentials`. A lookup that is not cached runs on NIO's blocking
    /// thread pool, never on Swift's cooperative pool: NSS may wait on the network.
    func caller(for credentials: PeerCredentials) async -> Caller {
        let now = ContinuousClock.now
        if let entry = cache.withLock({ $0[credentials.uid] }), entry.expires > now {
            var caller = entry.caller
            caller.pid = credentials.pid
            return caller
        }
        let caller =
            (try? await NIOThreadPool.singleton.runIfActive { Self.lookUp(credentials) }) ?? Self.lookUp(credentials)
        cache.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }
            entries[credentials.uid] = Entry(caller: caller, expires: now + lifetime)
        }
        return caller
    }

    static func lookUp(_ credentials: PeerCredentials) -> Caller {
        var account = passwd()
        var buffer = [CChar](repeating: 0, count: 4096)
        var result: UnsafeMutablePointer<passwd>?
        getpwuid_r(credentials.uid, &account, &buffer, buffer.count, &result)
        guard result != nil else {
            // No passwd entry: still identified, by number.
            return Caller(uid: credentials.uid, gid: credentials.gid, pid: credentials.pid)
        }
        let name = String(cString: account.pw_name)
        return Caller(
            uid: credentials.uid,
            gid: credentials.gid,
            pid: credentials.pid,
            userName: name,
            groups: groupNames(user: account.pw_name, primary: account.pw_gid)
        )
    }

    /// The account named `name` on this system, with its groups, or nil when there is none.
    static func account(named name: String) -> Caller? {
        var account = passwd()
        var buffer = [CChar](repeating: 0, count: 4096)
        var result: UnsafeMutablePointer<passwd>?
        getpwnam_r(name, &account, &buffer, buffer.count, &result)
        guard result != nil else { return nil }
        return Caller(
            uid: account.pw_uid,
            gid: account.pw_gid,
            pid: 0,
            userName: String(cString: account.pw_name),
            groups: groupNames(user: account.pw_name, primary: account.pw_gid)
        )
    }

    private static func groupNames(user: UnsafePointer<CChar>, primary: gid_t) -> [String] {
        var count: Int32 = 64
        var ids = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, primary, &ids, &count) < 0 {
            ids = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user, primary, &ids, &count) >= 0 else { return [] }
        }
        return ids.prefix(Int(count)).compactMap { id in
            var group = group()
            var buffer = [CChar](repeating: 0, count: 4096)
            var result: UnsafeMutablePointer<group>?
            getgrgid_r(id, &group, &buffer, buffer.count, &result)
            return result == nil ? nil : String(cString: group.gr_name)
        }
    }
}
