import Foundation
import IncidentCore
import IncidentProtocol
import TestSupport
import Testing
import Varlink

/// `incidentctl register`: the breach register GDPR Art. 33(5) asks for, from what the case
/// files hold; the CSV read back by Python's csv module field by field, every page audited.
@Suite struct RegisterTests {
    /// The runner holds every role, and the organisation a notice names is set.
    static func config(in directory: TemporaryDirectory) throws -> [String] {
        let config = directory.appending("incidentd.yaml")
        try
            (EncryptionEndToEndTests.roles
            + "\nprofile:\n  legalName: Example Shop GmbH\n  email: privacy@example.com\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        return ["--config", config]
    }

    /// Two incidents: one walked through to a late notification of the authority, with Chinese
    /// text, commas, quotes and a line break in its free text; one whose title a spreadsheet
    /// would run as a formula.
    static func fileTwo(_ daemon: DaemonProcess, directory: TemporaryDirectory) async throws -> [String] {
        let noticeFile = directory.appending("notice.txt")
        try "Dear BfDI,\nthe list went to partner B.\n".write(toFile: noticeFile, atomically: true, encoding: .utf8)
        let filed = try await daemon.ctl([
            "report", "--title", "客户名单误发给合作伙伴, \"B\" 公司", "--description", "d",
            "--category", "accidental_disclosure", "--data", "contact", "--people", "1200", "--jurisdiction", "DE",
            "--aware", "2026-01-05T08:00:00Z",
        ])
        #expect(filed.status == 0, "\(filed)")
        let first = try #require(filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
        for step in [
            ["task", "done", first, "acknowledge"],
            [
                "task", "done", first, "triage", "--set", "severity=high", "--set", "dataCategories=contact",
                "--set", "jurisdictions=DE", "--set", "nis2Entity=false", "--set", "secRegistrant=false", "--set",
                "doraFinancialEntity=false", "--set", "ftcFinancialInstitution=false",
            ],
            ["advance", first],
            ["task", "done", first, "contain", "--set", "containment=召回邮件, then\nrevoked the share"],
            [
                "task", "done", first, "scope", "--set", "peopleAffectedIn=DE:1100,FR:100", "--set",
                "peopleAffected=1200", "--set", "recordsAffected=1350",
            ],
            [
                "task", "done", first, "assess-notifiability", "--set", "notifiable=true", "--set", "highRisk=false",
                "--reason", "contact data of 1,200 customers; no financial data",
            ],
            [
                "task", "done", first, "root-cause", "--set", "rootCause=autocomplete picked the wrong \"B\"",
                "--set", "prevention=second check before external sends",
            ],
            ["approve", first],
            ["advance", first],
            ["update", first, "--set", "likelyConsequences=phishing"],
            [
                "task", "done", first, "gdpr-authority", "--recipient", "BfDI", "--channel", "portal",
                "--set", "regulatorReference=BfDI-2026-1", "--reason", "the count took a week",
                "--text-file", noticeFile, "--defer", "subjectCategories=being established",
            ],
        ] {
            let done = try await daemon.ctl(step)
            #expect(done.status == 0, "\(step): \(done)")
        }
        let second = try await daemon.ctl([
            "report", "--title", "=HYPERLINK(\"http://example.net\",\"open\")", "--description", "d",
            "--jurisdiction", "US",
        ])
        #expect(second.status == 0, "\(second)")
        let other = try #require(second.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
        return [first, other]
    }

    @Test func theCSVReadsBackFieldByFieldAsTheJSONSays() async throws {
        let directory = try TemporaryDirectory(prefix: "register")
        defer { directory.remove() }
        try await withDaemon(arguments: try Self.config(in: directory)) { daemon, _ in
            let references = try await Self.fileTwo(daemon, directory: directory)
            let json = try await daemon.ctl(["register", "--format", "json"])
            #expect(json.status == 0, "\(json)")
            struct Document: Decodable {
                var incidents: [RegisterEntry]
                var redacted: Bool
            }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let document = try decoder.decode(Document.self, from: Data(json.stdout.utf8))
            #expect(document.incidents.map(\.reference.rawValue) == references, "oldest first")
            let entry = try #require(document.incidents.first)
            #expect(entry.title == "客户名单误发给合作伙伴, \"B\" 公司")
            #expect(entry.peopleAffectedIn == ["DE": 1100, "FR": 100])
            #expect(entry.recordsAffected == 1350 && entry.contained != nil)
            #expect(entry.decisions.map(\.name).sorted() == ["highRisk", "notifiable"])
            #expect(entry.decisions.allSatisfy { $0.reason == "contact data of 1,200 customers; no financial data" })
            let notice = try #require(entry.notifications.first)
            #expect(notice.recipient == "BfDI" && notice.kind == .authority && notice.regime == "gdpr")
            #expect(notice.onTime == false && notice.lateReason == "the count took a week", "aware in January: late")
            #expect(entry.rootCause == "autocomplete picked the wrong \"B\"")
            // incidentctl shows control characters as symbols (␊), in files too: nothing it
            // writes can move a terminal's cursor.
            #expect(entry.containment == "召回邮件, then\u{240A}revoked the share")

            let csvFile = directory.appending("register.csv")
            let csv = try await daemon.ctl(["register", "--output", csvFile])
            #expect(csv.status == 0 && csv.stderr.contains("2 incidents"), "\(csv)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: csvFile))
            #expect(bytes.starts(with: [0xEF, 0xBB, 0xBF]), "a UTF-8 byte-order mark for Excel")
            var mode = stat()
            stat(csvFile, &mode)
            #expect(mode.st_mode & 0o777 == 0o600, "readable by its owner only")
            // Python's csv module, as a spreadsheet import would read it.
            let read = try await runCommand(
                "/usr/bin/python3",
                [
                    "-c",
                    """
                    import csv, json, sys
                    with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
                        print(json.dumps(list(csv.reader(f, strict=True))))
                    """,
                    csvFile,
                ]
            )
            #expect(read.status == 0, "\(read)")
            let rows = try JSONDecoder().decode([[String]].self, from: Data(read.stdout.utf8))
            #expect(rows.first == BreachRegister.columns, "the header row")
            #expect(rows.count == 3, "a row per incident: \(rows)")
            for (row, entry) in zip(rows.dropFirst(), document.incidents) {
                let expected = BreachRegister.cells(entry).map { cell in
                    cell.first.map { "=+-@".contains($0) } == true ? "'" + cell : cell
                }
                #expect(row == expected, "field by field")
            }
            #expect(rows.last?[1] == "'=HYPERLINK(\"http://example.net\",\"open\")", "a formula does not run")

            let markdown = try await daemon.ctl(["register", "--format", "markdown"])
            #expect(markdown.stdout.contains("| \(references[0]) | 客户名单误发给合作伙伴, \"B\" 公司 |"), "\(markdown)")

            // Every page read is in the audit trail, with the references it held.
            let audit = try await daemon.ctl(["audit", "query", "--action", "Register", "--json"])
            #expect(
                audit.stdout.contains("format csv, not redacted; 2 incidents: \(references.joined(separator: ", "))")
            )
        }
    }

    @Test func aRedactedRegisterMasksFreeTextAndPeople() async throws {
        try await withDaemon { daemon, _ in
            let filed = try await daemon.ctl([
                "report", "--title", "Mail to wang.li@example.cn went astray", "--description", "d",
            ])
            #expect(filed.status == 0)
            let redacted = try await daemon.ctl(["register", "--format", "json", "--redact"])
            #expect(redacted.status == 0, "\(redacted)")
            #expect(!redacted.stdout.contains("wang.li@example.cn"), "\(redacted.stdout)")
            #expect(redacted.stdout.contains("\"redacted\" : true"), "\(redacted.stdout)")
            let audit = try await daemon.ctl(["audit", "query", "--action", "Register", "--json"])
            #expect(audit.stdout.contains("format json, redacted"), "\(audit)")
        }
    }

    @Test func badPeriodsAreRefusedByNameAndAnEmptyOneIsAValidRegister() async throws {
        try await withDaemon { daemon, _ in
            let future = try await daemon.ctl(["register", "--since", "2999-01-01"])
            #expect(future.status == ExitStatus.usage.rawValue && future.stderr.contains("since"), "\(future)")
            let reversed = try await daemon.ctl(["register", "--since", "2026-02-01", "--until", "2026-01-01"])
            #expect(reversed.status == ExitStatus.usage.rawValue && reversed.stderr.contains("until"), "\(reversed)")
            let empty = try await daemon.ctl(["register", "--since", "2020-01-01", "--until", "2020-02-01"])
            #expect(empty.status == 0, "\(empty)")
            #expect(empty.stdout == "\u{FEFF}" + BreachRegister.columns.joined(separator: ",") + "\r\n")
            let markdown = try await daemon.ctl([
                "register", "--since", "2020-01-01", "--until", "2020-02-01", "--format", "markdown",
            ])
            #expect(markdown.stdout.contains("No incidents were reported in this period."), "\(markdown)")
        }
    }

    /// Paging: more incidents than one page holds all arrive, each once.
    @Test func aRegisterOfMorePagesThanOneHoldsEveryIncidentOnce() async throws {
        try await withDaemon { daemon, _ in
            var references: [String] = []
            for number in 1...5 {
                let filed = try await daemon.ctl(["report", "--title", "Case \(number)", "--description", "d"])
                if let reference = filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/) {
                    references.append(String(reference.output))
                }
            }
            var seen: [String] = []
            var after: String?
            repeat {
                var parameters: [String: JSONValue] = ["format": .string("json"), "limit": .integer(2)]
                if let after { parameters["after"] = .string(after) }
                let reply = try VarlinkClient(path: daemon.socketPath).call(
                    VarlinkCall(method: Methods.Incidents.register.name, parameters: parameters)
                )
                #expect(reply.error == nil, "\(reply)")
                let page = try reply.decode(IncidentsWire.RegisterReply.self)
                seen += page.entries.map(\.reference.rawValue)
                after = page.next?.rawValue
            } while after != nil
            #expect(seen == references)
        }
    }
}
