import Foundation
import Postgres
import TestSupport
import Testing
import Varlink

/// Real, different users on one machine (CI runs as root, so it can create them): the
/// policy holds end to end, and every denial is in the audit log.
@Suite(.enabled(if: getuid() == 0, "creates system users and groups; CI runs it as root"))
struct AccessControlTests {
    static let clients = "idt-clients"
    static let users: [(String, String?)] = [
        ("idt-rep1", nil), ("idt-rep2", nil), ("idt-inv", "incidentd-investigators"),
        ("idt-mgr", "incidentd-managers"), ("idt-aud", "incidentd-auditors"),
    ]

    /// Created once per test process, however many tests ask.
    static let accounts: Result<Void, TestSetupError> = {
        func run(_ arguments: [String]) -> Int32 {
            (try? runCommandBlocking(arguments[0], Array(arguments.dropFirst())).status) ?? -1
        }
        for group in [clients, "incidentd-investigators", "incidentd-managers", "incidentd-auditors"] {
            _ = run(["/usr/sbin/groupadd", "-f", group])
        }
        for (user, group) in users where run(["/usr/bin/id", user]) != 0 {
            var arguments = ["/usr/sbin/useradd", "-M", "-N", "-s", "/usr/sbin/nologin", "-g", clients]
            if let group { arguments += ["-G", group] }
            guard run(arguments + [user]) == 0 else {
                return .failure(TestSetupError("cannot create user \(user) with useradd"))
            }
        }
        return .success(())
    }()

    func withSharedDaemon(_ body: (DaemonProcess, TestDatabase) async throws -> Void) async throws {
        try Self.accounts.get()
        try await withDaemon(arguments: ["--socket-group", Self.clients]) { daemon, database in
            try await body(daemon, database)
        }
    }

    func reference(_ result: CommandResult) throws -> String {
        let incident = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "\(result)"
        )
        return try #require((incident["incident"] as? [String: Any])?["reference"] as? String)
    }

    @Test func eachRoleSeesAndDoesOnlyWhatItMay() async throws {
        try await withSharedDaemon { daemon, database in
            let a = try reference(
                try await daemon.ctl(
                    ["report", "--title", "A", "--description", "rep1's", "--json"],
                    asUser: "idt-rep1"
                )
            )
            let b = try reference(
                try await daemon.ctl(
                    ["report", "--title", "B", "--description", "rep2's", "--json"],
                    asUser: "idt-rep2"
                )
            )

            // A reporter cannot see another reporter's incident, and lists and counts only their own.
            #expect(try await daemon.ctl(["show", a], asUser: "idt-rep2").status == 3)
            #expect(try await daemon.ctl(["show", b], asUser: "idt-rep2").status == 0)
            let rep2List = try await daemon.ctl(["list"], asUser: "idt-rep2").stdout
            #expect(rep2List.contains(b) && !rep2List.contains(a))
            #expect(try await daemon.ctl(["status"], asUser: "idt-rep2").stdout.contains("Open incidents: 1"))

            // A manager restricts A to its assignee (nobody yet) and assigns B to the investigator.
            #expect(try await daemon.ctl(["restrict", a], asUser: "idt-mgr").status == 0)
            #expect(try await daemon.ctl(["assign", b, "idt-inv"], asUser: "idt-mgr").status == 0)
            #expect(
                try await daemon.ctl(["assign", b, "idt-rep2"], asUser: "idt-inv").status == 4,
                "investigators do not assign"
            )

            // An investigator cannot see a restricted incident not assigned to them.
            #expect(try await daemon.ctl(["show", a], asUser: "idt-inv").status == 3)
            #expect(try await daemon.ctl(["show", b], asUser: "idt-inv").status == 0)
            #expect(!(try await daemon.ctl(["list"], asUser: "idt-inv").stdout.contains(a)))
            // Not even its reporter, once restricted.
            #expect(try await daemon.ctl(["show", a], asUser: "idt-rep1").status == 3)

            // An auditor reads everything and changes nothing.
            #expect(try await daemon.ctl(["show", a], asUser: "idt-aud").status == 0)
            #expect(try await daemon.ctl(["assign", a, "idt-aud"], asUser: "idt-aud").status == 4)
            #expect(try await daemon.ctl(["restrict", b, "--lift"], asUser: "idt-aud").status == 4)
            #expect(
                try await daemon.ctl(["report", "--title", "x", "--description", "y"], asUser: "idt-aud").status == 0,
                "anyone who reaches the socket may report; that changes no existing incident"
            )

            // Only auditors and admins read the trail.
            #expect(try await daemon.ctl(["audit"], asUser: "idt-rep1").status == 4)
            let denials = try await daemon.ctl(
                ["audit", "--outcome", "denied", "--json", "--limit", "100"],
                asUser: "idt-aud"
            )
            #expect(denials.status == 0, "\(denials)")
            let records = try #require(
                (try JSONSerialization.jsonObject(with: Data(denials.stdout.utf8)) as? [String: Any])?["records"]
                    as? [[String: Any]]
            )
            let seen = Set(
                records.map {
                    "\($0["userName"] as? String ?? "") \($0["action"] as? String ?? "") \($0["incident"] as? String ?? "-")"
                }
            )
            for expected in [
                "idt-rep2 Get \(a)", "idt-inv Assign \(b)", "idt-inv Get \(a)", "idt-rep1 Get \(a)",
                "idt-aud Assign \(a)", "idt-aud Restrict \(b)", "idt-rep1 AuditQuery -",
            ] {
                #expect(seen.contains(expected), "no denial recorded for \(expected); have \(seen.sorted())")
            }
            let verify = try await daemon.ctl(["audit", "verify"], asUser: "idt-aud")
            #expect(verify.status == 0, "\(verify)")
            #expect(verify.stdout.contains("the chain is intact"))
            _ = database
        }
    }

    /// A reporter adds what they learn to their own open report (a note, the people affected,
    /// another data category, when it was discovered), as real users against a real daemon:
    /// never to someone else's, never what investigators decided, never once it is closed.
    /// Evidence follows the incident's view: a reporter attaches a screenshot to their own
    /// report and sees only what they attached; nobody else's report, nor the team's files,
    /// nor custody. Each user is a real account reaching the real daemon.
    @Test func aReporterAttachesEvidenceToTheirOwnReportAndSeesOnlyThat() async throws {
        try await withSharedDaemon { daemon, _ in
            let files = try TemporaryDirectory(prefix: "idt-evidence")
            defer { files.remove() }
            chmod(files.path, 0o1777)
            let screenshot = files.appending("what-i-saw.png")
            try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).write(
                to: URL(fileURLWithPath: screenshot)
            )
            chmod(screenshot, 0o644)
            let own = try reference(
                try await daemon.ctl(
                    ["report", "--title", "Odd e-mail", "--description", "d", "--json"],
                    asUser: "idt-rep1"
                )
            )
            let others = try reference(
                try await daemon.ctl(["report", "--title", "B", "--description", "d", "--json"], asUser: "idt-rep2")
            )
            let attached = try await daemon.ctl(["evidence", "add", own, screenshot], asUser: "idt-rep1")
            #expect(attached.status == 0 && attached.stdout.contains("Added E1 what-i-saw.png"), "\(attached)")
            let teamFile = try await daemon.ctl(
                ["evidence", "add", own, "-", "--name", "mail-log.txt", "--kind", "log"],
                input: "relay log of the investigation\n",
                asUser: "idt-inv"
            )
            #expect(teamFile.status == 0, "\(teamFile)")

            let seen = try await daemon.ctl(["evidence", "list", own], asUser: "idt-rep1")
            #expect(seen.stdout.contains("what-i-saw.png") && !seen.stdout.contains("mail-log.txt"), "\(seen)")
            let back = files.appending("back.png")
            #expect(try await daemon.ctl(["evidence", "get", own, "E1", "-o", back], asUser: "idt-rep1").status == 0)
            let theTeams = try await daemon.ctl(["evidence", "get", own, "E2", "-o", back + "2"], asUser: "idt-rep1")
            #expect(theTeams.status == 2 && theTeams.stderr.contains("names no evidence you may see"), "\(theTeams)")
            #expect(!FileManager.default.fileExists(atPath: back + "2"))
            let custody = try await daemon.ctl(["evidence", "custody", own, "E1"], asUser: "idt-rep1")
            #expect(custody.status == 4, "custody is the team's: \(custody)")
            // Someone else's report, for attaching or reading, does not exist for them.
            #expect(try await daemon.ctl(["evidence", "add", others, screenshot], asUser: "idt-rep1").status == 3)
            #expect(try await daemon.ctl(["evidence", "list", others], asUser: "idt-rep1").status == 3)
            // The manager sees both files, and the reporter's reads in the chain of custody.
            let all = try await daemon.ctl(["evidence", "list", own], asUser: "idt-mgr")
            #expect(all.stdout.contains("what-i-saw.png") && all.stdout.contains("mail-log.txt"), "\(all)")
            let chain = try await daemon.ctl(["evidence", "custody", own, "E1"], asUser: "idt-mgr")
            #expect(chain.stdout.contains("idt-rep1") && chain.stdout.contains("added"), "\(chain)")
        }
    }

    @Test func aReporterAddsFactsToTheirOwnOpenReportAndNothingElse() async throws {
        try await withSharedDaemon { daemon, database in
            let own = try reference(
                try await daemon.ctl(
                    [
                        "report", "--title", "Laptop left on a train", "--description", "d", "--data", "contact",
                        "--json",
                    ],
                    asUser: "idt-rep1"
                )
            )
            let others = try reference(
                try await daemon.ctl(["report", "--title", "B", "--description", "d", "--json"], asUser: "idt-rep2")
            )
            let noted = try await daemon.ctl(["note", own, "It was the 08:12 to Leeds."], asUser: "idt-rep1")
            #expect(noted.status == 0, "\(noted)")
            let added = try await daemon.ctl(
                [
                    "update", own, "--people", "40", "--data", "contact", "--data", "financial",
                    "--discovered", "2026-01-05T08:00:00Z", "--json",
                ],
                asUser: "idt-rep1"
            )
            #expect(added.status == 0, "\(added)")
            // The reply is the reporter's view: no tasks, no notes, no decisions.
            let reply = try #require(try JSONSerialization.jsonObject(with: Data(added.stdout.utf8)) as? [String: Any])
            #expect(reply["tasks"] == nil && reply["decisions"] == nil, "\(reply.keys.sorted())")

            for (arguments, expected) in [
                (["update", own, "--severity", "low"], "severity is for investigators"),
                (["update", own, "--people", "4"], "peopleAffected is already known"),
                (["update", own, "--data", "financial"], "not take any away"),
                (["task", "done", own, "acknowledge"], "only investigators and managers"),
            ] {
                let refused = try await daemon.ctl(arguments, asUser: "idt-rep1")
                #expect(refused.status == 4 && refused.stderr.contains(expected), "\(arguments): \(refused)")
            }
            // Someone else's report does not exist for them.
            #expect(try await daemon.ctl(["note", others, "mine now"], asUser: "idt-rep1").status == 3)
            #expect(try await daemon.ctl(["update", others, "--people", "1"], asUser: "idt-rep1").status == 3)

            let file =
                try JSONSerialization.jsonObject(
                    with: Data(try await daemon.ctl(["show", own, "--json"], asUser: "idt-mgr").stdout.utf8)
                ) as? [String: Any]
            let incident = try #require(file?["incident"] as? [String: Any])
            #expect(incident["peopleAffected"] as? Int == 40)
            #expect(incident["dataCategories"] as? [String] == ["contact", "financial"])
            #expect(incident["discovered"] as? String == "2026-01-05T08:00:00Z")
            #expect(incident["severity"] as? String == "untriaged", "nothing refused was stored")
            let timeline = try await daemon.ctl(["timeline", own, "--json"], asUser: "idt-mgr").stdout
            #expect(timeline.contains("It was the 08:12 to Leeds."), "the reporter's note is in the case file")

            #expect(
                try await daemon.ctl(
                    ["close", own, "--resolution", "found", "--lessons", "l", "--force", "returned by the railway"],
                    asUser: "idt-mgr"
                ).status == 0
            )
            let closed = try await daemon.ctl(["note", own, "one more thing"], asUser: "idt-rep1")
            #expect(closed.status == 4 && closed.stderr.contains("closed"), "\(closed)")
            let audit = try await daemon.ctl(
                ["audit", "--outcome", "denied", "--json", "--limit", "100"],
                asUser: "idt-aud"
            )
            let records = try #require(
                (try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])?["records"]
                    as? [[String: Any]],
                "\(audit)"
            )
            let refusedOwn = records.filter {
                $0["userName"] as? String == "idt-rep1" && $0["incident"] as? String == own
            }
            #expect(refusedOwn.count >= 5, "every refusal is audited: \(refusedOwn)")
            _ = database
        }
    }

    @Test func theSocketBelongsToTheConfiguredGroup() async throws {
        try await withSharedDaemon { daemon, _ in
            var info = stat()
            #expect(stat(daemon.socketPath, &info) == 0)
            let group = try #require(getgrgid(info.st_gid))
            #expect(String(cString: group.pointee.gr_name) == Self.clients)
            #expect(info.st_mode & 0o777 == 0o660)
        }
    }
}
