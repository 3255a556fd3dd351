import Foundation
import Testing

@testable import IncidentCore

/// Each law in one regime file, included by the playbooks it applies to, and pinned into
/// the playbook version's digest so an incident keeps the law as it stood when it started.
@Suite struct RegimeIncludeTests {
    static let playbook = """
        playbook: p
        version: "1"
        title: P
        default: true
        include: [law]
        fields:
          notifiable: {type: boolean, decision: true}
        phases:
          report:
            tasks:
              - {id: triage, title: Triage, role: investigator, captures: [notifiable]}

        """
    static let regime = """
        regime: law
        title: A law
        reviewed: 2026-12-01
        sources:
          - {cite: "Art. 1", url: "https://example.org/law"}
        fields:
          notifiable: {type: boolean, decision: true}
        tasks:
          notify:
            - {id: tell, title: Tell the authority, role: manager, when: {notifiable: true}, due: 72h after aware, notification: authority}

        """

    func load(
        _ playbook: String = playbook,
        regimes: [String: String] = ["law": regime]
    ) -> Result<Playbook, PlaybookSetError> {
        let (bundled, problems) = PlaybookLoader.bundle(playbook, file: "/p/p.yaml") { name in
            regimes[name].map { ("/p/regimes/\(name).yaml", $0) }
        }
        guard problems.isEmpty else { return .failure(PlaybookSetError(problems: problems)) }
        return PlaybookLoader.load(bundled, file: "/p/p.yaml")
    }

    func problems(_ result: Result<Playbook, PlaybookSetError>) -> [String] {
        guard case .failure(let error) = result else { return [] }
        return error.problems.map(\.description)
    }

    @Test func aRegimesTasksJoinThePlaybookAndItsTextThePinnedSource() throws {
        let playbook = try load().get()
        #expect(playbook.allTasks.map(\.id) == ["triage", "tell"])
        #expect(playbook.task("tell")?.isObligation == true)
        #expect(playbook.source.contains("regime: law"), "the stored source carries the regime")
        // The stored source loads again without any file, to the same playbook.
        let again = try PlaybookLoader.load(playbook.source, file: "stored").get()
        #expect(again.allTasks.map(\.id) == playbook.allTasks.map(\.id))
        #expect(again.digest == playbook.digest)
        // A change to the law is a new version of the playbook.
        let amended = try load(regimes: ["law": Self.regime.replacingOccurrences(of: "72h", with: "48h")]).get()
        #expect(amended.digest != playbook.digest)
        // The same files installed elsewhere are the same version.
        let (elsewhere, _) = PlaybookLoader.bundle(Self.playbook, file: "/etc/incidentd/playbooks/p.yaml") { name in
            ("/etc/incidentd/playbooks/regimes/\(name).yaml", Self.regime)
        }
        #expect(
            try PlaybookLoader.load(elsewhere, file: "/etc/incidentd/playbooks/p.yaml").get().digest == playbook.digest
        )
    }

    @Test func aRegimeDeclaresTheDelaysItsLawAllowsAndItsTasksKnowTheirRegime() throws {
        let playbook = try load(regimes: [
            "law": Self.regime.replacingOccurrences(
                of: "tasks:",
                with:
                    "pauses:\n  - {basis: police-written, cap: stated, cite: s. 1}\n  - {basis: police-oral, cap: 30d, cite: s. 2, tasks: [tell]}\ntasks:"
            )
        ]).get()
        #expect(
            playbook.regimes == [
                RegimeSummary(
                    name: "law",
                    title: "A law",
                    pauses: [
                        PauseRule(basis: "police-written", cap: .stated, cite: "s. 1"),
                        PauseRule(
                            basis: "police-oral",
                            cap: .atMost(ClockDuration(parsing: "30d")!),
                            cite: "s. 2",
                            tasks: ["tell"]
                        ),
                    ]
                )
            ]
        )
        #expect(playbook.task("tell")?.regime == "law")
        #expect(playbook.task("triage")?.regime == nil)
        #expect(try load().get().regimes[0].pauses.isEmpty, "no pauses: the law allows no delay")
    }

    @Test func aMissingRegimeIsNamed() {
        let found = problems(load(regimes: [:]))
        #expect(
            found.count == 1 && found[0].contains("/p/p.yaml:5") && found[0].contains("regimes/law.yaml"),
            "\(found)"
        )
    }

    @Test(arguments: [
        ("reviewed: 2026-12-01\n", "", "the regime has no 'reviewed' date"),
        ("reviewed: 2026-12-01", "reviewed: last year", "reviewed must be the date"),
        ("sources:\n  - {cite: \"Art. 1\", url: \"https://example.org/law\"}\n", "", "the regime needs 'sources'"),
        ("regime: law", "regime: other", "must be named 'law'"),
        ("tasks:", "include: [more]\ntasks:", "a regime may not include another"),
        ("{id: tell,", "{id: triage,", "task id 'triage' of regime law is already a task"),
        (
            "notifiable: {type: boolean, decision: true}\ntasks", "notifiable: {type: text}\ntasks",
            "is declared differently"
        ),
        ("tasks:", "pauses: {basis: police}\ntasks:", "pauses must be a list"),
        ("tasks:", "pauses: [{basis: Police, cap: 30d, cite: s. 1}]\ntasks:", "a pause needs a 'basis' of lower-case"),
        ("tasks:", "pauses: [{basis: police, cap: a while, cite: s. 1}]\ntasks:", "pause 'police' needs a 'cap'"),
        ("tasks:", "pauses: [{basis: police, cap: 30d}]\ntasks:", "pause 'police' needs 'cite'"),
        (
            "tasks:", "pauses: [{basis: police, cap: open, cite: s. 1}, {basis: police, cap: 30d, cite: s. 2}]\ntasks:",
            "listed twice"
        ),
        (
            "tasks:", "pauses: [{basis: police, cap: open, cite: s. 1, tasks: [shout]}]\ntasks:",
            "names task 'shout', which is not a task of regime law"
        ),
    ])
    func aBadRegimeIsRefusedInItsOwnFile(find: String, replace: String, message: String) {
        let found = problems(load(regimes: ["law": Self.regime.replacingOccurrences(of: find, with: replace)]))
        #expect(found.contains { $0.hasPrefix("/p/regimes/law.yaml:") && $0.contains(message) }, "\(found)")
    }

    @Test func theShippedRegimesEachCiteTheirSourcesAndReviewDate() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks/regimes")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
        #expect(names.count >= 8, "\(names)")
        for name in names {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            #expect(text.contains("reviewed: 20") && text.contains("url: http"), "\(name)")
        }
        let breach = try #require(WorkflowTests.playbooks.first { $0.name == "customer-data-breach" })
        for name in names {
            #expect(breach.source.contains("regime: \(name.dropLast(5))\n"), "the default playbook includes \(name)")
        }
    }
}
