import Foundation
import Glibc
import IncidentProtocol
import Varlink

/// incidentd on another machine, reached through the user's own OpenSSH client: `ssh -T HOST
/// incidentctl bridge`, its standard input and output one end of a socket pair whose other
/// end is an ordinary Varlink connection here. SSH does the transport and the login; on the
/// server the caller is the account they logged in as, as the kernel says on its socket.
struct RemoteTarget: Equatable {
    /// `USER@HOST` or `HOST`, as ssh takes it.
    var destination: String
    /// The socket on the server, when not its default.
    var socket: String?

    /// The form a target takes in place of a socket path: `ssh:[USER@]HOST[:SOCKET]`.
    static let scheme = "ssh:"

    /// `[USER@]HOST[:SOCKET]`, as `--host` and `INCIDENTD_HOST` give it.
    init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let host = parts.first, !host.isEmpty, !host.hasPrefix("-"),
            host.allSatisfy({ $0.isLetter || $0.isNumber || "@.-_".contains($0) })
        else { return nil }
        destination = host
        socket = parts.count == 2 && !parts[1].isEmpty ? parts[1] : nil
        if let socket, !socket.hasPrefix("/") { return nil }
    }

    init?(path: String) {
        guard path.hasPrefix(Self.scheme) else { return nil }
        self.init(String(path.dropFirst(Self.scheme.count)))
    }

    var path: String { Self.scheme + destination + (socket.map { ":" + $0 } ?? "") }

    /// The command ssh runs: the user's ssh (or `INCIDENTD_SSH`), never a shell line built
    /// from what was typed: each word is its own argument.
    func command(environment: [String: String]) -> [String] {
        let ssh = environment["INCIDENTD_SSH"].flatMap { $0.isEmpty ? nil : $0 } ?? "ssh"
        return [ssh, "-T", "--", destination, "incidentctl", "bridge"] + (socket.map { ["--socket", $0] } ?? [])
    }

    /// Starts ssh with one end of a socket pair as its standard input and output, and returns
    /// a client on the other end. Standard error stays the user's: ssh asks and explains there.
    func connect(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> VarlinkClient {
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw CLIError(
                "Cannot make a socket pair for ssh: \(String(cString: strerror(errno))).",
                status: .unavailable
            )
        }
        let arguments = command(environment: environment)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for word in argv { free(word) } }
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        Glibc.close(ends[1])
        guard spawned == 0 else {
            Glibc.close(ends[0])
            throw CLIError(
                "Could not reach \(destination) over SSH: cannot run \(arguments[0]) (\(String(cString: strerror(spawned)))); "
                    + "install OpenSSH's client or set INCIDENTD_SSH.",
                status: .unavailable
            )
        }
        // ssh ends when incidentctl does: its end of the pair then reads end-of-file.
        return VarlinkClient(descriptor: ends[0], path: path)
    }

    static func explain(_ target: RemoteTarget, _ error: VarlinkClient.ConnectionError) -> CLIError {
        CLIError(
            "Could not reach incidentd on \(target.destination) over SSH (\(error.errno == 0 ? "the connection closed" : String(cString: strerror(error.errno)))); "
                + "ssh says why above. Check that 'ssh \(target.destination) incidentctl --version' works.",
            status: .unavailable
        )
    }
}
