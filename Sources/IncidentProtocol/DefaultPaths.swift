import Foundation
import Glibc

/// Where incidentd puts its socket when none is configured — shared so the daemon and its
/// clients agree without configuration.
///
/// No default lies in a shared directory such as /tmp, where another user could create the
/// path first: a user's own daemon listens in `$XDG_RUNTIME_DIR`, or else in their state
/// directory, and both sides check that directory is theirs alone (``PrivateDirectory``).
public enum DefaultPaths {
    /// The system daemon's socket (incidentd running as root or under systemd).
    public static let systemSocket = "/run/incidentd/incidentd.sock"

    /// The account the system daemon runs as under systemd (created by the sysusers snippet).
    public static let serviceUser = "incidentd"

    /// A user's own daemon: `$XDG_RUNTIME_DIR/incidentd.sock`, or
    /// `$XDG_STATE_HOME/incidentd/incidentd.sock` (`~/.local/state/incidentd/incidentd.sock`)
    /// where there is no runtime directory. Root gets the system socket.
    public static func socket(uid: UInt32, environment: [String: String]) -> String {
        guard uid != 0 else { return systemSocket }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/incidentd.sock"
        }
        return stateDirectory(uid: uid, environment: environment) + "/incidentd.sock"
    }

    /// A user's own daemon's state directory: `$XDG_STATE_HOME/incidentd`, by default
    /// `~/.local/state/incidentd`.
    public static func stateDirectory(uid: UInt32, environment: [String: String]) -> String {
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return state + "/incidentd" }
        return home(uid: uid, environment: environment) + "/.local/state/incidentd"
    }

    private static func home(uid: UInt32, environment: [String: String]) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        if let entry = getpwuid(uid), let directory = entry.pointee.pw_dir { return String(cString: directory) }
        return NSHomeDirectory()
    }

    /// The uids a client accepts as the server on a socket: root, the service account, and the
    /// user themselves (their own daemon). Anyone else listening there is an impostor.
    public static func trustedServerUIDs(user uid: UInt32) -> Set<UInt32> {
        var trusted: Set<UInt32> = [0, uid]
        if let entry = getpwnam(serviceUser) { trusted.insert(entry.pointee.pw_uid) }
        return trusted
    }
}

/// A directory that must belong to one user and be closed to everyone else: where a user's
/// socket lives. Checked with `lstat`, so a symbolic link planted in its place is refused.
public enum PrivateDirectory {
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Creates `path` (mode 0700) if it is missing, then checks it is a real directory owned by
    /// `owner` that no one else may write to.
    public static func prepare(_ path: String, owner: UInt32 = geteuid()) throws(Problem) {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else {
                throw Problem(description: "cannot inspect \(path): \(String(cString: strerror(errno)))")
            }
            let parent = (path as NSString).deletingLastPathComponent
            if parent != path, !parent.isEmpty {
                try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
            if mkdir(path, 0o700) != 0, errno != EEXIST {
                throw Problem(description: "cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
        try check(path, owner: owner)
    }

    /// Checks `path` is a directory (not a link to one) owned by `owner`, writable by no one else.
    public static func check(_ path: String, owner: UInt32) throws(Problem) {
        try check(path, owners: [owner])
    }

    /// Checks `path` is a directory (not a link to one) owned by one of `owners`, with none of
    /// the `closed` mode bits set: by default writable by no one else; 0o077 for a directory
    /// no one else may even enter.
    public static func check(_ path: String, owners: Set<UInt32>, closed: mode_t = 0o022) throws(Problem) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw Problem(description: "cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw Problem(
                description: "\(path) is not a directory (a link or a file stands there); remove it and try again"
            )
        }
        guard owners.contains(info.st_uid) else {
            throw Problem(
                description:
                    "\(path) belongs to uid \(info.st_uid), not to uid \(owners.sorted().map(String.init).joined(separator: " or ")); "
                    + "someone else may have created it to intercept incidentd's socket: remove it, or name another socket with --socket"
            )
        }
        guard info.st_mode & closed == 0 else {
            throw Problem(
                description: "\(path) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))); "
                    + "run chmod 700 \(path)"
            )
        }
    }
}
