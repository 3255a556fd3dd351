import ArgumentParser
import Foundation
import Glibc
import IncidentProtocol
import Varlink

/// `incidentctl bridge`: standard input and output relayed to the incidentd socket, for
/// programs on another machine that reach this one with `ssh HOST incidentctl bridge`
/// (incidentctl --host, systemd's varlinkctl ssh-exec:). It connects as the user it runs as,
/// so the daemon sees that user (SO_PEERCRED): the bridge adds no authority of its own.
struct BridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge",
        abstract: "Relay Varlink between standard input and output and incidentd.",
        discussion: """
            For programs, not people: incidentctl --host HOST runs 'ssh HOST incidentctl
            bridge', and so can any Varlink client (docs/remote.md). Messages pass through
            unchanged, both ways, until either side closes; the daemon answers as on its
            socket, with its own errors and limits.

            Examples:
              ssh incidents.example.com incidentctl bridge
              incidentctl bridge --socket /run/incidentd/incidentd.sock
            """
    )

    @Option(
        name: .long,
        help: "The incidentd socket (default: $INCIDENTD_SOCKET, your own daemon's, or the system one)."
    )
    var socket: String?

    func run() throws {
        guard isatty(STDIN_FILENO) != 1 else {
            throw CLIError(
                "incidentctl bridge is for programs that speak Varlink on its standard input; "
                    + "run an incidentctl command instead, or reach this machine with incidentctl --host.",
                status: .usage
            )
        }
        // The bridge always speaks to this machine's daemon, whatever INCIDENTD_HOST says.
        var environment = ProcessInfo.processInfo.environment
        environment["INCIDENTD_HOST"] = nil
        let path = DaemonConnection.socketPath(option: socket, environment: environment)
        let client: VarlinkClient
        do {
            client = try DaemonConnection.open(path)
        } catch let error as VarlinkClient.ConnectionError {
            throw DaemonConnection.explain(error)
        }
        try Self.relay(input: STDIN_FILENO, output: STDOUT_FILENO, socket: client.fileDescriptor)
    }

    /// Copies bytes both ways until the socket closes: standard input's end is passed on as
    /// a half-close, so replies still in flight (a `more` stream) are delivered.
    static func relay(input: Int32, output: Int32, socket: Int32) throws {
        signal(SIGPIPE, SIG_IGN)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var inputOpen = true
        while true {
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            if inputOpen { fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                throw CLIError("The bridge failed: \(String(cString: strerror(errno))).", status: .unavailable)
            }
            if fds[0].revents != 0 {
                let count = read(socket, &buffer, buffer.count)
                if count <= 0 { return }
                guard writeAll(output, buffer, count) else { return }
            }
            if inputOpen, fds[1].revents != 0 {
                let count = read(input, &buffer, buffer.count)
                if count <= 0 {
                    inputOpen = false
                    shutdown(socket, Int32(SHUT_WR))
                } else if !writeAll(socket, buffer, count) {
                    return
                }
            }
        }
    }

    private static func writeAll(_ descriptor: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let written = buffer.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
