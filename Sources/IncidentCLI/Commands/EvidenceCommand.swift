import ArgumentParser
import Foundation
import Glibc
import IncidentCore
import IncidentProtocol
import Varlink

struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Attach files to an incident, read them back, see who had them.",
        discussion: """
            Each file is sealed at rest, hashed with SHA-256, and every access audited.

            Examples:
              incidentctl evidence add INC-2026-000123 dlp-alert.png --kind screenshot
              cat shop.log | incidentctl evidence add INC-2026-000123 - --name shop.log
              incidentctl evidence list INC-2026-000123
              incidentctl evidence get INC-2026-000123 1 -o dlp-alert.png
              incidentctl evidence verify INC-2026-000123
              incidentctl evidence custody INC-2026-000123 1
            """,
        subcommands: [
            EvidenceAddCommand.self, EvidenceListCommand.self, EvidenceGetCommand.self, EvidenceVerifyCommand.self,
            EvidenceCustodyCommand.self,
        ]
    )
}

/// `E3` or `3`: an evidence file's number.
func evidenceNumber(_ text: String) throws -> Int {
    let digits = text.hasPrefix("E") || text.hasPrefix("e") ? String(text.dropFirst()) : text
    guard let number = Int(digits), number > 0 else {
        throw CLIError(
            "\(text) is not an evidence file: give its number as 'evidence list' shows it, such as E2.",
            status: .usage
        )
    }
    return number
}

struct EvidenceAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Attach files to an open incident.",
        discussion: """
            Files are sent in chunks, so their size does not matter to memory; the
            daemon checks each file's SHA-256 before it is stored. '-' reads standard
            input (give --name). The incident must be open.

            Examples:
              incidentctl evidence add INC-2026-000123 mail.eml --kind email
              incidentctl evidence add INC-2026-000123 a.png b.png --kind screenshot
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The files to attach; '-' for standard input.") var files: [String]
    @Option(help: "What the files are: email, log, screenshot, document or other.") var kind: String?
    @Option(help: "What the files are evidence of.") var description: String?
    @Option(help: "The name to keep, for standard input or a single file.") var name: String?

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one file, or '-' for standard input.") }
        if files.contains("-"), name == nil { throw ValidationError("Reading standard input needs --name.") }
        if name != nil, files.count > 1 { throw ValidationError("--name names a single file; give one file.") }
        if let kind, EvidenceKind(rawValue: kind) == nil {
            throw ValidationError(
                "--kind \(kind) is not a kind: give \(EvidenceKind.allCases.map(\.rawValue).joined(separator: ", "))."
            )
        }
    }

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        var added: [EvidenceItem] = []
        for path in files {
            added.append(try upload(path, to: reference, &connection))
        }
        if global.json { return printOut(try Output.json(EvidenceWire.ListReply(evidence: added))) }
        for item in added {
            printOut(
                "Added \(item.label) \(item.name) (\(Output.bytes(item.size)), \(item.mediaType)) to \(reference), "
                    + "sha256 \(item.sha256)."
            )
        }
    }

    private func upload(
        _ path: String,
        to reference: IncidentReference,
        _ connection: inout DaemonConnection
    ) throws -> EvidenceItem {
        let input: FileHandle
        var size: Int64?
        if path == "-" {
            input = FileHandle.standardInput
        } else {
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw CLIError("Cannot read \(path): \(String(cString: strerror(errno))).", status: .usage)
            }
            guard (status.st_mode & S_IFMT) == S_IFREG else {
                throw CLIError(
                    "\(path) is not a regular file; give a file, or '-' to read standard input.",
                    status: .usage
                )
            }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CLIError("Cannot open \(path): \(String(cString: strerror(errno))).", status: .usage)
            }
            input = handle
            size = Int64(status.st_size)
        }
        defer { if path != "-" { try? input.close() } }
        let fileName = name ?? (path as NSString).lastPathComponent
        let begun = try connection.call(
            Methods.Evidence.begin,
            EvidenceWire.BeginParameters(
                reference: reference,
                name: fileName,
                kind: kind.flatMap(EvidenceKind.init(rawValue:)),
                description: description,
                size: size
            )
        )
        var hasher = ContentHasher()
        var progress = Progress(label: "Sending \(fileName)", total: size)
        var position = 0
        var sent: Int64 = 0
        do {
            while true {
                let chunk = try input.read(upToCount: begun.chunkSize) ?? Data()
                if chunk.isEmpty { break }
                hasher.update(chunk)
                _ = try connection.call(
                    Methods.Evidence.upload,
                    EvidenceWire.UploadParameters(
                        upload: begun.upload,
                        position: position,
                        data: chunk.base64EncodedString()
                    )
                )
                position += 1
                sent += Int64(chunk.count)
                progress.update(sent)
            }
        } catch let error as CLIError {
            progress.finish()
            throw CLIError(
                "Sending \(fileName) stopped after \(Output.bytes(sent)): \(error.message) Nothing of it was stored; "
                    + "run the command again.",
                status: error.status
            )
        }
        progress.finish()
        return try connection.call(
            Methods.Evidence.commit,
            EvidenceWire.CommitParameters(upload: begun.upload, sha256: hasher.hex())
        ).evidence
    }
}

struct EvidenceListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List an incident's evidence files with their SHA-256.",
        discussion: "A reporter sees the files they added. Example:\n  incidentctl evidence list INC-2026-000123"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Evidence.list,
            EvidenceWire.ListParameters(reference: reference),
            retries: 2
        )
        if global.json { return printOut(try Output.json(reply)) }
        printOut(Output().evidenceList(reply.evidence, of: reference))
    }
}

struct EvidenceGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Write an evidence file out, checking its SHA-256 on the way.",
        discussion: """
            With -o FILE the file is written readable by you only, and only once its
            SHA-256 matched; on a mismatch nothing is left at FILE and the exit status
            is 1. Without -o it goes to standard output, which must not be a terminal
            unless you give -o -.

            Examples:
              incidentctl evidence get INC-2026-000123 E1 -o dlp-alert.png
              incidentctl evidence get INC-2026-000123 2 | less
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The file's number, as 'evidence list' shows it (E1 or 1).") var number: String
    @Option(name: .shortAndLong, help: "Write to this file ('-': standard output, even a terminal).") var output:
        String?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        let number = try evidenceNumber(number)
        if output == nil, isatty(STDOUT_FILENO) == 1 {
            throw CLIError(
                "Evidence is not written to a terminal; give -o FILE, or -o - if you mean it.",
                status: .usage
            )
        }
        let sink = try PrivateOutput(path: output == "-" ? nil : output)
        do {
            let item = try EvidenceDownload.stream(
                socket: global.target,
                reference,
                number,
                start: { _ in },
                chunk: sink.write
            )
            try sink.keep()
            if let path = output, path != "-" {
                printError(
                    "Wrote \(item.label) \(item.name) to \(path) (\(Output.bytes(item.size))), sha256 \(item.sha256) verified."
                )
            }
        } catch {
            sink.discard()
            throw error
        }
    }
}

struct EvidenceVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash an incident's evidence files and say which are intact.",
        discussion: "Exits 1 when any file is damaged. Example:\n  incidentctl evidence verify INC-2026-000123"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Evidence.verify,
            EvidenceWire.ListParameters(reference: reference),
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
        } else {
            var lines = reply.files.map { file in
                let state = file.intact ? "intact " : "DAMAGED"
                return "\(EvidenceItem.label(file.number))  \(state)  \(file.name)"
                    + (file.problem.map { ": \($0)" } ?? "")
            }
            let damaged = reply.files.filter { !$0.intact }.count
            lines.append(
                reply.files.isEmpty
                    ? "\(reference) has no evidence."
                    : "\(reply.files.count) files: \(reply.files.count - damaged) intact, \(damaged) damaged."
            )
            printOut(lines.joined(separator: "\n"))
        }
        if reply.files.contains(where: { !$0.intact }) { throw ExitCode(ExitStatus.failure.rawValue) }
    }
}

struct EvidenceCustodyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custody",
        abstract: "Show who added an evidence file and every access since.",
        discussion: "Example:\n  incidentctl evidence custody INC-2026-000123 E1"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The file's number (E1 or 1).") var number: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Evidence.custody,
            EvidenceWire.FileParameters(reference: reference, number: try evidenceNumber(number)),
            retries: 2
        )
        if global.json { return printOut(try Output.json(reply)) }
        let output = Output()
        var lines = [
            "\(reply.evidence.label) \(reply.evidence.name) of \(reference)",
            "sha256 \(reply.evidence.sha256)", "",
        ]
        for access in reply.accesses {
            lines.append(
                "\(output.time(access.at))  \(access.user) (uid \(access.uid))  \(Self.verb(access.action))"
                    + (access.outcome == "ok" ? "" : "  \(access.outcome)")
            )
        }
        printOut(lines.joined(separator: "\n"))
    }

    static func verb(_ action: String) -> String {
        switch action {
        case Methods.Evidence.commit.auditAction: "added"
        case Methods.Evidence.list.auditAction: "listed"
        case Methods.Evidence.get.auditAction: "read"
        case Methods.Evidence.verify.auditAction: "verified"
        case Methods.Evidence.custody.auditAction: "viewed custody"
        case Methods.Incidents.export.auditAction: "exported"
        default: action
        }
    }
}

/// Reads an evidence file back from the daemon, chunk by chunk, checking its SHA-256 and
/// size against its manifest: a mismatch throws `EvidenceDamaged` after the last chunk, so
/// whoever consumed the chunks must throw away what they made of them.
enum EvidenceDownload {
    static func stream(
        socket: String,
        _ reference: IncidentReference,
        _ number: Int,
        start: (EvidenceItem) throws -> Void,
        chunk: (Data) throws -> Void
    ) throws -> EvidenceItem {
        let path = socket
        do {
            let client = try DaemonConnection.open(path)
            var reply = try client.call(
                try Methods.Evidence.get.call(
                    EvidenceWire.FileParameters(reference: reference, number: number),
                    more: true
                )
            )
            guard let item = try reply.terminalSafe().decode(EvidenceWire.GetReply.self).evidence else {
                throw CLIError(
                    "incidentd sent a file without its manifest; are incidentctl and incidentd the same version?"
                )
            }
            try start(item)
            var hasher = ContentHasher()
            var received: Int64 = 0
            var progress = Progress(label: "Receiving \(item.name)", total: item.size)
            defer { progress.finish() }
            while reply.continues {
                reply = try client.nextReply()
                let part = try reply.decode(EvidenceWire.GetReply.self)
                guard let text = part.data, let data = Data(base64Encoded: text) else { continue }
                received += Int64(data.count)
                guard received <= item.size else { break }
                hasher.update(data)
                try chunk(data)
                progress.update(received)
            }
            let digest = hasher.hex()
            guard digest == item.sha256, received == item.size else {
                throw CLIError(
                    WireError.evidenceDamaged(
                        reference: reference.rawValue,
                        number: number,
                        reason: received == item.size
                            ? "what arrived hashes to \(digest), not \(item.sha256)"
                            : "\(received) bytes arrived, not \(item.size)"
                    )
                )
            }
            return item
        } catch let error as VarlinkError {
            throw CLIError(WireError(error))
        } catch let error as VarlinkClient.ConnectionError {
            throw DaemonConnection.explain(error)
        }
    }
}

/// A progress line on standard error, for transfers that take more than a second, and only
/// when standard error is a terminal.
struct Progress {
    let label: String
    let total: Int64?
    let started = Date()
    var shown = false
    var lastShown = Date.distantPast

    init(label: String, total: Int64?) {
        self.label = label
        self.total = total
    }

    mutating func update(_ done: Int64) {
        let now = Date()
        guard isatty(STDERR_FILENO) == 1, now.timeIntervalSince(started) > 1, now.timeIntervalSince(lastShown) > 0.1
        else { return }
        lastShown = now
        shown = true
        var line = "\(label): \(Output.bytes(done))"
        if let total, total > 0 { line += " of \(Output.bytes(total)) (\(done * 100 / total)%)" }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    mutating func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
    }
}

extension Output {
    /// `1.2 MiB`, `512 B`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// Each file in three lines: its number and name; kind, type, size, who and when; its hash.
    func evidenceList(_ files: [EvidenceItem], of reference: IncidentReference) -> String {
        guard !files.isEmpty else { return "\(reference) has no evidence you may see." }
        var lines: [String] = []
        for file in files {
            lines.append("\(file.label)  \(file.name)" + (file.purgedAt == nil ? "" : "  (content purged)"))
            let label = String(repeating: " ", count: file.label.count + 2)
            lines += DisplayWidth.wrap(
                "\(file.kind.rawValue), \(file.mediaType), \(Self.bytes(file.size)); "
                    + "added by \(file.addedBy) \(time(file.addedAt))",
                first: label,
                rest: label
            )
            if let description = file.description {
                lines += DisplayWidth.wrap(description, first: label, rest: label)
            }
            lines.append(label + "sha256 \(file.sha256)")
        }
        return lines.joined(separator: "\n")
    }
}
