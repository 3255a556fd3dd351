import Foundation
import IncidentCore
import IncidentProtocol
import Postgres
import Synchronization
import TestSupport
import Testing
import Varlink

/// Evidence files through incidentctl and the real daemon: stored byte for byte, sealed at
/// rest, checked on the way out, damage found, every access in the chain of custody, and bad
/// uploads leaving nothing behind.
@Suite struct EvidenceEndToEndTests {
    static let marker = "EVIDENCE-PLAINTEXT-7f3c91"

    /// The daemon's configuration; `uploadTimeout` short only where a test waits for the sweep
    /// (on a loaded machine a few seconds can pass between two chunks of a live upload).
    func config(_ directory: TemporaryDirectory, extra: String = "", uploadTimeout: Int = 3600) throws -> String {
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let path = directory.appending("incidentd.yaml")
        try """
        roles:
          users:
            \(user): [manager, investigator, auditor, admin]
        evidenceUploadTimeoutSeconds: \(uploadTimeout)
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func file(_ directory: TemporaryDirectory, _ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory.appending(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    func reference(_ result: CommandResult) throws -> String {
        try #require(result.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) }, "\(result)")
    }

    @Test func filesOfEverySizeComeBackByteForByteSealedAndAudited() async throws {
        let directory = try TemporaryDirectory(prefix: "evidence")
        defer { directory.remove() }
        try await withDaemon(arguments: ["--config", try config(directory)]) { daemon, database in
            let reference = try reference(
                try await daemon.ctl(["report", "--title", "Misdirected e-mail", "--description", "d"])
            )
            let chunk = 256 * 1024
            let contents: [(String, [UInt8])] = [
                ("empty.txt", []),
                ("one-byte.bin", [0x2A]),
                ("one-chunk.bin", Self.randomBytes(chunk)),
                ("chunk-and-a-byte.bin", Self.randomBytes(chunk + 1)),
                ("alert.txt", Array("DLP alert \(Self.marker): 1,200 rows with e-mail addresses\n".utf8)),
                (
                    "screen.png",
                    [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.randomBytes(3 * chunk + 17)
                ),
            ]
            for (number, (name, bytes)) in contents.enumerated() {
                let added = try await daemon.ctl([
                    "evidence", "add", reference, try file(directory, name, bytes), "--kind", "document",
                    "--description", "found by the DLP system",
                ])
                #expect(added.status == 0, "\(name): \(added)")
                #expect(added.stdout.contains("Added E\(number + 1) \(name)"), "\(added.stdout)")
            }
            let piped = try await daemon.ctl(
                ["evidence", "add", reference, "-", "--name", "from-stdin.log", "--kind", "log"],
                input: "line one\nline two\n"
            )
            #expect(piped.status == 0, "\(piped)")

            let listed = try await daemon.ctl(["evidence", "list", reference, "--json"])
            let reply = try VarlinkJSON.decoder().decode(EvidenceWire.ListReply.self, from: Data(listed.stdout.utf8))
            #expect(reply.evidence.map(\.name) == contents.map(\.0) + ["from-stdin.log"])
            #expect(reply.evidence[5].mediaType == "image/png", "the type comes from the content")
            #expect(reply.evidence[4].mediaType == "text/plain")
            #expect(reply.evidence[6].size == 18 && reply.evidence[6].kind == .log)
            let text = try await daemon.ctl(["evidence", "list", reference])
            #expect(text.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 }, "fits 80 columns: \(text.stdout)")

            for (number, (name, bytes)) in contents.enumerated() {
                let out = directory.appending("out-\(name)")
                let got = try await daemon.ctl(["evidence", "get", reference, "E\(number + 1)", "-o", out])
                #expect(got.status == 0, "\(name): \(got)")
                #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(bytes), "\(name) is byte-identical")
                let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
                #expect(mode == 0o600, "written for its owner only")
            }
            let stdout = try await daemon.ctl(["evidence", "get", reference, "7"])
            #expect(stdout.status == 0 && stdout.stdout == "line one\nline two\n", "\(stdout)")

            // At rest: no plaintext of a file or a name.
            let dump = try await runCommand("/usr/bin/env", ["pg_dump", "--data-only", database.conninfo])
            #expect(dump.status == 0)
            #expect(!dump.stdout.contains(Self.marker), "no file content in pg_dump")
            #expect(!dump.stdout.contains("found by the DLP system"), "descriptions are sealed")
            #expect(!dump.stdout.contains("chunk-and-a-byte.bin"), "names are sealed")

            let verified = try await daemon.ctl(["evidence", "verify", reference])
            #expect(verified.status == 0 && verified.stdout.contains("7 files: 7 intact, 0 damaged."), "\(verified)")

            // Custody: the add, and every read since, each with who and when.
            let custody = try await daemon.ctl(["evidence", "custody", reference, "E5"])
            #expect(custody.status == 0, "\(custody)")
            let lines = custody.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            #expect(lines.first == "E5 alert.txt of \(reference)")
            let actions = lines.dropFirst(3).compactMap {
                $0.split(separator: "  ").dropFirst(2).first.map(String.init)
            }
            #expect(
                actions == ["added", "listed", "listed", "read", "verified", "viewed custody"],
                "\(custody.stdout)"
            )
        }
    }

    /// A large file streams through in chunks: it comes back identical, and the daemon's
    /// resident memory does not grow with it. CI adds 24 MiB; `make evidence-large` 200 MiB
    /// (INCIDENTD_EVIDENCE_MIB).
    @Test func aLargeFileComesBackWholeWithoutTheDaemonGrowing() async throws {
        let mib = Int(ProcessInfo.processInfo.environment["INCIDENTD_EVIDENCE_MIB"] ?? "") ?? 24
        let directory = try TemporaryDirectory(prefix: "evidence")
        defer { directory.remove() }
        let path = directory.appending("large.bin")
        var hasher = ContentHasher()
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<mib {
            var block = [UInt8](repeating: 0, count: 1 << 20)
            for index in stride(from: 0, to: block.count, by: 8) {
                withUnsafeBytes(of: generator.next()) { block.replaceSubrange(index..<index + 8, with: $0) }
            }
            hasher.update(block)
            try handle.write(contentsOf: block)
        }
        try handle.close()
        let expected = hasher.hex()
        try await withDaemon(arguments: ["--config", try config(directory)]) { daemon, _ in
            let reference = try reference(try await daemon.ctl(["report", "--title", "Dump", "--description", "d"]))
            func rss() -> Int {
                let status = (try? String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8)) ?? ""
                let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
                return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            }
            let idle = rss()
            let peak = Peak()
            let sampler = Task {
                while !Task.isCancelled {
                    peak.note(rss())
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            let started = Date()
            let added = try await daemon.ctl(["evidence", "add", reference, path])
            let addSeconds = Date().timeIntervalSince(started)
            #expect(added.status == 0, "\(added)")
            #expect(added.stdout.contains("sha256 \(expected)"), "the daemon hashed what the client sent")
            let out = directory.appending("large.out")
            let back = Date()
            let got = try await daemon.ctl(["evidence", "get", reference, "E1", "-o", out])
            let getSeconds = Date().timeIntervalSince(back)
            sampler.cancel()
            #expect(got.status == 0, "\(got)")
            var check = ContentHasher()
            let reader = try FileHandle(forReadingFrom: URL(fileURLWithPath: out))
            while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty { check.update(chunk) }
            #expect(check.hex() == expected, "byte-identical")
            let growth = (peak.value - idle) / 1024
            print(
                "evidence \(mib) MiB: add \(String(format: "%.1f", Double(mib) / addSeconds)) MiB/s, "
                    + "get \(String(format: "%.1f", Double(mib) / getSeconds)) MiB/s, daemon RSS +\(growth) MiB"
            )
            #expect(growth < 24, "the daemon holds a chunk at a time, not the file (debug build: +\(growth) MiB)")
        }
    }

    final class Peak: Sendable {
        private let highest = Mutex(0)
        func note(_ value: Int) { highest.withLock { $0 = max($0, value) } }
        var value: Int { highest.withLock { $0 } }
    }

    /// The bundle: case file, evidence and SHA256SUMS in one tar that tar extracts and
    /// sha256sum checks; redacted, no evidence content at all.
    @Test func anExportBundleHoldsTheCaseFileAndEveryFileAndChecksOut() async throws {
        let directory = try TemporaryDirectory(prefix: "evidence")
        defer { directory.remove() }
        try await withDaemon(arguments: ["--config", try config(directory)]) { daemon, _ in
            let reference = try reference(try await daemon.ctl(["report", "--title", "Leak", "--description", "d"]))
            let longName = String(repeating: "long-name-", count: 12) + "log.txt"
            let contents: [(String, [UInt8])] = [
                ("capture.bin", Self.randomBytes(700_000)), (longName, Array("log line\n".utf8)), ("empty.txt", []),
            ]
            for (name, bytes) in contents {
                #expect(
                    try await daemon.ctl(["evidence", "add", reference, try file(directory, name, bytes)]).status == 0
                )
            }
            for redact in [false, true] {
                let archive = directory.appending(redact ? "redacted.tar" : "bundle.tar")
                let exported = try await daemon.ctl(
                    ["export", reference, "--bundle", archive] + (redact ? ["--redact"] : [])
                )
                #expect(exported.status == 0, "\(exported)")
                let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
                #expect(mode == 0o600)
                let unpacked = directory.appending(redact ? "redacted" : "unpacked")
                try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
                let untar = try await runCommand("/usr/bin/env", ["tar", "-xf", archive, "-C", unpacked])
                #expect(untar.status == 0, "\(untar)")
                let root = unpacked + "/" + reference
                let check = try await runCommand(
                    "/usr/bin/env",
                    ["sh", "-c", "cd '\(root)' && sha256sum -c SHA256SUMS"]
                )
                #expect(check.status == 0, "\(check)")
                let listed = try FileManager.default.subpathsOfDirectory(atPath: root).sorted()
                if redact {
                    #expect(listed == ["SHA256SUMS", "case-file.json", "case-file.md"], "\(listed)")
                } else {
                    for (number, (name, bytes)) in contents.enumerated() {
                        let path = root + "/evidence/E\(number + 1)-\(name)"
                        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes), "\(name)")
                    }
                    let markdown = try String(contentsOfFile: root + "/case-file.md", encoding: .utf8)
                    #expect(markdown.contains("## Evidence") && markdown.contains("capture.bin"))
                }
            }
            let custody = try await daemon.ctl(["evidence", "custody", reference, "E1"])
            #expect(custody.stdout.contains("exported"), "the export is in the chain of custody: \(custody.stdout)")
        }
    }

    @Test func aDamagedOrSwappedChunkIsFoundAndNothingIsWrittenOut() async throws {
        let directory = try TemporaryDirectory(prefix: "evidence")
        defer { directory.remove() }
        try await withDaemon(arguments: ["--config", try config(directory)]) { daemon, database in
            let reference = try reference(try await daemon.ctl(["report", "--title", "Leak", "--description", "d"]))
            for name in ["a.bin", "b.bin"] {
                let added = try await daemon.ctl([
                    "evidence", "add", reference, try file(directory, name, Self.randomBytes(600_000)),
                ])
                #expect(added.status == 0, "\(added)")
            }
            let connection = try database.connect()
            defer { connection.close() }
            // E1: one bit of one chunk flipped. E2: its first two chunks swapped.
            try connection.execute(
                """
                UPDATE evidence_chunks SET data = set_byte(data, 40, get_byte(data, 40) # 1)
                WHERE position = 1 AND evidence_id = (SELECT id FROM evidence WHERE number = 1)
                """
            )
            try connection.execute(
                """
                UPDATE evidence_chunks c SET data = o.data FROM evidence_chunks o
                WHERE c.evidence_id = o.evidence_id AND c.position + o.position = 1
                  AND c.evidence_id = (SELECT id FROM evidence WHERE number = 2)
                """
            )
            for number in [1, 2] {
                let out = directory.appending("out-\(number)")
                let got = try await daemon.ctl(["evidence", "get", reference, "\(number)", "-o", out])
                #expect(got.status == 1, "\(got)")
                #expect(got.stderr.contains("Evidence E\(number) of \(reference) is damaged"), "\(got.stderr)")
                #expect(!FileManager.default.fileExists(atPath: out), "nothing left under the name asked for")
            }
            let bundle = directory.appending("bundle.tar")
            let exported = try await daemon.ctl(["export", reference, "--bundle", bundle])
            #expect(exported.status == 1 && exported.stderr.contains("damaged"), "\(exported)")
            #expect(!FileManager.default.fileExists(atPath: bundle), "no bundle with a damaged file in it")
            let verified = try await daemon.ctl(["evidence", "verify", reference])
            #expect(verified.status == 1, "\(verified)")
            #expect(verified.stdout.contains("E1  DAMAGED  a.bin: chunk 1"), "\(verified.stdout)")
            #expect(verified.stdout.contains("E2  DAMAGED  b.bin: chunk 0"), "\(verified.stdout)")
            let failed = try connection.query(
                "SELECT count(*)::int AS n FROM audit_log WHERE action IN ('EvidenceGet', 'EvidenceVerify') AND outcome = 'failed'"
            ).first!.decode(Int.self, "n")
            #expect(failed == 5, "every damaged read is audited")
        }
    }

    @Test func badUploadsAreRefusedByNameAndLeaveNothing() async throws {
        let directory = try TemporaryDirectory(prefix: "evidence")
        defer { directory.remove() }
        let config = try config(
            directory,
            extra: "maximumEvidenceFileBytes: 1000000\nmaximumEvidenceBytesPerIncident: 1500000",
            uploadTimeout: 6
        )
        try await withDaemon(arguments: ["--config", config]) { daemon, database in
            let reference = try reference(try await daemon.ctl(["report", "--title", "Leak", "--description", "d"]))
            let big = try file(directory, "big.bin", Self.randomBytes(1_000_001))
            let tooLarge = try await daemon.ctl(["evidence", "add", reference, big])
            #expect(tooLarge.status == 1 && tooLarge.stderr.contains("the file passes the limit of 1000000 bytes"))
            let piped = try await daemon.ctl(
                ["evidence", "add", reference, "-", "--name", "big.bin"],
                input: String(repeating: "x", count: 1_000_001)
            )
            #expect(piped.status == 1 && piped.stderr.contains("passes the limit"), "\(piped)")
            let first = try file(directory, "first.bin", Self.randomBytes(900_000))
            #expect(try await daemon.ctl(["evidence", "add", reference, first]).status == 0)
            let full = try await daemon.ctl(["evidence", "add", reference, first])
            #expect(full.status == 1 && full.stderr.contains("the incident's evidence would pass"), "\(full)")
            for (name, expected) in [("a/b.txt", "path separator"), ("bad\u{1B}[2J.txt", "control character")] {
                let refused = try await daemon.ctl(
                    ["evidence", "add", reference, "-", "--name", name],
                    input: "x"
                )
                #expect(refused.status == 2 && refused.stderr.contains(expected), "\(refused)")
            }

            // Chunks out of order, a hash that does not match, an upload abandoned halfway.
            let client = try VarlinkClient(path: daemon.socketPath)
            client.setReceiveTimeout(seconds: 30)
            func begin() throws -> String {
                try client.call(
                    Methods.Evidence.begin,
                    EvidenceWire.BeginParameters(reference: .init(rawValue: reference)!, name: "x.bin")
                ).upload
            }
            func upload(_ id: String, _ position: Int, _ bytes: String) throws -> EvidenceWire.UploadReply {
                try client.call(
                    Methods.Evidence.upload,
                    EvidenceWire.UploadParameters(
                        upload: id,
                        position: position,
                        data: Data(bytes.utf8).base64EncodedString()
                    )
                )
            }
            let ordered = try begin()
            #expect(throws: VarlinkError.self) { try upload(ordered, 1, "second") }
            let wrongHash = try begin()
            _ = try upload(wrongHash, 0, "content")
            do {
                _ = try client.call(
                    Methods.Evidence.commit,
                    EvidenceWire.CommitParameters(upload: wrongHash, sha256: String(repeating: "0", count: 64))
                )
                Issue.record("a wrong hash was accepted")
            } catch let error as VarlinkError {
                #expect(WireError(error).description.contains("sha256"), "\(error)")
            }
            let abandoned = try begin()
            _ = try upload(abandoned, 0, "half of it")
            client.close()

            let connection = try database.connect()
            defer { connection.close() }
            let listed = try await daemon.ctl(["evidence", "list", reference, "--json"])
            let reply = try VarlinkJSON.decoder().decode(EvidenceWire.ListReply.self, from: Data(listed.stdout.utf8))
            #expect(reply.evidence.map(\.name) == ["first.bin"], "nothing refused or unfinished is listed")
            // The upload timeout is 6 s: the sweep removes what was left unfinished.
            var left = -1
            for _ in 0..<200 {
                left = try connection.query(
                    """
                    SELECT (SELECT count(*) FROM evidence WHERE stored_at IS NULL)
                         + (SELECT count(*) FROM evidence_chunks c JOIN evidence e ON e.id = c.evidence_id
                            WHERE e.stored_at IS NULL) AS n
                    """
                ).first!.decode(Int.self, "n")
                if left == 0 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(left == 0, "abandoned uploads and their chunks are removed")
            let chunks = try connection.query("SELECT count(*)::int AS n FROM evidence_chunks").first!.decode(
                Int.self,
                "n"
            )
            #expect(chunks == 4, "only first.bin's chunks remain")

            // A closed incident takes no evidence until it is reopened.
            try connection.execute("UPDATE incidents SET phase = 'closed', closed_at = now()")
            let closed = try await daemon.ctl(["evidence", "add", reference, "-", "--name", "late.txt"], input: "x")
            #expect(closed.status == 1 && closed.stderr.contains("is closed"), "\(closed)")
        }
    }
}
