import Foundation
import Testing

@testable import IncidentCore

/// Legal clocks run from their trigger in any phase, and an unknown fact never silently
/// drops an obligation.
@Suite struct LegalClockTests {
    typealias W = WorkflowTests

    @Test(arguments: [
        // (notifiable, highRisk) → all / any / not notifiable
        (nil, nil, Truth.unknown, Truth.unknown, Truth.unknown),
        (true, nil, .unknown, .true, .false),
        (false, nil, .false, .unknown, .true),
        (true, true, .true, .true, .false),
        (false, false, .false, .false, .true),
        (nil, false, .false, .unknown, .unknown),
    ])
    func conditionsFollowKleenesLogic(notifiable: Bool?, highRisk: Bool?, all: Truth, any: Truth, not: Truth) {
        var facts = CaseFacts()
        if let notifiable { facts.values["notifiable"] = .bool(notifiable) }
        if let highRisk { facts.values["highRisk"] = .bool(highRisk) }
        let isNotifiable = Condition.isBool(field: "notifiable", value: true)
        let isHighRisk = Condition.isBool(field: "highRisk", value: true)
        #expect(Condition.all([isNotifiable, isHighRisk]).evaluate(facts) == all)
        #expect(Condition.any([isNotifiable, isHighRisk]).evaluate(facts) == any)
        #expect(Condition.not(isNotifiable).evaluate(facts) == not)
        let undecided = Condition.all([isNotifiable, isHighRisk]).undecided(facts)
        #expect(
            undecided
                == (all == .unknown
                    ? ["notifiable", "highRisk"].filter { name in
                        (name == "notifiable" ? notifiable : highRisk) == nil
                    } : [])
        )
    }

    @Test(arguments: [
        (Condition.atLeast(field: "peopleAffected", value: 500), Truth.unknown),
        (Condition.below(field: "peopleAffected", value: 500), Truth.unknown),
        (Condition.known(field: "peopleAffected"), Truth.false),
        (Condition.anyCountAtLeast(field: "peopleAffectedIn", value: 500, within: "US"), Truth.unknown),
        (Condition.isIn(field: "category", values: ["phishing"]), Truth.unknown),
    ])
    func aComparisonOnAFactNotYetCapturedIsUnknown(condition: Condition, expected: Truth) {
        #expect(condition.evaluate(CaseFacts()) == expected)
    }

    /// GDPR Art. 33(4) expects phased notification: the authority can be told during
    /// investigate, as soon as the breach is known to be notifiable.
    @Test func theAuthorityCanBeNotifiedDuringInvestigation() throws {
        var state = try W.started(W.incident(jurisdictions: ["DE"], people: 1200))
        state = try W.run(
            [
                .completeTask(id: "acknowledge", captures: [:], reason: nil, notification: nil),
                .completeTask(
                    id: "triage",
                    captures: [
                        "severity": .text("high"), "dataCategories": .set(["contact"]), "jurisdictions": .set(["DE"]),
                        "nis2Entity": .bool(false), "secRegistrant": .bool(false), "doraFinancialEntity": .bool(false),
                        "ftcFinancialInstitution": .bool(false),
                    ],
                    reason: nil,
                    notification: nil
                ),
                .advance(force: nil),
                .completeTask(
                    id: "assess-notifiability",
                    captures: ["notifiable": .bool(true), "highRisk": .bool(false)],
                    reason: "contact data of 1,200 customers",
                    notification: nil
                ),
            ],
            from: state
        )
        #expect(state.phase == .investigate)
        #expect(state.task("gdpr-authority")?.status == .open, "owed now that it is decided, whatever the phase")
        #expect(state.task("gdpr-data-subjects")?.status == .notApplicable, "no high risk, no notice to the people")
        let details = WorkflowCommand.NotificationDetails(recipient: "BfDI", channel: "portal")
        state = try W.run(
            [
                .completeTask(
                    id: "gdpr-authority",
                    captures: ["regulatorReference": .text("BfDI-1")],
                    reason: nil,
                    notification: details
                )
            ],
            from: state
        )
        #expect(state.task("gdpr-authority")?.status == .done)
        #expect(state.notifications.map(\.task) == ["gdpr-authority"])
        #expect(state.phase == .investigate)
    }

    @Test func aDecisionThatRulesAnObligationOutMakesItNotApplicable() throws {
        var state = try W.started(W.incident(jurisdictions: ["FR"], people: 10))
        #expect(state.task("gdpr-authority")?.status == .possiblyOwed)
        let (decided, events) = try Workflow.apply(
            .update(["notifiable": .bool(false)]),
            to: state,
            playbook: W.breach,
            actor: "mia",
            now: W.reported
        ).get()
        state = decided
        #expect(state.task("gdpr-authority")?.status == .notApplicable)
        #expect(events.contains(IncidentEvent(.taskNotApplicable, ["task": "gdpr-authority"])))
    }

    @Test func advanceFromNotifyPointsToCloseAndCloseFromInvestigateSaysSo() throws {
        var state = try W.started(W.incident(jurisdictions: ["FR"], people: 10))
        state = try W.throughInvestigation(state, notifiable: false, highRisk: false)
        #expect(
            Workflow.apply(.advance(force: nil), to: state, playbook: W.breach, actor: "m", now: W.reported)
                .failureValue
                == .closeToLeaveNotify
        )
        let early = try W.started(W.incident(jurisdictions: ["FR"], people: 10))
        #expect(
            Workflow.apply(
                .close(resolution: "r", lessonsLearned: "l", force: nil),
                to: early,
                playbook: W.breach,
                actor: "m",
                now: W.reported
            ).failureValue == .closeOnlyFromNotify(.report)
        )
    }

    /// "Likely to be of significant scale" (PDPA) or "reasonably believed" (HIPAA): an estimate
    /// meets the threshold, and stays marked until a figure replaces it.
    @Test func anEstimateMeetsAThresholdAndAFigureReplacesIt() throws {
        var state = try W.started(W.incident(jurisdictions: ["SG"], people: nil))
        #expect(state.task("pdpa-commission")?.status == .possiblyOwed)
        state = try W.run([.update(["peopleAffected": .number(800)], estimates: ["peopleAffected"])], from: state)
        #expect(state.facts.estimated == ["peopleAffected"])
        #expect(
            state.task("pdpa-commission")?.undecided.contains("peopleAffected") == false,
            "the estimate settles the count"
        )
        state = try W.run([.update(["peopleAffected": .number(812)])], from: state)
        #expect(state.facts.estimated.isEmpty, "a figure replaces the estimate")
        let notACount = Workflow.apply(
            .update(["notifiable": .bool(true)], estimates: ["notifiable"]),
            to: state,
            playbook: W.breach,
            actor: "m",
            now: W.reported
        )
        #expect(
            notACount.failureValue
                == .invalidCapture(field: "notifiable", reason: "cannot be an estimate; only counts can (~1200)")
        )
        #expect(FactValue.parseEstimate("~DE:900,FR:300", as: .counts)! == (.counts(["DE": 900, "FR": 300]), true))
        #expect(FactValue.parseEstimate("~yes", as: .boolean) == nil)
        #expect(FactValue.parseEstimate("1200", as: .integer)! == (.number(1200), false))
    }

    @Test func aForcedCloseLeavesNothingOpen() throws {
        let state = try W.started(W.incident(jurisdictions: ["FR"], people: 10))
        let closed = try W.run(
            [.close(resolution: "duplicate", lessonsLearned: "none", force: "filed twice")],
            from: state
        )
        #expect(closed.phase == .closed)
        let owed = closed.tasks.filter { $0.isOwed }.map(\.id)
        #expect(owed.isEmpty, "\(owed)")
    }
}
