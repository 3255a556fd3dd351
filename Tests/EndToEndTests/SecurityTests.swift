import Foundation
import Postgres
import TestSupport
import Testing
import Varlink

/// The attacks of docs/security.md, each performed for real: another local user (created with
/// useradd, acting through runuser) against a real daemon and a real PostgreSQL, or someone
/// with the database's superuser rights but without incidentd's key files. Each must fail.
@Suite(.enabled(if: getuid() == 0, "creates system users and acts as them; CI runs it as root"))
struct SecurityTests {
    static let mallory = "idt-mallory"

    static let accounts: Result<Void, TestSetupError> = {
        if case .failure(let error) = AccessControlTests.accounts { return .failure(error) }
        if (try? runCommandBlocking("/usr/bin/id", [mallory]).status) != 0 {
            let made = try? runCommandBlocking(
                "/usr/sbin/useradd",
                ["-M", "-N", "-s", "/usr/sbin/nologin", "-g", AccessControlTests.clients, mallory]
            )
            guard made?.status == 0 else { return .failure(TestSetupError("cannot create user \(mallory)")) }
        }
        return .success(())
    }()

    /// The environment without the test server's PG* variables: the daemon runs its embedded cluster.
    static var withoutDatabase: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["PGHOST", "PGDATABASE", "PGUSER", "PGPORT", "PGSERVICE"] { environment[name] = nil }
        return environment
    }

    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Resources"
    )

    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    func reference(_ result: CommandResult) throws -> String {
        try #require((try json(result)["incident"] as? [String: Any])?["reference"] as? String, "\(result)")
    }

    func withSharedDaemon(
        _ extra: [String] = [],
        _ body: (DaemonProcess, TestDatabase) async throws -> Void
    ) async throws {
        try Self.accounts.get()
        try await withDaemon(arguments: ["--socket-group", AccessControlTests.clients] + extra) { daemon, database in
            try await body(daemon, database)
        }
    }

    // 1. Folding never crosses access.
    @Test func aGuessedDedupKeyRevealsNothingOfAnotherReportersIncident() async throws {
        try await withSharedDaemon { daemon, _ in
            let victim = try await daemon.ctl(
                [
                    "report", "--title", "DLP 42", "--description", "SECRET-VICTIM-DETAIL", "--dedup-key", "dlp-42",
                    "--json",
                ],
                asUser: "idt-rep1"
            )
            let victimRef = try reference(victim)
            let attack = try await daemon.ctl(
                ["report", "--title", "probe", "--description", "probe", "--dedup-key", "dlp-42", "--json"],
                asUser: Self.mallory
            )
            #expect(attack.status == 0, "\(attack)")
            #expect(
                !attack.stdout.contains("SECRET-VICTIM-DETAIL") && !attack.stdout.contains(victimRef),
                "\(attack.stdout)"
            )
            #expect(try json(attack)["created"] as? Bool == true, "the attacker's report is an incident of its own")

            // The victim's own incident, restricted since: a repeat with its key does not fold
            // into it, and its reply carries nothing the team wrote.
            #expect(try await daemon.ctl(["restrict", victimRef], asUser: "idt-mgr").status == 0)
            #expect(try await daemon.ctl(["note", victimRef, "TEAM-ONLY-NOTE"], asUser: "idt-mgr").status == 0)
            let again = try await daemon.ctl(
                ["report", "--title", "DLP 42", "--description", "again", "--dedup-key", "dlp-42", "--json"],
                asUser: "idt-rep1"
            )
            #expect(again.status == 0, "\(again)")
            #expect(
                !again.stdout.contains(victimRef) && !again.stdout.contains("SECRET-VICTIM-DETAIL"),
                "\(again.stdout)"
            )
        }
    }

    // 2. No predictable paths; the client checks who serves the socket.
    @Test func anImpostorSocketGetsNothing() async throws {
        try Self.accounts.get()
        let directory = try TemporaryDirectory(prefix: "ifake")
        defer { directory.remove() }
        chmod(directory.path, 0o777)
        let socket = directory.appending("incidentd.sock")
        let record = directory.appending("received")
        let fake = try await impostor(at: socket, recordingTo: record)
        defer { fake.stop() }

        let victim = try await runCommand(
            Binaries.incidentctl,
            ["report", "--title", "t", "--description", "SECRET-TO-IMPOSTOR", "--socket", socket],
            asUser: "idt-rep1"
        )
        #expect(victim.status == 69, "\(victim)")
        #expect(
            victim.stderr.contains("impersonating incidentd") && victim.stderr.contains(Self.mallory),
            "\(victim.stderr)"
        )
        let received = (try? String(contentsOfFile: record, encoding: .utf8)) ?? ""
        #expect(received.isEmpty, "the impostor received: \(received)")

        // Without XDG_RUNTIME_DIR the user's own socket is in their state directory, not /tmp.
        let uid = try #require(getpwnam("idt-rep1")).pointee.pw_uid
        let old = "/tmp/incidentd-\(uid)"
        try? FileManager.default.removeItem(atPath: old)
        _ = try await runCommand("/bin/mkdir", ["-m", "777", old], asUser: Self.mallory)
        let planted = try await impostor(at: old + "/incidentd.sock", recordingTo: record)
        defer {
            planted.stop()
            try? FileManager.default.removeItem(atPath: old)
        }
        let fallback = try await runCommand(
            "/usr/bin/env",
            ["-u", "XDG_RUNTIME_DIR", "HOME=/nonexistent", Binaries.incidentctl, "status"],
            asUser: "idt-rep1"
        )
        #expect(fallback.status != 0)
        #expect(
            ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").isEmpty,
            "nothing reached the planted socket"
        )
    }

    /// Mallory's fake server at `socket`, recording every byte it receives in `record`.
    func impostor(at socket: String, recordingTo record: String) async throws -> BackgroundCommand {
        let script = Self.resources.appendingPathComponent("fake_server.py").path
        let fake = try await BackgroundCommand(
            "/usr/sbin/runuser",
            ["-u", Self.mallory, "--", "python3", script, socket, record]
        )
        #expect(await fake.waitFor(20) { out, _ in out.contains("listening") }, "\(fake.stderr)")
        return fake
    }

    // 3. The embedded cluster admits only incidentd; it runs as its own account.
    @Test func theEmbeddedClusterAdmitsOnlyIncidentd() async throws {
        try Self.accounts.get()
        let daemon = try await DaemonProcess(database: nil, environment: Self.withoutDatabase)
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady(timeout: .seconds(120))  // initdb first, as in DaemonTests
        let data = daemon.directory.appending("state/postgres/data")
        let hba = try String(contentsOfFile: data + "/pg_hba.conf", encoding: .utf8)
        let rules = hba.split(separator: "\n").filter {
            !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty
        }
        #expect(rules == ["local all all peer map=incidentd"], "\(hba)")
        let settings = try String(contentsOfFile: data + "/incidentd.conf", encoding: .utf8)
        #expect(settings.contains("listen_addresses = ''"))
        #expect(
            try String(contentsOfFile: data + "/postgresql.conf", encoding: .utf8).contains(
                "include = 'incidentd.conf'"
            )
        )
        let pidText = try String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8)
        let lines = pidText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var info = stat()
        #expect(stat("/proc/\(lines[0])", &info) == 0)
        #expect(
            info.st_uid == getpwnam("incidentd")?.pointee.pw_uid,
            "the cluster runs as incidentd, not postgres or root"
        )
        #expect(
            lines.count > 5 && lines[5].trimmingCharacters(in: .whitespaces).isEmpty,
            "no TCP listen address: \(pidText)"
        )

        // Another local user cannot reach the cluster at all, as any role.
        let socketDirectory = lines[4]
        for role in ["incidentd", "incidentd_app", "postgres"] {
            let attempt = try await runCommand(
                "/usr/bin/psql",
                ["-h", socketDirectory, "-U", role, "-d", "incidentd", "-c", "SELECT 1"],
                asUser: Self.mallory
            )
            #expect(attempt.status != 0, "\(role): \(attempt)")
        }
    }

    @Test func aClusterPreparedAtTheOldPredictableSocketPathIsNotUsed() async throws {
        try Self.accounts.get()
        // A state directory so long that the socket cannot live beside the data.
        let base = try TemporaryDirectory(prefix: "ilong")
        defer { base.remove() }
        let state = base.appending(String(repeating: "s", count: 90))
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in (state + "/postgres").utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        let predictable = "/tmp/incidentd-pg-\(String(hash, radix: 36))"
        try? FileManager.default.removeItem(atPath: predictable)
        _ = try await runCommand("/bin/mkdir", ["-m", "777", predictable], asUser: Self.mallory)
        defer { try? FileManager.default.removeItem(atPath: predictable) }
        let daemon = try await DaemonProcess(
            database: nil,
            arguments: ["--state-dir", state],
            environment: Self.withoutDatabase
        )
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady(timeout: .seconds(120))  // initdb first, as in DaemonTests
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: predictable).isEmpty,
            "the prepared directory stays unused"
        )
        #expect(try await daemon.ctl(["report", "--title", "t", "--description", "d"]).status == 0)
    }

    // 4. Least privilege: the runtime role cannot rewrite the audit trail.
    @Test func theRuntimeRoleCannotChangeTheAuditTrail() async throws {
        try await withTestDatabase { database in
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let owner = "idt_owner_\(suffix)"
            let runtime = "idt_app_\(suffix)"
            let admin = try database.connect()
            defer {
                _ = try? admin.execute(
                    "REASSIGN OWNED BY \(owner) TO postgres; DROP OWNED BY \(owner); DROP OWNED BY \(runtime)"
                )
                _ = try? admin.execute("DROP ROLE IF EXISTS \(runtime); DROP ROLE IF EXISTS \(owner)")
                admin.close()
            }
            try admin.execute(
                "CREATE ROLE \(owner) LOGIN; CREATE ROLE \(runtime) LOGIN; ALTER DATABASE \(database.name) OWNER TO \(owner)"
            )
            try admin.execute("ALTER SCHEMA public OWNER TO \(owner)")
            let daemon = try await DaemonProcess(
                database: nil,
                arguments: [
                    "--database", "\(database.conninfo) user=\(runtime)", "--key-file", database.keyFile,
                    "--config", try Self.config(["migrationDatabase: \"\(database.conninfo) user=\(owner)\""]),
                ]
            )
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            #expect(try await daemon.ctl(["report", "--title", "t", "--description", "d"]).status == 0)
            #expect(daemon.log.contains("runtime role granted its privileges"), "\(daemon.log)")

            let asRuntime = try PostgresConnection(conninfo: "\(database.conninfo) user=\(runtime)")
            defer { asRuntime.close() }
            for attack in [
                "UPDATE audit_log SET detail = 'rewritten'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                "ALTER TABLE audit_log DISABLE TRIGGER ALL", "SET session_replication_role = replica",
                "UPDATE audit_seal SET hash = '\\x00'",
                "INSERT INTO audit_seal (chain_position, seq, hash) VALUES (999999, 1, '\\x00')",
                "DELETE FROM audit_checkpoints", "DELETE FROM audit_pending",
            ] {
                #expect(throws: PostgresError.self, "\(attack) must be refused") { try asRuntime.execute(attack) }
            }
            let check = try await runCommand(
                Binaries.incidentd,
                [
                    "--check-config", "--database", "\(database.conninfo) user=\(owner)",
                ]
            )
            #expect(
                check.stdout.contains("owns the audit table") || check.stderr.contains("owns the audit table"),
                "\(check)"
            )
        }
    }

    // 5. The audit chain is anchored outside the database.
    @Test func aConsistentRewriteOfTheChainBySuperuserIsFound() async throws {
        try await withSharedDaemon(["--config", try Self.config(["auditSealIntervalMilliseconds: 100"])]) {
            daemon,
            database in
            for index in 0..<5 {
                #expect(try await daemon.ctl(["report", "--title", "r\(index)", "--description", "d"]).status == 0)
            }
            #expect(try await daemon.ctl(["audit", "verify"], asUser: "idt-aud").status == 0)
            let exported = try await daemon.ctl(["audit", "checkpoint", "--export"], asUser: "idt-aud")
            #expect(exported.status == 0, "\(exported)")
            let saved = daemon.directory.appending("checkpoint.json")
            try exported.stdout.write(toFile: saved, atomically: true, encoding: .utf8)
            chmod(saved, 0o644)
            let connection = try database.connect()
            defer { connection.close() }
            // The superuser rewrites record 2 and reseals everything after it, consistently.
            let target = try connection.query("SELECT seq FROM audit_seal WHERE chain_position = 2").first!.decode(
                Int64.self,
                "seq"
            )
            try connection.execute(
                """
                SET session_replication_role = replica;
                UPDATE audit_log SET detail = 'nothing happened here' WHERE seq = \(target);
                DELETE FROM audit_seal WHERE chain_position >= 2;
                DO $$ DECLARE last bytea; r audit_log; position bigint := 1; BEGIN
                    SELECT hash INTO last FROM audit_seal WHERE chain_position = 1;
                    FOR r IN SELECT a.* FROM audit_log a WHERE a.seq >= \(target) ORDER BY a.seq LOOP
                        position := position + 1;
                        last := sha256(last || audit_canonical(r));
                        INSERT INTO audit_seal (chain_position, seq, hash) VALUES (position, r.seq, last);
                    END LOOP;
                END $$;
                DELETE FROM audit_pending;
                SET session_replication_role = origin;
                """
            )
            let inside = try connection.query("SELECT reason FROM audit_verify()").first!.decode(String?.self, "reason")
            #expect(inside == nil, "the rewrite is consistent: the database's own check passes")
            let verify = try await daemon.ctl(["audit", "verify"], asUser: "idt-aud")
            #expect(verify.status == 1, "\(verify)")
            #expect(verify.stdout.contains("rewritten") && verify.stdout.contains("seq \(target)"), "\(verify.stdout)")
            let withSaved = try await daemon.ctl(["audit", "verify", "--checkpoint", saved], asUser: "idt-aud")
            #expect(withSaved.status == 1, "\(withSaved)")
        }
    }

    @Test func cuttingOffTheChainsTailWithItsCheckpointsIsFound() async throws {
        try await withSharedDaemon(["--config", try Self.config(["auditSealIntervalMilliseconds: 100"])]) {
            daemon,
            database in
            for index in 0..<3 {
                #expect(try await daemon.ctl(["report", "--title", "r\(index)", "--description", "d"]).status == 0)
            }
            #expect(try await daemon.ctl(["audit", "verify"], asUser: "idt-aud").status == 0)
            let connection = try database.connect()
            defer { connection.close() }
            try connection.execute(
                """
                SET session_replication_role = replica;
                DELETE FROM audit_checkpoints WHERE chain_position > 2;
                DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_seal WHERE chain_position > 2);
                DELETE FROM audit_seal WHERE chain_position > 2;
                SET session_replication_role = origin;
                """
            )
            let verify = try await daemon.ctl(["audit", "verify"], asUser: "idt-aud")
            #expect(verify.status == 1, "\(verify)")
            #expect(verify.stdout.contains("were removed") || verify.stdout.contains("rewritten"), "\(verify.stdout)")
        }
    }

    // 6. Views filter everything a reporter reads.
    @Test func aReporterReadsOnlyWhatShowGivesThem() async throws {
        try await withSharedDaemon { daemon, _ in
            let own = try reference(
                try await daemon.ctl(["report", "--title", "mine", "--description", "d", "--json"], asUser: "idt-rep1")
            )
            #expect(try await daemon.ctl(["note", own, "TEAM-NOTE"], asUser: "idt-mgr").status == 0)
            #expect(try await daemon.ctl(["assign", own, "idt-inv"], asUser: "idt-mgr").status == 0)
            let timeline = try await daemon.ctl(["timeline", own, "--json"], asUser: "idt-rep1")
            #expect(timeline.status == 0, "\(timeline)")
            #expect(
                !timeline.stdout.contains("TEAM-NOTE") && !timeline.stdout.contains("idt-inv")
                    && !timeline.stdout.contains("note.added"),
                "\(timeline.stdout)"
            )
            let listed = try await daemon.ctl(["list", "--json"], asUser: "idt-rep1")
            #expect(!listed.stdout.contains("idt-inv"), "no assignment in a reporter's list: \(listed.stdout)")

            let hidden = try reference(
                try await daemon.ctl(
                    ["report", "--title", "theirs", "--description", "d", "--severity", "critical", "--json"],
                    asUser: "idt-rep2"
                )
            )
            #expect(try await daemon.ctl(["restrict", hidden], asUser: "idt-mgr").status == 0)
            let export = try await daemon.ctl(["export", hidden], asUser: "idt-inv")
            #expect(export.status == 3, "NoSuchIncident, as Get answers: \(export)")
            // Paging from a hidden incident's position tells nothing about it.
            let page = try await daemon.ctl(
                ["list", "--sort", "severity", "--after", hidden, "--json"],
                asUser: "idt-inv"
            )
            #expect(page.status == 0)
            #expect((try json(page)["incidents"] as? [Any])?.isEmpty == true, "\(page.stdout)")
        }
    }

    // 7. Hooks get nothing of the daemon.
    @Test func aHookInheritsNoDescriptorAndRunsUnprivileged() async throws {
        try Self.accounts.get()
        let directory = try TemporaryDirectory(prefix: "ihooksec")
        defer { directory.remove() }
        chmod(directory.path, 0o777)
        let hook = directory.appending("probe")
        try """
        #!/bin/sh
        out=\(directory.path)/seen.$$
        id -u > $out
        for fd in /proc/self/fd/*; do echo "$(basename $fd) $(readlink $fd)" >> $out; done
        cat >> $out
        mv $out \(directory.path)/seen
        """.write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let config = try Self.config([
            "hookPollIntervalMilliseconds: 50",
            "hooks:\n  - {name: probe, exec: [\(hook)], events: [incident.reported, incident.restricted]}",
        ])
        try await withSharedDaemon(["--config", config]) { daemon, _ in
            #expect(try await daemon.ctl(["report", "--title", "t", "--description", "d"]).status == 0)
            let seen = directory.appending("seen")
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: seen) {
                try await Task.sleep(for: .milliseconds(50))
            }
            let text = try String(contentsOfFile: seen, encoding: .utf8)
            let lines = text.split(separator: "\n").map(String.init)
            #expect(UInt32(lines[0]) == getpwnam("incidentd")?.pointee.pw_uid, "hooks run as incidentd: \(text)")
            let descriptors = lines.dropFirst().filter {
                $0.first?.isNumber == true && $0.contains(" ") && !$0.contains("{")
            }
            #expect(
                Set(descriptors.compactMap { $0.split(separator: " ").first }).isSuperset(of: ["0", "1", "2"]),
                "the probe listed its descriptors: \(text)"
            )
            #expect(
                !descriptors.contains { $0.contains("socket:") || $0.contains(".sock") || $0.contains("keys") },
                "\(text)"
            )
        }
    }

    // 8. Nothing a person typed reaches a terminal raw.
    @Test func controlCharactersAreRefusedAndNeverPrinted() async throws {
        try await withSharedDaemon { daemon, database in
            let refused = try await daemon.ctl(
                ["report", "--title", "a\u{1B}]0;owned\u{07}b", "--description", "d"],
                asUser: Self.mallory
            )
            #expect(refused.status == 2, "\(refused)")
            #expect(
                refused.stderr.contains("title") && refused.stderr.contains("control characters"),
                "\(refused.stderr)"
            )
            #expect(try await daemon.ctl(["list", "--json"]).stdout.contains("owned") == false, "nothing was stored")
            // Text that reached the database some other way is still not printed raw.
            let filed = try reference(
                try await daemon.ctl(["report", "--title", "plain", "--description", "d", "--json"])
            )
            let connection = try database.connect()
            defer { connection.close() }
            try connection.execute("UPDATE incidents SET title = E'x\\x1b[2Jy\\u009b' WHERE reference = '\(filed)'")
            for arguments in [["list"], ["show", filed], ["status"]] {
                let shown = try await daemon.ctl(arguments)
                #expect(
                    !shown.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B },
                    "\(arguments): \(shown.stdout)"
                )
            }
        }
    }

    // 10. Limits a low-privilege user cannot exhaust.
    @Test func aLowPrivilegeUserCannotFloodTheDaemonOrAnIncident() async throws {
        let config = try Self.config([
            "rateLimits:\n  default: {perMinute: 1, burst: 5}", "maximumBytesPerIncident: 65536",
        ])
        try await withSharedDaemon(["--config", config]) { daemon, database in
            // Eight reports on one connection, as fast as they go: the machine's load cannot
            // refill the bucket (one a minute) between them.
            let flood = try await runCommand(
                "/usr/bin/python3",
                [
                    "-c",
                    """
                    import json, socket, sys
                    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
                    for i in range(8):
                        call = {"method": "io.incidentd.Incidents.Report", "parameters": {"title": "flood %d" % i, "description": "d"}}
                        s.sendall(json.dumps(call).encode() + b"\\0")
                        reply = b""
                        while not reply.endswith(b"\\0"): reply += s.recv(65536)
                        print(json.loads(reply[:-1]).get("error", "ok"))
                    """, daemon.socketPath,
                ],
                asUser: Self.mallory
            )
            let outcomes = flood.stdout.split(separator: "\n").map(String.init)
            #expect(
                outcomes == Array(repeating: "ok", count: 5)
                    + Array(repeating: "io.incidentd.TooManyRequests", count: 3),
                "a burst of five, then refused: \(flood)"
            )
            // The bucket earns one call back each minute. A loaded machine can take that long to
            // start incidentctl, so a call admitted by the refill is counted, and the next is
            // refused: two refills take two minutes.
            var refilled = 0
            var refused = try await daemon.ctl(
                ["report", "--title", "flood", "--description", "d"],
                asUser: Self.mallory
            )
            while refused.status == 0, refilled < 2 {
                refilled += 1
                refused = try await daemon.ctl(
                    ["report", "--title", "flood", "--description", "d"],
                    asUser: Self.mallory
                )
            }
            #expect(
                refused.status == 69 && refused.stderr.contains("rate limit")
                    && refused.stderr.contains("try again in"),
                "\(refused)"
            )
            // Root is trusted and not limited; the limit is per user, so others are not held up.
            for index in 0..<8 {
                #expect(try await daemon.ctl(["report", "--title", "root \(index)", "--description", "d"]).status == 0)
            }
            #expect(
                try await daemon.ctl(["report", "--title", "rep1", "--description", "d"], asUser: "idt-rep1").status
                    == 0
            )

            // One incident holds at most maximumBytesPerIncident of what callers send it.
            let incident = try reference(
                try await daemon.ctl(["report", "--title", "big", "--description", "d", "--json"])
            )
            let note = String(repeating: "n", count: 60_000)
            #expect(try await daemon.ctl(["note", incident, note], asUser: "idt-mgr").status == 0)
            let tooMuch = try await daemon.ctl(["note", incident, note], asUser: "idt-mgr")
            #expect(tooMuch.status == 1 && tooMuch.stderr.contains("already holds the most text"), "\(tooMuch)")

            let connection = try database.connect()
            defer { connection.close() }
            func count(_ sql: String) throws -> Int {
                try connection.query(PostgresQuery(unsafeSQL: sql)).first!.decode(Int.self, at: 0)
            }
            let mallory = getpwnam(Self.mallory)!.pointee.pw_uid
            #expect(
                try count("SELECT count(*) FROM incidents WHERE reporter_uid = \(mallory)") == 5 + refilled,
                "nothing refused was filed"
            )
            #expect(
                try count("SELECT count(*) FROM events WHERE kind = 'note.added'") == 1,
                "nothing refused was stored"
            )
            #expect(
                try count(
                    "SELECT count(*) FROM audit_log WHERE uid = \(mallory) AND outcome = 'refused' AND detail LIKE 'rate limit%'"
                ) == 1,
                "the run of refusals is audited once, at its start"
            )
            #expect(
                try count(
                    "SELECT count(*) FROM audit_log WHERE action = 'Note' AND outcome = 'refused' AND detail LIKE '%bytes'"
                ) == 1
            )
        }
    }

    // 11. Every call is audited, with the peer's uid, and its outcome says how it ended.
    @Test func everyCallIsAuditedIntrospectionAndMalformedMessagesIncluded() async throws {
        try await withSharedDaemon { daemon, database in
            let script = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
                def call(message):
                    s.sendall(message + b"\\0")
                    reply = b""
                    while not reply.endswith(b"\\0"): reply += s.recv(65536)
                for message in [b'{"method":"org.varlink.service.GetInfo"}',
                                b'{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.incidentd.Incidents"}}',
                                b'{"method":"io.incidentd.Playbooks.List"}',
                                b'{"method":"io.incidentd.Playbooks.Get","parameters":{"name":"customer-data-breach"}}',
                                b'{"method": not json']:
                    call(message)
                """
            let probe = try await runCommand(
                "/usr/bin/python3",
                ["-c", script, daemon.socketPath],
                asUser: Self.mallory
            )
            #expect(probe.status == 0, "\(probe)")
            // Refused by the workflow, denied by the policy: two different outcomes.
            let filed = try reference(try await daemon.ctl(["report", "--title", "t", "--description", "d", "--json"]))
            let early = try await daemon.ctl(["advance", filed], asUser: "idt-mgr")
            #expect(early.status == 1, "\(early)")
            #expect(try await daemon.ctl(["assign", filed, "idt-inv"], asUser: Self.mallory).status != 0)

            let connection = try database.connect()
            defer { connection.close() }
            let mallory = getpwnam(Self.mallory)!.pointee.pw_uid
            let rows = try connection.query(
                PostgresQuery(unsafeSQL: "SELECT action, outcome FROM audit_log WHERE uid = \(mallory) ORDER BY seq")
            )
            .map { "\(try $0.decode(String.self, "action")) \(try $0.decode(String.self, "outcome"))" }
            for expected in [
                "serviceGetInfo ok", "serviceGetInterfaceDescription ok", "PlaybooksList ok", "PlaybooksGet ok",
                "MalformedMessage invalid",
            ] {
                #expect(rows.contains(expected), "\(expected) in \(rows)")
            }
            #expect(
                rows.contains { $0.hasPrefix("Assign denied") } || rows.contains { $0.hasPrefix("Assign not-found") },
                "\(rows)"
            )
            let advanced = try connection.query(
                PostgresQuery(unsafeSQL: "SELECT outcome FROM audit_log WHERE action = 'Advance'")
            )
            .map { try $0.decode(String.self, "outcome") }
            #expect(advanced == ["refused"], "a workflow refusal is refused, not failed: \(advanced)")
        }
    }

    /// A config file holding `lines`, with roles as the shared daemons have them.
    static func config(_ lines: [String]) throws -> String {
        let directory = try TemporaryDirectory(prefix: "iseccfg")
        let path = directory.appending("incidentd.yaml")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
