import Foundation
import Glibc
import IncidentCore
import IncidentProtocol
import Varlink

/// Reports that could not be sent, kept in the user's own state directory until they are:
/// `$XDG_STATE_HOME/incidentctl/unsent` (default `~/.local/state/incidentctl/unsent`), the
/// directory 0700 and each report 0600, one JSON file named for its idempotency key. A saved
/// report keeps its key, so sending it again never files it twice, and its `aware` time, so
/// the legal clocks start when the person wrote it, not when it was sent.
struct SavedReports {
    let directory: String

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let base =
            environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        directory = base + "/incidentctl/unsent"
    }

    /// Saves `report` and returns the file's path.
    func save(_ report: IncidentsWire.ReportParameters) throws -> String {
        guard let key = report.idempotencyKey else { preconditionFailure("a saved report needs its key") }
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        chmod(directory, 0o700)
        let path = directory + "/" + Self.fileName(key)
        let encoder = VarlinkJSON.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = try encoder.encode(report)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw CLIError("Cannot save the report in \(path): \(String(cString: strerror(errno))).")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        return path
    }

    /// The saved reports, oldest first, with their paths.
    func all() -> [(path: String, report: IncidentsWire.ReportParameters)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path),
                let report = try? VarlinkJSON.decoder().decode(IncidentsWire.ReportParameters.self, from: data)
            else { return nil }
            return (path, report)
        }.sorted { ($0.report.aware ?? .distantPast) < ($1.report.aware ?? .distantPast) }
    }

    func remove(_ path: String) { unlink(path) }

    /// Sends every saved report to the daemon at `path`, oldest first, deleting each once
    /// incidentd has it, and says each through `say`; stops at the first that cannot be sent,
    /// keeping it and the rest. Returns how many were sent.
    @discardableResult
    func send(to path: String, say: (String) -> Void) throws(CLIError) -> Int {
        let pending = all()
        guard !pending.isEmpty else { return 0 }
        var connection = DaemonConnection(path: path)
        let language = Language.current
        for (file, report) in pending {
            let reply = try connection.call(Methods.Incidents.report, report, retries: 3)
            remove(file)
            let reference = reply.incident.reference.rawValue
            say(
                report.aware.map {
                    language.text(
                        "Sent the saved report written %s as %s: %s",
                        Output().time($0),
                        reference,
                        reply.incident.title
                    )
                } ?? language.text("Sent the saved report as %s: %s", reference, reply.incident.title)
            )
        }
        return pending.count
    }

    /// After any other command that reached incidentd: sends what was saved, saying so on
    /// standard error (standard output may be a script's JSON); if it cannot, says how to.
    static func sendAfterSuccess() {
        guard let path = DaemonConnection.lastReached else { return }
        let saved = SavedReports()
        guard !saved.all().isEmpty else { return }
        do {
            try saved.send(to: path) { printError($0) }
        } catch {
            printError(
                Language.current.text(
                    "Saved reports could not be sent yet (%s); '%s' tries again.",
                    error.message,
                    "incidentctl report --resend"
                )
            )
        }
    }

    /// A file name from an idempotency key: its letters, digits and dashes.
    static func fileName(_ key: String) -> String {
        String(key.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" }.prefix(64)) + ".json"
    }
}
