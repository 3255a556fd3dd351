import Foundation
import Glibc
import Postgres
import TestSupport
import Testing

/// Customer data stays protected inside incidentd: what reaches PostgreSQL is ciphertext.
@Suite struct EncryptionEndToEndTests {
    static let marker = "ZEBRA-7731-MARKER"
    /// The test's user works incidents (notes need an investigator).
    static var roles: String {
        "roles:\n  users:\n    \(String(cString: getpwuid(getuid())!.pointee.pw_name)): [admin, manager, investigator, auditor]"
    }

    func pgDump(_ database: TestDatabase) async throws -> String {
        let dump = try await runCommand("/usr/bin/env", ["pg_dump", "--data-only", database.conninfo])
        #expect(dump.status == 0, "\(dump.stderr)")
        #expect(dump.stdout.contains("COPY public.incidents"), "the dump has the data")
        return dump.stdout
    }

    /// A daemon on a fresh database with a state directory of its own, where it makes its key file.
    func withKeyedDaemon(
        config: String,
        _ body: (DaemonProcess, TestDatabase, TemporaryDirectory) async throws -> Void
    ) async throws {
        try await withTestDatabase { database in
            let state = try TemporaryDirectory(prefix: "ikeys")
            defer { state.remove() }
            let daemon = try await DaemonProcess(
                database: database,
                arguments: ["--config", config, "--state-dir", state.path]
            )
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            try await body(daemon, database, state)
        }
    }

    @Test func pgDumpFindsNoMarkerFromDescriptionsNotesOrPersonalHookPayloads() async throws {
        let setup = try HookTests.Setup(
            hooks: """
                  - name: dpo
                    exec: [/bin/sh, -c, "cat >> $DIR/received"]
                    events: [incident.reported, note.added]
                    personalData: true
                """,
            extra: Self.roles
        )
        defer { setup.directory.remove() }
        try await withKeyedDaemon(config: setup.config) { daemon, database, state in
            let filed = try await daemon.ctl([
                "report", "--title", "Payroll file sent to a customer", "--description",
                "Alice Example \(Self.marker) alice@example.com",
            ])
            #expect(filed.status == 0, "\(filed)")
            let reference = try #require(filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
            #expect(try await daemon.ctl(["note", reference, "Called \(Self.marker) back"]).status == 0)
            // A capture the playbook marks sensitive (containment) is sealed too.
            for task in [
                ["acknowledge"],
                [
                    "triage", "--set", "severity=high", "--set", "dataCategories=contact", "--set", "jurisdictions=DE",
                    "--set", "nis2Entity=false", "--set", "secRegistrant=false", "--set", "doraFinancialEntity=false",
                    "--set", "ftcFinancialInstitution=false",
                ],
            ] {
                let done = try await daemon.ctl(["task", "done", reference] + task)
                #expect(done.status == 0, "\(done)")
            }
            #expect(try await daemon.ctl(["advance", reference]).status == 0)
            let contained = try await daemon.ctl([
                "task", "done", reference, "contain", "--set", "containment=Bob \(Self.marker) deleted it",
            ])
            #expect(contained.status == 0, "\(contained)")

            // The people who may see it see plaintext; the hook configured for it receives it.
            let show = try await daemon.ctl(["show", reference])
            #expect(show.stdout.contains("Alice Example \(Self.marker)"), "\(show)")
            #expect(show.stdout.contains("Bob \(Self.marker) deleted it"), "\(show)")
            let timeline = try await daemon.ctl(["timeline", reference])
            #expect(timeline.stdout.contains("Called \(Self.marker) back"), "\(timeline)")
            #expect(
                await HookTests().waitFor(90) {
                    setup.lines("received").filter { $0.contains(Self.marker) }.count == 2
                },
                "\(setup.lines("received"))"
            )

            let dump = try await pgDump(database)
            #expect(!dump.contains(Self.marker), "no marker in pg_dump")
            #expect(dump.contains("enc1:k1:"))

            var status = stat()
            #expect(stat(state.appending("keys"), &status) == 0)
            #expect(status.st_mode & 0o777 == 0o600, "the key file is created readable by its owner only")
            #expect(!daemon.log.contains(Self.marker), "nor in the daemon's log")
        }
    }

    /// Every place a person types about a case, each with its own name, address and number, so
    /// a failure says which one reached the database in clear.
    @Test func afterAFullLifecyclePgDumpHoldsNoNameAddressOrNumberThatWasTyped() async throws {
        let setup = try HookTests.Setup(
            hooks: """
                  - name: closed
                    exec: [/bin/true]
                    events: [incident.closed]
                """,
            extra: Self.roles + "\nprofile:\n  legalName: Example Shop GmbH\n  email: privacy@example.com\n"
        )
        defer { setup.directory.remove() }
        func personal(_ place: String) -> String {
            "Wang \(place) wang.\(place.lowercased())@example.cn +86 138 0013 \(place.count)000"
        }
        let places = [
            "Description", "Note", "Containment", "Rootcause", "Prevention", "Decision", "Recipient", "Late", "Skip",
            "Hold", "Resolution", "Lessons", "Consequences", "Notice", "Deferral",
        ]
        // The notice sent and the reason for what it leaves to later are read with notice show.
        let sentOnly = ["Hold", "Notice", "Deferral"]
        let noticeFile = setup.directory.appending("notice.txt")
        try "Dear BfDI,\n\(personal("Notice"))\n".write(toFile: noticeFile, atomically: true, encoding: .utf8)
        try await withKeyedDaemon(config: setup.config) { daemon, database, state in
            let filed = try await daemon.ctl([
                "report", "--title", "Customer list sent to the wrong partner", "--description",
                personal("Description"),
                "--data", "contact", "--people", "1200", "--jurisdiction", "DE", "--aware", "2026-01-05T08:00:00Z",
            ])
            #expect(filed.status == 0, "\(filed)")
            let reference = try #require(filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
            for step in [
                ["note", reference, personal("Note")],
                ["task", "done", reference, "acknowledge"],
                [
                    "task", "done", reference, "triage", "--set", "severity=high", "--set", "dataCategories=contact",
                    "--set", "jurisdictions=DE", "--set", "nis2Entity=false", "--set", "secRegistrant=false", "--set",
                    "doraFinancialEntity=false", "--set", "ftcFinancialInstitution=false",
                ],
                ["advance", reference],
                ["task", "done", reference, "contain", "--set", "containment=\(personal("Containment"))"],
                [
                    "task", "done", reference, "scope", "--set", "peopleAffectedIn=DE:1200", "--set",
                    "peopleAffected=1200",
                    "--set", "recordsAffected=1200",
                ],
                [
                    "task", "done", reference, "assess-notifiability", "--set", "notifiable=true", "--set",
                    "highRisk=false",
                    "--reason", personal("Decision"),
                ],
                [
                    "task", "done", reference, "root-cause", "--set", "rootCause=\(personal("Rootcause"))",
                    "--set", "prevention=\(personal("Prevention"))",
                ],
                ["approve", reference],
                ["advance", reference],
                ["update", reference, "--set", "likelyConsequences=\(personal("Consequences"))"],
                // Aware in January: the 72 hours are long over, so the notification needs its reason.
                [
                    "task", "done", reference, "gdpr-authority", "--recipient", personal("Recipient"), "--channel",
                    "portal",
                    "--set", "regulatorReference=BfDI-2026-1", "--reason", personal("Late"),
                    "--text-file", noticeFile, "--defer", "subjectCategories=\(personal("Deferral"))",
                ],
                // What was deferred follows in the supplementary notice.
                ["update", reference, "--set", "subjectCategories=customers"],
                [
                    "task", "done", reference, "gdpr-authority-supplement", "--recipient", personal("Recipient"),
                    "--channel", "portal", "--text-file", noticeFile,
                ],
                ["task", "skip", reference, "customers", "--reason", personal("Skip")],
                ["hold", reference, "--reason", personal("Hold")],
                ["close", reference, "--resolution", personal("Resolution"), "--lessons", personal("Lessons")],
            ] {
                let done = try await daemon.ctl(step)
                #expect(done.status == 0, "\(step): \(done)")
            }
            // Those who may read the case read every value back.
            let file = try await daemon.ctl(["show", reference, "--json"])
            let timeline = try await daemon.ctl(["timeline", reference, "--json"])
            let sent = try await daemon.ctl(["notice", "show", reference, "gdpr-authority", "--json"])
            for place in ["Notice", "Deferral"] {
                #expect(sent.stdout.contains("wang.\(place.lowercased())@example.cn"), "\(place) reads back: \(sent)")
            }
            for place in places where !sentOnly.contains(place) {
                #expect(
                    (file.stdout + timeline.stdout).contains("wang.\(place.lowercased())@example.cn"),
                    "\(place) reads back"
                )
            }

            let dump = try await pgDump(database)
            let leaked = places.filter {
                dump.contains("Wang \($0)") || dump.contains("wang.\($0.lowercased())@example.cn")
                    || dump.contains("0013 \($0.count)000")
            }
            #expect(leaked.isEmpty, "what was typed here is in pg_dump in clear: \(leaked)")
            #expect(dump.contains("enc1:k1:"))
        }
    }

    @Test func aMissingWrongDamagedOrOpenKeyFileStopsTheStartNamingTheFile() async throws {
        try await withTestDatabase { database in
            let state = try TemporaryDirectory(prefix: "ikeys")
            defer { state.remove() }
            let keys = state.appending("keys")
            let first = try await DaemonProcess(database: database, arguments: ["--state-dir", state.path])
            try await first.waitUntilReady()
            #expect(try await first.ctl(["report", "--title", "Sealed", "--description", Self.marker]).status == 0)
            await first.stop()
            first.cleanUp()
            let original = try String(contentsOfFile: keys, encoding: .utf8)

            func start(_ prepare: () throws -> Void) async throws -> String {
                try prepare()
                let daemon = try await DaemonProcess(database: database, arguments: ["--state-dir", state.path])
                defer { daemon.cleanUp() }
                let deadline = Date().addingTimeInterval(60)
                while daemon.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
                #expect(!daemon.isRunning, "incidentd must not start")
                return daemon.log
            }
            func restore() throws {
                unlink(keys)
                try original.write(toFile: keys, atomically: true, encoding: .utf8)
                chmod(keys, 0o600)
            }

            var log = try await start { chmod(keys, 0o644) }
            #expect(
                log.contains("the key file \(keys) may be read by other users") && log.contains("chmod 600"),
                "\(log)"
            )

            log = try await start {
                try restore()
                unlink(keys)
            }
            #expect(log.contains("the key file \(keys) is missing, but this database holds values encrypted"), "\(log)")

            log = try await start {
                try KeyFileText.other.write(toFile: keys, atomically: true, encoding: .utf8)
                chmod(keys, 0o600)
            }
            #expect(
                log.contains("key k1 in \(keys) is not the key this database's values were encrypted with"),
                "\(log)"
            )

            log = try await start {
                try "k1 garbage\n".write(toFile: keys, atomically: true, encoding: .utf8)
                chmod(keys, 0o600)
            }
            #expect(log.contains("the key file \(keys) is damaged"), "\(log)")

            // With the right file back, the data is readable again: nothing was lost.
            try restore()
            let daemon = try await DaemonProcess(database: database, arguments: ["--state-dir", state.path])
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            let show = try await daemon.ctl([
                "show", "INC-\(Calendar(identifier: .gregorian).component(.year, from: Date()))-000001",
            ])
            #expect(show.stdout.contains(Self.marker), "\(show)")
        }
    }

    @Test(.timeLimit(.minutes(10)))
    func keyRotationReencryptsEveryValueWhileTheDaemonServes() async throws {
        try await withTestDatabase { database in
            let state = try TemporaryDirectory(prefix: "ikeys")
            defer { state.remove() }
            let config = state.appending("incidentd.yaml")
            try Self.roles.write(toFile: config, atomically: true, encoding: .utf8)
            let daemon = try await DaemonProcess(
                database: database,
                arguments: ["--state-dir", state.path, "--config", config]
            )
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            for index in 0..<30 {
                let filed = try await daemon.ctl([
                    "report", "--title", "Before \(index)", "--description", "\(Self.marker) \(index)",
                ])
                #expect(filed.status == 0)
                if index.isMultiple(of: 10) {
                    _ = try await daemon.ctl([
                        "note", filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) } ?? "",
                        "note \(index)",
                    ])
                }
            }
            // An evidence file of three chunks, and its name, go under the new key too.
            let evidence = (0..<(600 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let evidenceFile = state.appending("capture.bin")
            try Data(evidence).write(to: URL(fileURLWithPath: evidenceFile))
            let first = "INC-\(Calendar(identifier: .gregorian).component(.year, from: Date()))-000001"
            #expect(try await daemon.ctl(["evidence", "add", first, evidenceFile]).status == 0)
            let rotate = try await runCommand(Binaries.incidentd, ["--state-dir", state.path, "keys", "rotate"])
            #expect(rotate.status == 0 && rotate.stdout.contains("Added key k2"), "\(rotate)")
            kill(daemon.pid, SIGHUP)

            let connection = try database.connect()
            defer { connection.close() }
            func underOldKey() throws -> Int {
                try connection.query(
                    """
                    SELECT (SELECT count(*) FROM incidents WHERE description NOT LIKE 'enc1:k2:%')
                         + (SELECT count(*) FROM events WHERE data ? 'text' AND data->>'text' NOT LIKE 'enc1:k2:%')
                         + (SELECT count(*) FROM evidence_chunks WHERE key_id <> 'k2')
                         + (SELECT count(*) FROM evidence WHERE name NOT LIKE 'enc1:k2:%') AS n
                    """
                ).first!.decode(Int.self, "n")
            }
            // The daemon keeps serving while it re-encrypts.
            var served = 0
            let deadline = Date().addingTimeInterval(120)
            while try underOldKey() > 0, Date() < deadline {
                if try await daemon.ctl(["report", "--title", "During", "--description", "\(Self.marker) during"])
                    .status == 0
                {
                    served += 1
                }
            }
            #expect(try underOldKey() == 0, "no value is left under the old key: \(daemon.log.suffix(2000))")
            print("key rotation: re-encrypted while \(served) reports were filed")
            #expect(try await daemon.ctl(["report", "--title", "After", "--description", "after"]).status == 0)
            #expect(daemon.log.contains("every value is encrypted under the current key"))
            let show = try await daemon.ctl([
                "show", "INC-\(Calendar(identifier: .gregorian).component(.year, from: Date()))-000001",
            ])
            #expect(show.stdout.contains("\(Self.marker) 0"), "old incidents still read: \(show)")
            let back = state.appending("capture.out")
            #expect(try await daemon.ctl(["evidence", "get", first, "E1", "-o", back]).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == Data(evidence), "evidence reads back whole")
            let keys = try String(contentsOfFile: state.appending("keys"), encoding: .utf8)
            #expect(keys.contains("\nk1 ") && keys.contains("\nk2 "))
        }
    }
}

enum KeyFileText {
    /// A well-formed key file with a different key k1.
    static let other = "k1 \(Data((0..<32).map { UInt8($0) }).base64EncodedString())\n"
}
