import Foundation
import Testing

@testable import IncidentCore

/// A clock pause moves only the regimes whose law allows a delay on its basis, within the
/// law's cap; every expected instant below is worked out by hand from the regime files.
@Suite struct ClockPauseTests {
    typealias W = WorkflowTests

    static let day: TimeInterval = 86_400
    /// W.aware is 2026-03-02T09:00:00Z; the pause is asked for on the next day.
    static let asked = W.aware.addingTimeInterval(day)

    /// An EU + CN + US breach of health data at a HIPAA covered entity: GDPR, PIPL, China's
    /// measures, HIPAA and the US state laws all run.
    static func multinational() throws -> CaseState {
        try W.run(
            [
                .update([
                    "jurisdictions": .set(["DE", "CN", "US"]), "dataCategories": .set(["health", "identity"]),
                    "hipaaCoveredEntity": .bool(true), "hipaaLowProbability": .bool(false),
                ])
            ],
            from: try W.started(
                W.incident(jurisdictions: ["DE", "CN", "US"], people: 2000, data: [.health, .identity])
            )
        )
    }

    static func pause(
        _ basis: String,
        regimes: [String] = [],
        until: Date? = nil,
        state: CaseState,
        at now: Date = asked
    ) -> Workflow.Outcome {
        Workflow.apply(
            .pauseClocks(PauseRequest(basis: basis, regimes: regimes, until: until, reason: "FBI letter, ref 77/26")),
            to: state,
            playbook: W.breach,
            actor: "mia",
            now: now
        )
    }

    @Test func aLawEnforcementPauseMovesOnlyTheRegimesThatAllowIt() throws {
        let state = try Self.multinational()
        // HIPAA: 60 days after discovery (= aware) → 2026-05-01T09:00Z; states: 30 days → 2026-04-01T09:00Z.
        #expect(state.task("hipaa-individuals")?.due == W.aware.addingTimeInterval(60 * Self.day))
        #expect(state.task("us-state-residents")?.due == W.aware.addingTimeInterval(30 * Self.day))
        #expect(state.task("pipl-notify")?.due == W.aware.addingTimeInterval(24 * 3600))
        let until = Self.asked.addingTimeInterval(20 * Self.day)
        let (paused, events) = try Self.pause("law-enforcement-written", until: until, state: state).get()
        #expect(paused.pauses.map(\.regime) == ["hipaa", "us-states"])
        let event = try #require(events.first { $0.kind == .clockPaused })
        #expect(event.data["regimes"] == "hipaa,us-states")
        // Singapore's PDPA allows a delay too, but no clock of it runs for this incident.
        #expect(event.data["running"] == "gdpr,nis2,dora,pipl,cn-incident-reporting,sec-8k,ftc-safeguards")
        // The pause has an end, so the deadlines already count it: 20 days later each.
        #expect(paused.task("hipaa-individuals")?.due == W.aware.addingTimeInterval(80 * Self.day))
        #expect(paused.task("us-state-residents")?.due == W.aware.addingTimeInterval(50 * Self.day))
        #expect(paused.task("hipaa-individuals")?.pausedUntil == until)
        // GDPR, PIPL and China's measures allow no delay: their clocks do not move.
        for id in ["gdpr-authority", "pipl-notify", "pipl-individuals", "triage"] {
            #expect(paused.task(id)?.due == state.task(id)?.due, "\(id)")
            #expect(paused.task(id)?.pausedUntil == nil, "\(id)")
        }
        // Lifted after 5 days, the deadlines move by the 5 days paused.
        let lifted = try W.run(
            [.resumeClocks(regimes: [], reason: "the FBI lifted it")],
            from: paused,
            at: Self.asked.addingTimeInterval(5 * Self.day)
        )
        #expect(lifted.task("hipaa-individuals")?.due == W.aware.addingTimeInterval(65 * Self.day))
        #expect(lifted.task("us-state-residents")?.due == W.aware.addingTimeInterval(35 * Self.day))
        #expect(lifted.task("hipaa-individuals")?.pausedUntil == nil)
        #expect(lifted.pauses.allSatisfy { $0.endedBy == "mia" })
    }

    @Test func aWrittenRequestNeedsItsPeriodAndAnOralOneLastsAtMost30DaysUnderHIPAA() throws {
        let state = try Self.multinational()
        #expect(
            Self.pause("law-enforcement-written", state: state).failureValue
                == .pauseNeedsEnd(basis: "law-enforcement-written", regime: "hipaa")
        )
        let latest = Self.asked.addingTimeInterval(30 * Self.day)
        #expect(
            Self.pause("law-enforcement-oral", until: latest.addingTimeInterval(1), state: state).failureValue
                == .pauseBeyondCap(basis: "law-enforcement-oral", regime: "hipaa", cap: "at most 30d", latest: latest)
        )
        // Without an end, HIPAA's oral pause ends at its cap; the states' runs until lifted.
        let (paused, _) = try Self.pause("law-enforcement-oral", state: state).get()
        #expect(paused.pauses.map(\.until) == [latest, nil])
        #expect(paused.task("hipaa-individuals")?.due == W.aware.addingTimeInterval(90 * Self.day))
        #expect(paused.task("us-state-residents")?.pausedUntil == .distantFuture)
        #expect(
            paused.task("us-state-residents")?.due == W.aware.addingTimeInterval(30 * Self.day),
            "a pause without an end moves the clock when it is lifted"
        )
    }

    @Test func aPauseReachingItsCapEndsByItself() throws {
        let (paused, _) = try Self.pause("law-enforcement-oral", regimes: ["hipaa"], state: try Self.multinational())
            .get()
        let end = Self.asked.addingTimeInterval(30 * Self.day)
        #expect(paused.pauses[0].isRunning(at: end.addingTimeInterval(-1)))
        #expect(!paused.pauses[0].isRunning(at: end))
        let later = try W.run(
            [.update(["recordsAffected": .number(5000)])],
            from: paused,
            at: end.addingTimeInterval(60)
        )
        #expect(later.task("hipaa-individuals")?.pausedUntil == nil)
        #expect(later.task("hipaa-individuals")?.due == W.aware.addingTimeInterval(90 * Self.day))
        // A new request may follow once it ended, such as the written statement confirming it.
        let (again, _) = try Self.pause(
            "law-enforcement-written",
            regimes: ["hipaa"],
            until: end.addingTimeInterval(10 * Self.day),
            state: later,
            at: end.addingTimeInterval(60)
        ).get()
        #expect(again.pauses.count == 2)
        #expect(
            again.task("hipaa-individuals")?.due
                == W.aware.addingTimeInterval(90 * Self.day + 10 * Self.day - 60)
        )
    }

    @Test func regimesThatAllowNoDelaySaySo() throws {
        let state = try Self.multinational()
        let gdpr = Self.pause(
            "law-enforcement-written",
            regimes: ["gdpr"],
            until: Self.asked.addingTimeInterval(Self.day),
            state: state
        )
        #expect(gdpr.failureValue == .pauseNotAllowed(basis: "law-enforcement-written", regime: "gdpr", allowed: []))
        #expect(gdpr.failureValue?.description == "gdpr allows no delay of its clocks: they keep running")
        let unknown = Self.pause("a-friendly-request", state: state)
        #expect(
            unknown.failureValue
                == .pauseNotAllowed(
                    basis: "a-friendly-request",
                    regime: nil,
                    allowed: [
                        "attorney-general", "attorney-general-extension", "law-enforcement-oral",
                        "law-enforcement-written",
                    ]
                )
        )
        // Singapore allows an instruction, but no clock of it runs for this incident.
        #expect(
            Self.pause("law-enforcement-instruction", state: state).failureValue
                == .pauseNotAllowed(
                    basis: "law-enforcement-instruction",
                    regime: nil,
                    allowed: [
                        "attorney-general", "attorney-general-extension", "law-enforcement-oral",
                        "law-enforcement-written",
                    ]
                )
        )
        #expect(
            Self.pause("law-enforcement-oral", regimes: ["ccpa"], state: state).failureValue
                == .unknownRegime("ccpa", known: W.breach.regimes.map(\.name))
        )
        let (paused, _) = try Self.pause("law-enforcement-oral", regimes: ["hipaa"], state: state).get()
        #expect(Self.pause("law-enforcement-oral", state: paused).failureValue == .alreadyPaused(["hipaa"]))
        #expect(
            Self.pause("law-enforcement-oral", until: Self.asked, state: state).failureValue == .pauseEndNotAfterStart
        )
        #expect(
            Workflow.apply(
                .resumeClocks(regimes: [], reason: "x"),
                to: state,
                playbook: W.breach,
                actor: "m",
                now: Self.asked
            )
            .failureValue == .notPaused
        )
        #expect(
            Workflow.apply(
                .pauseClocks(PauseRequest(basis: "law-enforcement-oral", reason: " ")),
                to: state,
                playbook: W.breach,
                actor: "m",
                now: Self.asked
            ).failureValue == .reasonRequired("pausing the clocks")
        )
    }

    /// PDPA s. 26D(6): law enforcement can stop the notice to individuals, not the Commission's.
    @Test func singaporesInstructionMovesOnlyTheNoticeToIndividuals() throws {
        var state = try W.started(W.incident(jurisdictions: ["SG"], people: 800))
        state = try W.run(
            [
                .completeTask(
                    id: "pdpa-assessment",
                    captures: ["significantHarm": .bool(true)],
                    reason: "NRIC numbers of 800 customers",
                    notification: nil
                )
            ],
            from: state,
            at: Self.asked
        )
        let commission = try #require(state.task("pdpa-commission")?.due)
        let (paused, _) = try Self.pause("law-enforcement-instruction", state: state).get()
        #expect(paused.pauses.map(\.regime) == ["pdpa-sg"])
        #expect(paused.task("pdpa-commission")?.due == commission)
        #expect(paused.task("pdpa-commission")?.pausedUntil == nil)
        #expect(paused.task("pdpa-individuals")?.pausedUntil == .distantFuture)
    }

    /// Item 1.05(c): 30 days on the Attorney General's notice, then 30 more on a further one.
    @Test func theSECFilingWaitsOnlyOnTheAttorneyGeneralsDetermination() throws {
        var state = try W.started(W.incident(jurisdictions: ["US"], people: 10))
        state = try W.run([.update(["secRegistrant": .bool(true)])], from: state)
        // Determined material on Monday 2026-03-02 at 09:30Z: four business days → Friday 2026-03-06.
        state = try W.run(
            [
                .completeTask(
                    id: "materiality",
                    captures: ["material": .bool(true)],
                    reason: "ransomware stopped production",
                    notification: nil
                )
            ],
            from: state
        )
        let filing = try #require(state.task("sec-8k")?.due)
        #expect(filing == ISO8601DateFormatter().date(from: "2026-03-06T09:30:00Z"))
        #expect(
            Self.pause(
                "law-enforcement-written",
                regimes: ["sec-8k"],
                until: Self.asked.addingTimeInterval(Self.day),
                state: state
            )
            .failureValue
                == .pauseNotAllowed(
                    basis: "law-enforcement-written",
                    regime: "sec-8k",
                    allowed: ["attorney-general", "attorney-general-extension"]
                )
        )
        let (first, _) = try Self.pause("attorney-general", state: state).get()
        #expect(first.task("sec-8k")?.due == filing.addingTimeInterval(30 * Self.day))
        let end = Self.asked.addingTimeInterval(30 * Self.day)
        let (second, _) = try Self.pause("attorney-general-extension", state: first, at: end).get()
        #expect(second.task("sec-8k")?.due == filing.addingTimeInterval(60 * Self.day))
    }

    /// A pause made before pauses named their regimes moves every clock, as it did then.
    @Test func aPauseOfEveryClockFromBeforeRegimesStillMovesThemAll() throws {
        var state = try Self.multinational()
        state.pauses = [
            ClockPause(number: 1, regime: nil, basis: "unspecified", reason: "", by: "incidentd", since: Self.asked)
        ]
        let lifted = try W.run(
            [.resumeClocks(regimes: [], reason: "lifted")],
            from: state,
            at: Self.asked.addingTimeInterval(7200)
        )
        #expect(lifted.task("triage")?.due == state.task("triage")?.due?.addingTimeInterval(7200))
        #expect(lifted.task("gdpr-authority")?.due == state.task("gdpr-authority")?.due?.addingTimeInterval(7200))
    }
}
