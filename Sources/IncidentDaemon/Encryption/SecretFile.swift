import Glibc

/// Reads a file that holds a secret (the key file, the signing key, a webhook's secret),
/// checking what it is on the open descriptor (`fstat`), never by a `stat` before the `open`:
/// between the two another user could swap the file. `O_NOFOLLOW` refuses a symbolic link.
enum SecretFile {
    /// Who may hold the file besides the daemon's own user.
    enum Sharing {
        /// Owned by the daemon's user, mode 0600 or stricter (the key files).
        case daemonOnly
        /// Owned by the daemon's user or root, readable by a group but not by others (a
        /// webhook secret an administrator keeps in /etc with group incidentd).
        case group
    }

    enum Problem: Error, Equatable {
        case missing
        case unreadable(String)
        case notRegular
        case wrongOwner(UInt32)
        case openToOthers(mode: UInt32)
    }

    static func read(_ path: String, sharing: Sharing) -> Result<[UInt8], Problem> {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            if errno == ENOENT { return .failure(.missing) }
            if errno == ELOOP { return .failure(.notRegular) }
            return .failure(.unreadable(String(cString: strerror(errno))))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegular) }
        let mode = UInt32(info.st_mode & 0o777)
        switch sharing {
        case .daemonOnly:
            guard info.st_uid == geteuid() else { return .failure(.wrongOwner(info.st_uid)) }
            guard mode & 0o077 == 0 else { return .failure(.openToOthers(mode: mode)) }
        case .group:
            guard info.st_uid == geteuid() || info.st_uid == 0 else { return .failure(.wrongOwner(info.st_uid)) }
            guard mode & 0o007 == 0 else { return .failure(.openToOthers(mode: mode)) }
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return .failure(.unreadable(String(cString: strerror(errno)))) }
            if count == 0 { break }
            bytes += buffer[..<count]
            if bytes.count > 1 << 20 { return .failure(.unreadable("larger than 1 MiB")) }
        }
        return .success(bytes)
    }
}

extension SecretFile.Problem {
    /// What is wrong, for a sentence that starts with the file's name.
    func sentence(_ path: String) -> String {
        switch self {
        case .missing: return "\(path) does not exist"
        case .unreadable(let reason): return "\(path) cannot be read (\(reason))"
        case .notRegular: return "\(path) is not a regular file (a link, a directory or a device stands there)"
        case .wrongOwner(let uid):
            return "\(path) belongs to uid \(uid), not to incidentd's user (uid \(geteuid())); run chown \(geteuid()) \(path)"
        case .openToOthers(let mode):
            return "\(path) may be read by other users (mode \(String(mode, radix: 8))); run chmod 600 \(path)"
        }
    }
}
