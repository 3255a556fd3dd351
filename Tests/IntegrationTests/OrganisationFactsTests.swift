import Foundation
import IncidentCore
import Testing

@testable import IncidentDaemon

/// `organisation` in the configuration: facts that hold for every incident (a NIS2 entity, an
/// SEC registrant) settle the clocks that wait on them from the report on.
@Suite struct OrganisationFactsTests {
    static let playbooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("playbooks")

    func parse(_ text: String) throws(ConfigurationError) -> Configuration { try parseConfiguration(text) }

    @Test func organisationFactsSettleTheClocksThatWaitOnThemAndNeedNotBeCapturedAgain() throws {
        let configuration = try parse(
            """
            organisation:
              nis2Entity: true
              secRegistrant: false
              doraFinancialEntity: false
              ftcFinancialInstitution: false
            """
        )
        #expect(
            configuration.organisation == [
                "nis2Entity": "true", "secRegistrant": "false", "doraFinancialEntity": "false",
                "ftcFinancialInstitution": "false",
            ]
        )
        let registry = try PlaybookRegistry(directory: Self.playbooks, organisation: configuration.organisation)
        let breach = try #require(registry.current.first { $0.name == "customer-data-breach" })
        #expect(
            breach.presetFacts == [
                "nis2Entity": .bool(true), "secRegistrant": .bool(false), "doraFinancialEntity": .bool(false),
                "ftcFinancialInstitution": .bool(false),
            ]
        )
        let now = Date()
        let incident = Incident(
            reference: IncidentReference(year: 2026, number: 1),
            title: "t",
            description: "d",
            phase: .report,
            severity: .high,
            category: nil,
            dataCategories: [.contact],
            peopleAffected: 10,
            recordsAffected: nil,
            jurisdictions: [Jurisdiction(rawValue: "DE")!],
            reporter: .init(uid: 1, name: "r"),
            assignee: nil,
            restricted: false,
            reported: now,
            aware: now,
            discovered: nil,
            phaseEntered: now,
            closed: nil,
            version: 1
        )
        let started = try Workflow.apply(
            .start,
            to: CaseState(facts: CaseFacts(incident: incident)),
            playbook: breach,
            actor: "mia",
            now: now
        ).get().0
        #expect(started.task("materiality")?.status == .notApplicable, "not a registrant: no SEC clock")
        #expect(started.task("dora-classify")?.status == .notApplicable, "not a financial entity: no DORA clock")
        #expect(
            started.task("nis2-early-warning")?.undecided == ["significantIncident"],
            "only the incident's own fact is left"
        )
        // Triage no longer asks for what the organisation said.
        let triaged = Workflow.apply(
            .completeTask(
                id: "triage",
                captures: [
                    "severity": .text("high"), "dataCategories": .set(["contact"]), "jurisdictions": .set(["DE"]),
                ],
                reason: nil,
                notification: nil
            ),
            to: started,
            playbook: breach,
            actor: "mia",
            now: now
        )
        if case .failure(let refusal) = triaged { Issue.record("triage refused: \(refusal)") }
    }

    @Test(arguments: [
        ("organisation:\n  nis2Entyty: true\n", "the organisation fact nis2Entyty is a field of no playbook"),
        ("organisation:\n  nis2Entity: maybe\n", "the organisation fact nis2Entity: maybe is not a value of its field"),
    ])
    func aMistakeInTheOrganisationsFactsStopsTheStart(text: String, message: String) throws {
        let configuration = try parse(text)
        do {
            _ = try PlaybookRegistry(directory: Self.playbooks, organisation: configuration.organisation)
            Issue.record("the registry took \(text)")
        } catch {
            #expect(error.problems.contains { $0.message.contains(message) }, "\(error.problems)")
        }
    }

    @Test func organisationMustBeAMappingOfFacts() {
        #expect(throws: ConfigurationError.self) { try parse("organisation: [nis2Entity]\n") }
    }
}
