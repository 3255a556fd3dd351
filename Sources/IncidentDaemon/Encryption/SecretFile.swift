import Foundation
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

extension SecretFile {
    /// Writes `text` to `path`, mode 0600: with `exclusive` a new file that must not exist yet,
    /// else a new file renamed over the old one, so a reader never sees half a file and a link
    /// planted at the path is replaced, never followed. `owner` gives it to another account
    /// (the embedded cluster's). Returns why it could not, naming the file.
    static func write(
        _ text: String,
        to path: String,
        exclusive: Bool,
        owner: (uid: UInt32, gid: UInt32)? = nil
    ) -> Result<Void, WriteProblem> {
        try? FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        let target = exclusive ? path : path + ".new"
        if !exclusive { unlink(target) }  // left by a write that was interrupted
        let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return .failure(WriteProblem(path: target, reason: String(cString: strerror(errno)))) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if let owner { fchown(fd, owner.uid, owner.gid) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, exclusive || rename(target, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(target)
            return .failure(WriteProblem(path: path, reason: reason))
        }
        return .success(())
    }

    struct WriteProblem: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot write \(path): \(reason)" }
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
            return
                "\(path) belongs to uid \(uid), not to incidentd's user (uid \(geteuid())); run chown \(geteuid()) \(path)"
        case .openToOthers(let mode):
            return "\(path) may be read by other users (mode \(String(mode, radix: 8))); run chmod 600 \(path)"
        }
    }
}
