import Foundation
import Glibc
import IncidentProtocol

/// Where checked content goes (`evidence get`, `export --bundle`): standard output, or a
/// temporary file beside the target, readable by its owner only, that takes the target's
/// name only once the content checked out (`keep`), and is removed otherwise (`discard`).
final class PrivateOutput {
    let target: String?
    let temporary: String?
    let handle: FileHandle

    init(path: String?) throws {
        target = path
        guard let path else {
            temporary = nil
            handle = FileHandle.standardOutput
            return
        }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary =
            (directory.isEmpty ? "." : directory)
            + "/.\((path as NSString).lastPathComponent).incidentctl-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CLIError("Cannot write \(path): \(String(cString: strerror(errno))).", status: .usage)
        }
        self.temporary = temporary
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func write(_ data: Data) throws {
        do {
            try handle.write(contentsOf: data)
        } catch {
            throw CLIError("Cannot write \(target ?? "standard output"): \(error.localizedDescription).")
        }
    }

    func keep() throws {
        guard let temporary, let target else { return }
        try? handle.synchronize()
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CLIError("Cannot write \(target): \(reason).")
        }
    }

    func discard() {
        if let temporary { unlink(temporary) }
    }

    /// Writes `data` whole to `path` (readable by its owner only), or to standard output.
    static func write(_ data: Data, to path: String?) throws {
        let sink = try PrivateOutput(path: path)
        do {
            try sink.write(data)
            try sink.keep()
        } catch {
            sink.discard()
            throw error
        }
    }
}
