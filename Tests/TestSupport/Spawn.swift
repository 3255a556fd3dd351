import Foundation
import Glibc

/// Starts a program with `descriptor` as its file descriptor 3 and `LISTEN_PID` set to its own
/// pid, as systemd's socket activation does.
public func spawnSocketActivated(
    _ executable: String,
    _ arguments: [String],
    listening descriptor: Int32,
    logPath: String
) throws -> pid_t {
    // The shell learns its pid ($$) and keeps it through exec, so LISTEN_PID is exact.
    let command = "LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=varlink exec \"$0\" \"$@\" >>'\(logPath)' 2>&1"
    let argv = ["/bin/sh", "-c", command, executable] + arguments
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, descriptor, 3)
    var pid: pid_t = 0
    let cArguments = argv.map { strdup($0) } + [nil]
    defer { for argument in cArguments { free(argument) } }
    let status = posix_spawn(&pid, "/bin/sh", &actions, nil, cArguments, environ)
    guard status == 0 else { throw TestSetupError("posix_spawn failed: \(String(cString: strerror(status)))") }
    return pid
}

/// Binds `fd` to the Unix socket address `path`; true on success.
func bindUnix(_ fd: Int32, path: String) -> Bool {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: path.utf8)
        raw[path.utf8.count] = 0
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    } == 0
}

/// A listening Unix stream socket at `path`, as systemd would create it.
public func makeListeningSocket(path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0, bindUnix(fd, path: path), listen(fd, 16) == 0 else {
        throw TestSetupError("cannot listen on \(path)")
    }
    return fd
}

/// A datagram socket standing in for systemd's notify socket; collects what arrives.
public final class NotifyListener: @unchecked Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0, bindUnix(fd, path: path) else { throw TestSetupError("cannot bind the notify socket \(path)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Messages received until `condition` holds or `timeout` passes.
    public func collect(timeout: Duration, until condition: ([String]) -> Bool) -> [String] {
        var messages: [String] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline, !condition(messages) {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { messages.append(String(decoding: buffer[..<count], as: UTF8.self)) }
        }
        return messages
    }
}
