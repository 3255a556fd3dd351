import Foundation
import TestSupport
import Testing

/// The manual pages `make install` writes (scripts/man-pages.py): one per subcommand, named
/// as git's are, each with ENVIRONMENT, EXIT STATUS and SEE ALSO, examples kept as written,
/// and every page as a snapshot (Resources/man/), so a change is seen in review. Record again
/// with INCIDENTD_RECORD_SNAPSHOTS=1.
@Suite struct ManualTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/man")

    @Test func everySubcommandHasItsOwnPageAsGitDoes() async throws {
        let output = try TemporaryDirectory(prefix: "man")
        defer { output.remove() }
        let written = try await runCommand(
            "/usr/bin/env",
            [
                "SOURCE_DATE_EPOCH=1796256000", "python3",
                Self.repository.appendingPathComponent("scripts/man-pages.py").path,
                Binaries.directory.appendingPathComponent("generate-manual").path, Binaries.incidentctl, output.path,
            ]
        )
        #expect(written.status == 0, "\(written)")
        let pages = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        for expected in [
            "incidentctl.1", "incidentctl-report.1", "incidentctl-audit-query.1", "incidentctl-task-done.1",
        ] {
            #expect(pages.contains(expected), "\(expected) in \(pages)")
        }
        #expect(!pages.contains { $0.contains("incidentctl.") && $0 != "incidentctl.1" }, "no dotted names: \(pages)")
        let recording = ProcessInfo.processInfo.environment["INCIDENTD_RECORD_SNAPSHOTS"] == "1"
        if recording {
            try? FileManager.default.removeItem(at: Self.snapshots)
            try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
        }
        for page in pages {
            let text = try String(contentsOfFile: output.appending(page), encoding: .utf8)
            for section in [
                ".Sh ENVIRONMENT", ".Sh EXIT STATUS", ".Sh SEE ALSO", ".It Ev INCIDENTD_SOCKET", "Ev NO_COLOR",
            ] {
                #expect(text.contains(section), "\(page) has no \(section)")
            }
            let snapshot = Self.snapshots.appendingPathComponent(page)
            if recording {
                try text.write(to: snapshot, atomically: true, encoding: .utf8)
            } else {
                let expected = try? String(contentsOf: snapshot, encoding: .utf8)
                #expect(text == expected, "\(page) differs from its snapshot; record again if intended")
            }
        }
        if !recording {
            let recorded = try FileManager.default.contentsOfDirectory(atPath: Self.snapshots.path).sorted()
            #expect(recorded == pages, "a page was added or removed; record again")
        }
        // Rendered, an example stays on its own lines, as written.
        let report = try await runCommand(
            "/usr/bin/groff",
            ["-mandoc", "-Tutf8", "-P-cbou", "-rLL=100n", output.appending("incidentctl-report.1")]
        )
        #expect(report.status == 0, "\(report)")
        let lines = report.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("dlp-alert | incidentctl report --from-file -"), "\(report.stdout)")
        #expect(lines.contains { $0.hasPrefix("--description \"Rule 42 matched on mx1\"") }, "\(report.stdout)")
        #expect(report.stdout.contains("incidentctl-report — Report a data breach"))
        // groff finds nothing to warn about in any page.
        for page in pages {
            let checked = try await runCommand(
                "/usr/bin/groff",
                ["-mandoc", "-Tutf8", "-ww", "-z", output.appending(page)]
            )
            #expect(checked.status == 0 && checked.stderr.isEmpty, "\(page): \(checked.stderr)")
        }
    }
}
