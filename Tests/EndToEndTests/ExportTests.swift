import Foundation
import Glibc
import TestSupport
import Testing

/// `incidentctl export`: a case file for a regulator, with personal data masked on request.
@Suite struct ExportTests {
    static let personal = ["Alice Example", "alice@example.com", "+49 30 1234567", "4111 1111 1111 1111", "Bob Marker"]

    /// A daemon where the test's user may do everything, with a directory for its files.
    func withExportDaemon(_ body: (DaemonProcess, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "iexport")
        defer { directory.remove() }
        let config = directory.appending("incidentd.yaml")
        try EncryptionEndToEndTests.roles.write(toFile: config, atomically: true, encoding: .utf8)
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in try await body(daemon, directory) }
    }

    /// Takes a case through triage into investigate and contains it, so its facts hold text too.
    func triageAndContain(
        _ daemon: DaemonProcess,
        _ reference: String,
        data: String,
        jurisdiction: String,
        containment: String
    ) async throws {
        #expect(try await daemon.ctl(["task", "done", reference, "acknowledge"]).status == 0)
        #expect(
            try await daemon.ctl([
                "task", "done", reference, "triage", "--set", "severity=high", "--set", "dataCategories=\(data)",
                "--set", "jurisdictions=\(jurisdiction)", "--set", "nis2Entity=false", "--set", "secRegistrant=false",
                "--set", "doraFinancialEntity=false", "--set", "ftcFinancialInstitution=false",
            ]).status == 0
        )
        #expect(try await daemon.ctl(["advance", reference]).status == 0)
        #expect(
            try await daemon.ctl(["task", "done", reference, "contain", "--set", "containment=\(containment)"]).status
                == 0
        )
    }

    @Test func aRedactedExportHasNoPersonalDataAndStillReadsAsACaseFile() async throws {
        try await withExportDaemon { daemon, directory in
            let filed = try await daemon.ctl([
                "report", "--title", "Card data of Alice Example e-mailed", "--people", "1", "--jurisdiction", "DE",
                "--description",
                "Alice Example (alice@example.com, +49 30 1234567) got card 4111 1111 1111 1111 by mistake.",
            ])
            let reference = try #require(filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
            #expect(try await daemon.ctl(["note", reference, "Called alice@example.com back"]).status == 0)
            try await triageAndContain(
                daemon,
                reference,
                data: "financial",
                jurisdiction: "DE",
                containment: "Bob Marker revoked the token"
            )

            let full = try await daemon.ctl(["export", reference])
            #expect(full.status == 0, "\(full)")
            for marker in Self.personal { #expect(full.stdout.contains(marker), "the unredacted export has \(marker)") }

            let redacted = try await daemon.ctl([
                "export", reference, "--redact", "--output", directory.appending("case.md"),
            ])
            #expect(redacted.status == 0, "\(redacted)")
            let document = try String(contentsOfFile: directory.appending("case.md"), encoding: .utf8)
            for marker in Self.personal {
                #expect(!document.contains(marker), "the redacted export has \(marker):\n\(document)")
            }
            for heading in [
                "# \(reference) —", "## Summary", "## Description", "## Facts", "## Tasks", "## Timeline",
                "| Severity | high |",
                "[email]", "[phone]", "[card or account number]", "[name]", "note.added", "task.completed",
            ] {
                #expect(document.contains(heading), "still a case file: \(heading)")
            }
            var status = stat()
            #expect(stat(directory.appending("case.md"), &status) == 0 && status.st_mode & 0o777 == 0o600)

            let json = try await daemon.ctl(["export", reference, "--redact", "--format", "json"])
            #expect(json.status == 0)
            for marker in Self.personal { #expect(!json.stdout.contains(marker)) }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["redacted"] as? Bool == true)
            #expect(
                ((object["caseFile"] as? [String: Any])?["incident"] as? [String: Any])?["reference"] as? String
                    == reference
            )

            let audit = try await daemon.ctl(["audit", "query", "--incident", reference, "--action", "Export"])
            #expect(
                audit.stdout.contains("not redacted") && audit.stdout.contains("markdown, redacted")
                    && audit.stdout.contains("json, redacted"),
                "\(audit)"
            )
        }
    }

    /// A Chinese case file: the people it names, in characters, pinyin and lower case, and
    /// their numbers, are masked in every section of both formats.
    @Test func aRedactedChineseCaseFileMasksNamesNumbersAndAddresses() async throws {
        let personal = [
            "王小明", "小明", "Wang Xiaoming", "wang xiaoming", "13800138000", "11010519491231002X", "6222020200001234567",
            "E12345678", "203.0.113.45", "wxm", "example",
        ]
        try await withExportDaemon { daemon, directory in
            let filed = try await daemon.ctl([
                "report", "--title", "客户资料误发", "--people", "1", "--jurisdiction", "CN",
                "--description", "客户王小明（手机13800138000，身份证11010519491231002X，银行卡6222020200001234567）的资料被误发。",
            ])
            let reference = try #require(filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
            for note in ["小明确认收到，护照号码E12345678", "wang xiaoming wrote from 203.0.113.45, wxm [at] example [dot] com"] {
                #expect(try await daemon.ctl(["note", reference, note]).status == 0)
            }
            try await triageAndContain(
                daemon,
                reference,
                data: "identity",
                jurisdiction: "CN",
                containment: "Wang Xiaoming deleted it"
            )

            let full = try await daemon.ctl(["export", reference])
            #expect(personal.allSatisfy(full.stdout.contains), "the unredacted export has them all: \(full)")
            for format in ["markdown", "json"] {
                let redacted = try await daemon.ctl(["export", reference, "--redact", "--format", format])
                #expect(redacted.status == 0, "\(redacted)")
                let leaked = personal.filter(redacted.stdout.contains)
                #expect(leaked.isEmpty, "the redacted \(format) export still has \(leaked):\n\(redacted.stdout)")
                #expect(
                    redacted.stdout.contains(reference) && redacted.stdout.contains("[ID number]"),
                    "still a case file"
                )
            }
        }
    }
}
