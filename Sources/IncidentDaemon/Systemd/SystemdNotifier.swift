import Foundation
import Glibc
import Logging

/// Speaks systemd's notify protocol directly: one datagram per message to `$NOTIFY_SOCKET`
/// (a path, or an abstract name starting with `@`). No libsystemd needed; without
/// `NOTIFY_SOCKET` every call does nothing.
public struct SystemdNotifier: Sendable {
    let path: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"]
        self.path = (path?.isEmpty ?? true) ? nil : path
    }

    public var isEnabled: Bool { path != nil }

    /// Sends `READY=1` with a status line.
    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    public func status(_ status: String) { send("STATUS=\(status)") }
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }
    public func stopping() { send("STOPPING=1\nSTATUS=Stopping") }
    public func watchdog() { send("WATCHDOG=1") }

    /// Sends one message; failures are ignored, as sd_notify does.
    public func send(_ message: String) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        _ = message.withCString { text in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    // Never block the daemon on a notify socket nobody reads (its queue holds ~10).
                    sendto(fd, text, strlen(text), Int32(MSG_NOSIGNAL | MSG_DONTWAIT), $0, length)
                }
            }
        }
    }

    /// The watchdog interval systemd asks for (`WATCHDOG_USEC`, for this process), if any.
    public static func watchdogInterval(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else {
            return nil
        }
        if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) { return nil }
        return .microseconds(microseconds)
    }
}

/// Sockets passed by systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`).
public enum SocketActivation {
    /// The first passed descriptor (3), if systemd passed any to this process. The variables
    /// are removed so that child processes (hooks, PostgreSQL) do not inherit them.
    public static func takeListeningDescriptor() -> Int32? {
        let environment = ProcessInfo.processInfo.environment
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pid = environment["LISTEN_PID"], pid == String(getpid()),
            let count = environment["LISTEN_FDS"].flatMap(Int32.init), count >= 1
        else { return nil }
        let descriptor: Int32 = 3
        // Keep it from leaking into children.
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return descriptor
    }
}
