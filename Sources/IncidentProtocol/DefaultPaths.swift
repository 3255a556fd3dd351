import Foundation

/// Where incidentd puts its socket when none is configured — shared so the daemon and its
/// clients agree without configuration.
public enum DefaultPaths {
    /// The system daemon's socket (incidentd running as root or under systemd).
    public static let systemSocket = "/run/incidentd/incidentd.sock"

    /// A user's own daemon: `$XDG_RUNTIME_DIR/incidentd.sock`, or `/tmp/incidentd-UID/incidentd.sock`
    /// where there is no runtime directory. Root gets the system socket.
    public static func socket(uid: UInt32, environment: [String: String]) -> String {
        guard uid != 0 else { return systemSocket }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/incidentd.sock"
        }
        return NSTemporaryDirectory().appending("/incidentd-\(uid)/incidentd.sock")
            .replacingOccurrences(of: "//", with: "/")
    }
}
