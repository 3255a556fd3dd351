import Foundation
import Testing

@testable import IncidentCore

/// Each regime file, from given facts and instants: which tasks apply and when each falls due,
/// worked out by hand from the law (month ends, business days, thresholds).
@Suite struct RegimeTableTests {
    typealias W = WorkflowTests

    static func instant(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    /// The case: the incident's jurisdictions and data, facts captured, instants recorded.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var aware = "2026-03-02T09:00:00Z"  // a Monday
        var jurisdictions: [String]
        var data: [DataCategory] = [.identity]
        var people: Int64? = 100
        var facts: [String: FactValue] = [:]
        var instants: [String: String] = [:]
        /// task → "not_applicable", "possibly_owed", or the due instant of an owed task.
        var expected: [String: String]

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "GDPR: the authority 72 h after awareness (Art. 33)",
            jurisdictions: ["DE"],
            facts: ["notifiable": .bool(true)],
            expected: ["gdpr-authority": "2026-03-05T09:00:00Z", "uk-ico": "not_applicable"]
        ),
        Case(
            name: "NIS2: early warning 24 h, notification 72 h, final report a month after it (31 Jan → 28 Feb)",
            aware: "2026-01-30T10:00:00Z",
            jurisdictions: ["DE"],
            facts: ["nis2Entity": .bool(true), "significantIncident": .bool(true)],
            instants: ["nis2Notified": "2026-01-31T10:00:00Z"],
            expected: [
                "nis2-early-warning": "2026-01-31T10:00:00Z", "nis2-notification": "2026-02-02T10:00:00Z",
                "nis2-final-report": "2026-02-28T10:00:00Z", "nis2-final-after-handling": "possibly_owed",
            ]
        ),
        Case(
            name: "PIPL: the authority and the people immediately (24 h, our target)",
            jurisdictions: ["CN"],
            facts: ["piplHarmAvoided": .bool(false)],
            expected: ["pipl-notify": "2026-03-03T09:00:00Z", "pipl-individuals": "2026-03-03T09:00:00Z"]
        ),
        Case(
            name: "China: a critical-infrastructure operator's first report within 1 hour",
            jurisdictions: ["CN"],
            facts: [
                "cnIncidentLevel": .text("major"), "cnOperator": .text("criticalInfrastructure"),
                "cnCrimeSuspected": .bool(false),
            ],
            expected: [
                "cn-first-report-cii": "2026-03-02T10:00:00Z", "cn-first-report": "not_applicable",
                "cn-police": "not_applicable",
            ]
        ),
        Case(
            name: "Singapore: the Commission 3 days after the assessment",
            jurisdictions: ["SG"],
            people: 800,
            facts: ["significantHarm": .bool(false)],
            instants: ["sgAssessed": "2026-03-10T09:00:00Z"],
            expected: ["pdpa-commission": "2026-03-13T09:00:00Z"]
        ),
        Case(
            name: "UK GDPR: the ICO 72 h after awareness; no notice to people when encrypted",
            jurisdictions: ["GB"],
            facts: ["notifiable": .bool(true), "highRisk": .bool(true), "encrypted": .bool(true)],
            instants: ["assessed": "2026-03-03T09:00:00Z"],
            expected: ["uk-ico": "2026-03-05T09:00:00Z", "uk-data-subjects": "not_applicable"]
        ),
        Case(
            name: "UK GDPR: people on high risk, 72 h after the assessment (our target)",
            jurisdictions: ["GB"],
            facts: ["notifiable": .bool(true), "highRisk": .bool(true)],
            instants: ["assessed": "2026-03-03T09:00:00Z"],
            expected: ["uk-data-subjects": "2026-03-06T09:00:00Z", "gdpr-authority": "not_applicable"]
        ),
        Case(
            name: "Australia: the assessment within 30 days, the OAIC 72 h after it (our target)",
            jurisdictions: ["AU"],
            facts: ["auEligibleBreach": .bool(true)],
            instants: ["auAssessed": "2026-03-10T12:00:00Z"],
            expected: [
                "au-assessment": "2026-04-01T09:00:00Z", "au-oaic": "2026-03-13T12:00:00Z",
                "au-individuals": "2026-03-13T12:00:00Z",
            ]
        ),
        Case(
            name: "Australia: not eligible, nothing to notify",
            jurisdictions: ["AU"],
            facts: ["auEligibleBreach": .bool(false)],
            expected: ["au-oaic": "not_applicable", "au-individuals": "not_applicable"]
        ),
        Case(
            name: "Japan: a wrongful act, the final report in 60 days (1 May), not 30",
            jurisdictions: ["JP"],
            facts: ["jpReportable": .bool(true), "jpWrongfulPurpose": .bool(true)],
            expected: [
                "jp-preliminary": "2026-03-05T09:00:00Z", "jp-final": "not_applicable",
                "jp-final-wrongful": "2026-05-01T09:00:00Z",
            ]
        ),
        Case(
            name: "Japan: undecided, the reports are possibly owed",
            jurisdictions: ["JP"],
            expected: ["jp-assessment": "2026-03-04T09:00:00Z", "jp-preliminary": "possibly_owed"]
        ),
        Case(
            name: "Brazil: 3 business days skip Good Friday (3 April 2026) and the weekend",
            aware: "2026-04-02T09:00:00Z",
            jurisdictions: ["BR"],
            facts: ["brRelevantRisk": .bool(true)],
            expected: ["br-anpd": "2026-04-08T09:00:00Z", "br-data-subjects": "2026-04-08T09:00:00Z"]
        ),
        Case(
            name: "DORA: initial 4 h after classification, intermediate 72 h after it, final a month later (clamped)",
            jurisdictions: ["DE"],
            facts: ["doraFinancialEntity": .bool(true), "doraMajor": .bool(true)],
            instants: [
                "doraClassified": "2026-03-02T15:00:00Z", "doraInitialSent": "2026-03-02T18:00:00Z",
                "doraIntermediateSent": "2026-03-31T10:00:00Z",
            ],
            expected: [
                "dora-classify": "2026-03-03T05:00:00Z", "dora-initial": "2026-03-02T19:00:00Z",
                "dora-intermediate": "2026-03-05T18:00:00Z", "dora-final": "2026-04-30T10:00:00Z",
            ]
        ),
        Case(
            name: "DORA: not a financial entity, no clock",
            jurisdictions: ["FR"],
            facts: ["doraFinancialEntity": .bool(false)],
            expected: ["dora-classify": "not_applicable", "dora-initial": "not_applicable"]
        ),
        Case(
            name: "FTC: 500 consumers in the US, 30 days after discovery",
            jurisdictions: ["US"],
            data: [.financial],
            people: 500,
            facts: [
                "ftcFinancialInstitution": .bool(true), "peopleAffectedIn": .counts(["US-CA": 300, "US-NY": 200]),
            ],
            expected: ["ftc-notice": "2026-04-01T09:00:00Z"]
        ),
        Case(
            name: "FTC: 499 consumers, nothing owed",
            jurisdictions: ["US"],
            data: [.financial],
            people: 499,
            facts: ["ftcFinancialInstitution": .bool(true), "peopleAffectedIn": .counts(["US-CA": 499])],
            expected: ["ftc-notice": "not_applicable"]
        ),
        Case(
            name: "Vermont: the Attorney General 14 business days after discovery",
            jurisdictions: ["US"],
            people: 40,
            facts: ["peopleAffectedIn": .counts(["US-VT": 3, "US-NY": 37])],
            expected: [
                "vt-attorney-general": "2026-03-20T09:00:00Z", "ca-attorney-general": "not_applicable",
                "us-state-residents": "2026-04-01T09:00:00Z",
            ]
        ),
        Case(
            name: "EEA: Norway is GDPR's; no US state clock for a European breach",
            jurisdictions: ["NO"],
            people: nil,
            facts: ["notifiable": .bool(true)],
            expected: [
                "gdpr-authority": "2026-03-05T09:00:00Z", "ca-attorney-general": "not_applicable",
                "vt-attorney-general": "not_applicable",
            ]
        ),
        Case(
            name: "HIPAA: under 500, the annual log 60 days after the year ends (1 March 2027)",
            jurisdictions: ["US"],
            data: [.health],
            people: 300,
            facts: [
                "hipaaCoveredEntity": .bool(true), "hipaaLowProbability": .bool(false),
                "peopleAffectedIn": .counts(["US-CA": 300]),
            ],
            expected: [
                "hipaa-hhs-annual-log": "2027-03-01T23:59:59Z", "hipaa-hhs": "not_applicable",
                "hipaa-individuals": "2026-05-01T09:00:00Z",
            ]
        ),
        Case(
            name: "HIPAA: the annual log in a leap year ends 29 February",
            aware: "2027-06-01T09:00:00Z",
            jurisdictions: ["US"],
            data: [.health],
            people: 20,
            facts: [
                "hipaaCoveredEntity": .bool(true), "hipaaLowProbability": .bool(false),
                "peopleAffectedIn": .counts(["US-TX": 20]),
            ],
            expected: ["hipaa-hhs-annual-log": "2028-02-29T23:59:59Z"]
        ),
        Case(
            name: "HIPAA: a business associate tells the covered entity within 60 days",
            jurisdictions: ["US"],
            data: [.health],
            people: 900,
            facts: [
                "hipaaCoveredEntity": .bool(false), "hipaaBusinessAssociate": .bool(true),
                "hipaaLowProbability": .bool(false),
            ],
            expected: ["hipaa-covered-entity-notice": "2026-05-01T09:00:00Z", "hipaa-individuals": "not_applicable"]
        ),
        // Thursday 2 July 2026; Friday 3 July is Independence Day observed (the 4th is a Saturday).
        Case(
            name: "SEC: the 8-K/A four business days after the missing information is available",
            jurisdictions: ["US"],
            facts: ["secRegistrant": .bool(true), "material": .bool(true), "secInformationPending": .bool(true)],
            instants: ["secInformationAvailable": "2026-07-02T15:00:00Z"],
            expected: ["sec-8k-amendment": "2026-07-09T15:00:00Z"]
        ),
        Case(
            name: "NIS2: ongoing at the final report, the final one a month after handling ends",
            jurisdictions: ["DE"],
            facts: ["nis2Entity": .bool(true), "significantIncident": .bool(true), "nis2Ongoing": .bool(true)],
            instants: ["nis2Notified": "2026-03-04T09:00:00Z", "nis2HandlingEnded": "2026-05-31T12:00:00Z"],
            expected: [
                "nis2-final-report": "2026-04-04T09:00:00Z", "nis2-final-after-handling": "2026-06-30T12:00:00Z",
            ]
        ),
        Case(
            name: "One jurisdiction: its people are all there before a breakdown (US 300: no FTC notice)",
            jurisdictions: ["US"],
            data: [.financial],
            people: 300,
            facts: ["ftcFinancialInstitution": .bool(true)],
            expected: ["ftc-notice": "not_applicable"]
        ),
        Case(
            name: "India: CERT-In 6 hours after noticing",
            jurisdictions: ["IN"],
            expected: ["in-cert-in": "2026-03-02T15:00:00Z"]
        ),
        Case(
            name: "Canada: no real risk of significant harm, nothing to report but the record",
            jurisdictions: ["CA"],
            facts: ["caRealRisk": .bool(false)],
            expected: [
                "ca-assessment": "2026-03-05T09:00:00Z", "ca-commissioner": "not_applicable",
                "ca-individuals": "not_applicable",
            ]
        ),
        Case(
            name: "HIPAA: encrypted PHI is secured, no notice",
            jurisdictions: ["US"],
            data: [.health],
            people: 800,
            facts: ["hipaaCoveredEntity": .bool(true), "hipaaLowProbability": .bool(false), "encrypted": .bool(true)],
            expected: ["hipaa-individuals": "not_applicable", "hipaa-hhs": "not_applicable"]
        ),
    ]

    @Test(arguments: cases)
    func eachRegimeOpensItsTasksWhenTheLawSays(_ example: Case) throws {
        let aware = Self.instant(example.aware)
        var incident = W.incident(jurisdictions: example.jurisdictions, people: example.people, data: example.data)
        incident.aware = aware
        incident.reported = aware.addingTimeInterval(1800)
        var state = try W.started(incident)
        for (name, value) in example.facts { state.facts.values[name] = value }
        for (name, text) in example.instants { state.facts.instants[name] = Self.instant(text) }
        state = Workflow.evaluate(state, playbook: W.breach, now: aware)
        for (task, expected) in example.expected.sorted(by: { $0.key < $1.key }) {
            let found = try #require(state.task(task), "\(task) exists from the report on")
            switch expected {
            case "not_applicable", "possibly_owed":
                #expect(found.status.rawValue == expected, "\(task)")
            default:
                #expect(found.status == .open, "\(task): \(found.status)")
                #expect(found.due == Self.instant(expected), "\(task): due \(String(describing: found.due))")
            }
        }
    }

    /// A clock that waits on a fact nobody can give would stay possibly owed forever: every
    /// fact an obligation of a shipped playbook waits on is built in or captured by one of its tasks.
    @Test(arguments: WorkflowTests.playbooks.map(\.name))
    func everyFactAnObligationWaitsOnCanBeGiven(_ name: String) throws {
        let playbook = try #require(WorkflowTests.playbooks.first { $0.name == name })
        let builtIn = Set(FieldDeclaration.builtIn.map(\.name))
        let captured = Set(playbook.allTasks.flatMap(\.captures))
        for task in playbook.allTasks where task.isObligation {
            for fact in task.when?.undecided(CaseFacts()) ?? [] {
                let field = String(fact.prefix { $0 != "." })  // peopleAffectedIn.US is one count of peopleAffectedIn
                #expect(
                    builtIn.contains(field) || captured.contains(field),
                    "\(name): \(task.id) waits on \(fact), which no task captures"
                )
            }
        }
        #expect(playbook.regimes.count == 16, "\(name) includes every shipped regime")
    }
}
