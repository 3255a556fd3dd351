import Foundation
import Glibc

/// A small blocking Varlink client over a Unix socket, for command-line tools: no event loop
/// to start, so a one-shot call costs little more than the connect and the round trip.
public final class VarlinkClient {
    /// Why the client could not talk to the service at all.
    public struct ConnectionError: Error, CustomStringConvertible, Sendable {
        public enum Code: Sendable, Equatable {
            /// No socket at the path, or nobody listening on it.
            case notRunning
            /// The socket exists but this user may not open it.
            case permissionDenied
            /// The path is too long for a Unix socket address.
            case pathTooLong
            /// The connection broke or the service sent something that is not Varlink.
            case io
        }

        public var code: Code
        public var path: String
        public var errno: Int32

        public var description: String {
            switch code {
            case .notRunning: return "nothing is listening on \(path)"
            case .permissionDenied: return "permission denied on \(path)"
            case .pathTooLong: return "socket path \(path) is too long"
            case .io: return "the connection to \(path) failed (\(String(cString: strerror(errno))))"
            }
        }
    }

    public let path: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    /// How many bytes of `buffer` are known to hold no terminator.
    private var searched = 0

    /// Connects to the Unix socket at `path`.
    public init(path: String) throws(ConnectionError) {
        self.path = path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ConnectionError(code: .io, path: path, errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            Glibc.close(fd)
            throw ConnectionError(code: .pathTooLong, path: path, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            switch code {
            case EACCES, EPERM: throw ConnectionError(code: .permissionDenied, path: path, errno: code)
            case ENOENT, ECONNREFUSED, ENOTDIR: throw ConnectionError(code: .notRunning, path: path, errno: code)
            default: throw ConnectionError(code: .io, path: path, errno: code)
            }
        }
        self.descriptor = fd
    }

    /// A client on a connected stream socket made elsewhere (one end of a `socketpair` whose
    /// other end a transport such as `ssh` relays); it takes ownership of `descriptor`.
    public init(descriptor: Int32, path: String) {
        self.path = path
        self.descriptor = descriptor
    }

    /// The connection's socket, for relaying its bytes.
    public var fileDescriptor: Int32 { descriptor }

    /// The server's process as the kernel saw it when it accepted the connection
    /// (`SO_PEERCRED`): who is really listening, whatever the socket's path suggests.
    public func peerCredentials() throws(ConnectionError) -> (pid: Int32, uid: UInt32, gid: UInt32) {
        // struct ucred: pid, uid, gid (Glibc does not export it to Swift).
        var credentials: (Int32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else {
            throw ConnectionError(code: .io, path: path, errno: errno)
        }
        return (credentials.0, credentials.1, credentials.2)
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Sends one call and returns its reply (the first one, for a `more` call; use
    /// ``nextReply()`` for the rest).
    public func call(_ call: VarlinkCall) throws -> VarlinkReply {
        try send(call.encoded())
        return try nextReply()
    }

    /// Writes raw bytes: for tests that need to send what a correct client never would.
    public func send(_ bytes: [UInt8]) throws(ConnectionError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw in
                Glibc.send(descriptor, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw ConnectionError(code: .io, path: path, errno: errno)
            }
            offset += written
        }
    }

    /// Reads the next reply from the connection.
    public func nextReply() throws -> VarlinkReply {
        try VarlinkReply(decoding: try readMessage())
    }

    /// Reads bytes up to the next NUL; throws `.io` with `ECONNRESET` when the peer closes first.
    public func readMessage() throws(ConnectionError) -> [UInt8] {
        while true {
            if let end = buffer[searched...].firstIndex(of: 0) {
                let message = Array(buffer[..<end])
                buffer.removeSubrange(...end)
                searched = 0
                return message
            }
            searched = buffer.count
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            let count = chunk.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress, raw.count, 0)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConnectionError(code: .io, path: path, errno: errno)
            }
            if count == 0 { throw ConnectionError(code: .io, path: path, errno: ECONNRESET) }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// Sets a receive timeout, after which reads fail with `EAGAIN`.
    public func setReceiveTimeout(seconds: Int) { setReceiveTimeout(milliseconds: seconds * 1000) }

    /// Sets a receive timeout, after which reads fail with `EAGAIN`.
    public func setReceiveTimeout(milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: suseconds_t(milliseconds % 1000 * 1000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    public func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }
}
