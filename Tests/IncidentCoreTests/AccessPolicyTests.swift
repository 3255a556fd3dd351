import Testing

@testable import IncidentCore

@Suite struct AccessPolicyTests {
    static let alice = Caller(uid: 1001, gid: 1001, pid: 1, userName: "alice")

    static func principal(_ roles: Set<Role>) -> Principal { Principal(caller: alice, roles: roles) }

    /// Someone else's unrestricted, unassigned incident.
    static let othersIncident = IncidentAccessFacts(reporterUID: 2002, assignee: nil, restricted: false)

    /// What each single role may do to `othersIncident`: the whole table, every action × role.
    static let table: [Action: Set<Role>] = [
        .report: [.reporter, .investigator, .manager, .admin],
        .readIncident: [.investigator, .manager, .auditor, .admin],
        .listIncidents: Set(Role.allCases),
        .status: Set(Role.allCases),
        .queryAudit: [.auditor, .admin],
        .verifyAudit: [.auditor, .admin],
        .updateIncident: [.investigator, .manager],
        .assign: [.manager],
        .restrict: [.manager],
        .addNote: [.investigator, .manager],
        .addEvidence: [.investigator, .manager],
        .completeTask: [.investigator, .manager],
        .approveGate: [.manager],
        .advance: [.investigator, .manager],
        .close: [.manager],
        .reopen: [.manager],
        .pauseClock: [.manager],
        .reloadPlaybooks: [.admin],
        .retryHook: [.admin],
        .readHookDeliveries: [.auditor, .admin],
        .purge: [.admin],
    ]

    @Test func theTableCoversEveryAction() {
        #expect(Set(Self.table.keys) == Set(Action.allCases))
    }

    @Test(arguments: Action.allCases, Role.allCases)
    func everyActionAgainstEveryRole(action: Action, role: Role) {
        let decision = AccessPolicy.decide(
            Self.principal([role]),
            action,
            incident: action.concernsIncident ? Self.othersIncident : nil
        )
        let expected = Self.table[action]!.contains(role)
        #expect(decision.isAllowed == expected, "\(role) \(action): \(decision)")
    }

    @Test func auditorsChangeNothing() {
        for action in Action.allCases where action.isChange {
            #expect(
                !AccessPolicy.decide(Self.principal([.auditor]), action, incident: Self.othersIncident).isAllowed,
                "\(action)"
            )
        }
    }

    @Test func noRolesMeansNothing() {
        for action in Action.allCases {
            let decision = AccessPolicy.decide(Self.principal([]), action, incident: Self.othersIncident)
            #expect(decision == .deny(reason: "you have no incidentd role"))
        }
    }

    @Test func reportersSeeOnlyTheirOwnAndOnlyTheReporterView() {
        let own = IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: nil, restricted: false)
        #expect(AccessPolicy.decide(Self.principal([.reporter]), .readIncident, incident: own) == .allow(.reporter))
        #expect(
            !AccessPolicy.decide(Self.principal([.reporter]), .readIncident, incident: Self.othersIncident).isAllowed
        )
        #expect(AccessPolicy.decide(Self.principal([.reporter]), .addNote, incident: own) == .allow(.reporter))
    }

    @Test func restrictedIncidentsAreForAssigneesManagersAndAuditors() {
        let restricted = IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: "bob", restricted: true)
        let assignedToAlice = IncidentAccessFacts(reporterUID: 2002, assignee: "alice", restricted: true)
        #expect(
            !AccessPolicy.decide(Self.principal([.reporter]), .readIncident, incident: restricted).isAllowed,
            "not even its reporter"
        )
        #expect(!AccessPolicy.decide(Self.principal([.investigator]), .readIncident, incident: restricted).isAllowed)
        #expect(
            AccessPolicy.decide(Self.principal([.investigator]), .readIncident, incident: assignedToAlice)
                == .allow(.full)
        )
        #expect(AccessPolicy.decide(Self.principal([.investigator]), .addNote, incident: assignedToAlice).isAllowed)
        #expect(!AccessPolicy.decide(Self.principal([.investigator]), .addNote, incident: restricted).isAllowed)
        #expect(AccessPolicy.decide(Self.principal([.manager]), .readIncident, incident: restricted) == .allow(.full))
        #expect(AccessPolicy.decide(Self.principal([.auditor]), .readIncident, incident: restricted) == .allow(.full))
        #expect(!AccessPolicy.decide(Self.principal([.admin]), .readIncident, incident: restricted).isAllowed)
        #expect(AccessPolicy.decide(Self.principal([.admin, .manager]), .readIncident, incident: restricted).isAllowed)
    }

    @Test func incidentActionsNeedAnIncident() {
        #expect(!AccessPolicy.decide(Self.principal([.manager]), .readIncident).isAllowed)
    }

    /// Lists and counts show exactly what Get would: the scope and the decision agree on
    /// every combination of role set and incident facts.
    @Test func visibilityAgreesWithReadDecisions() {
        let facts: [IncidentAccessFacts] = [
            IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: nil, restricted: false),
            IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: "alice", restricted: true),
            IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: "bob", restricted: true),
            IncidentAccessFacts(reporterUID: 2002, assignee: nil, restricted: false),
            IncidentAccessFacts(reporterUID: 2002, assignee: "alice", restricted: false),
            IncidentAccessFacts(reporterUID: 2002, assignee: "alice", restricted: true),
            IncidentAccessFacts(reporterUID: 2002, assignee: nil, restricted: true),
        ]
        let roles = Role.allCases
        for mask in 0..<(1 << roles.count) {
            let set = Set(roles.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
            let principal = Self.principal(set)
            let scope = AccessPolicy.visibility(of: principal)
            for incident in facts {
                let decision = AccessPolicy.decide(principal, .readIncident, incident: incident)
                #expect(scope.contains(incident) == decision.isAllowed, "\(set.sorted()) \(incident)")
            }
        }
    }

    @Test func defaultRoleAssignments() {
        let assignments = RoleAssignments.defaults
        #expect(assignments.roles(for: Caller(uid: 0, gid: 0, pid: 1, userName: "root")) == [.reporter, .admin])
        #expect(assignments.roles(for: Caller(uid: 5, gid: 5, pid: 1, userName: "eve")) == [.reporter])
        #expect(
            assignments.roles(for: Caller(uid: 7, gid: 7, pid: 1)) == [.reporter],
            "a uid without a name still reports"
        )
        let manager = Caller(
            uid: 6,
            gid: 6,
            pid: 1,
            userName: "mia",
            groups: ["staff", "incidentd-managers", "incidentd-auditors"]
        )
        #expect(assignments.roles(for: manager) == [.reporter, .manager, .auditor])
        var closed = assignments
        closed.anyoneMayReport = false
        #expect(closed.roles(for: Caller(uid: 5, gid: 5, pid: 1, userName: "eve")).isEmpty)
        closed.users["eve"] = [.investigator]
        #expect(closed.roles(for: Caller(uid: 5, gid: 5, pid: 1, userName: "eve")) == [.investigator])
    }

    /// A reporter adds what they know to their own open report, in the reporter view; they
    /// never work the case, nor touch anyone else's or a closed one.
    @Test func reportersAddNotesFactsAndEvidenceToTheirOwnOpenReportOnly() {
        let reporter = Self.principal([.reporter])
        let own = IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: "bob", restricted: false)
        for action in [Action.updateIncident, .addNote, .addEvidence] {
            #expect(AccessPolicy.decide(reporter, action, incident: own) == .allow(.reporter), "\(action)")
            for (facts, why) in [
                (Self.othersIncident, "someone else's"),
                (IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: nil, restricted: true), "restricted"),
                (
                    IncidentAccessFacts(reporterUID: Self.alice.uid, assignee: nil, restricted: false, closed: true),
                    "closed"
                ),
            ] {
                #expect(!AccessPolicy.decide(reporter, action, incident: facts).isAllowed, "\(action) on \(why)")
            }
        }
        for action in Action.allCases
        where action.isChange && ![.updateIncident, .addNote, .addEvidence, .report].contains(action) {
            #expect(!AccessPolicy.decide(reporter, action, incident: own).isAllowed, "\(action)")
        }
        // An investigator who also reports works the case in full.
        #expect(
            AccessPolicy.decide(Self.principal([.reporter, .investigator]), .updateIncident, incident: own)
                == .allow(.full)
        )
    }

    @Test func aReporterAddsUnknownCountsAndCategoriesButChangesNothingDecided() {
        var incident = WorkflowTests.incident(jurisdictions: ["DE"], people: nil, data: [.contact])
        let facts = CaseFacts(incident: incident)
        func refusal(_ values: [String: FactValue]) -> String? {
            AccessPolicy.reporterUpdateRefusal(values, of: incident, facts: facts)
        }
        #expect(refusal(["peopleAffected": .number(40), "dataCategories": .set(["contact", "financial"])]) == nil)
        #expect(refusal([CaseFacts.discovered: .instant(WorkflowTests.aware)]) == nil)
        #expect(refusal(["peopleAffectedIn": .counts(["DE": 40])]) == nil)
        #expect(refusal(["severity": .text("low")])?.contains("severity is for investigators") == true)
        #expect(refusal(["likelyConsequences": .text("x")])?.contains("is for investigators") == true)
        #expect(refusal(["dataCategories": .set(["financial"])])?.contains("not take any away") == true)
        incident.peopleAffected = 1200
        incident.discovered = WorkflowTests.aware
        #expect(
            refusal(["peopleAffected": .number(40)])
                == "peopleAffected is already known; ask an investigator to change it"
        )
        #expect(refusal([CaseFacts.discovered: .instant(WorkflowTests.aware)])?.contains("already known") == true)
    }
}
