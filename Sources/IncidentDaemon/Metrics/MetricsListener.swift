import Foundation

/// Where the metrics are served (`metricsListen`): a Unix socket, or a TCP address that is
/// loopback unless `metricsAllowRemote` says otherwise. Off when not configured.
public enum MetricsListener: Sendable, Equatable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Reads `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464` or an absolute socket path;
    /// nil with the reason when `text` is none of those.
    public static func parse(_ text: String) -> Result<MetricsListener, Problem> {
        if text.hasPrefix("/") { return .success(.unix(path: text)) }
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(.notAnAddress)
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                return .failure(.notAnAddress)
            }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let number = Int(port), (1...65535).contains(number) else {
            return .failure(.notAnAddress)
        }
        return .success(.tcp(host: String(host), port: number))
    }

    public enum Problem: Error, Equatable {
        case notAnAddress
    }

    /// Only this machine can reach it: a Unix socket, `localhost`, 127.0.0.0/8 or ::1.
    public var isLocal: Bool {
        switch self {
        case .unix: return true
        case .tcp(let host, _):
            if host == "localhost" || host == "::1" { return true }
            var address = in_addr()
            guard inet_pton(AF_INET, host, &address) == 1 else { return false }
            return UInt32(bigEndian: address.s_addr) >> 24 == 127
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): return path
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}
