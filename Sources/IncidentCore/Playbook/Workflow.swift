import Foundation

/// One task of one incident, as the workflow tracks it.
public struct TaskState: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case open
        case done
        case skipped
        /// Its condition no longer holds (or never did); kept, never deleted.
        case notApplicable = "not_applicable"
        /// A legal obligation whose condition waits on a fact not yet known (a decision, a
        /// count): it may be owed, so its clock runs and it can be done, as if it were open.
        case possiblyOwed = "possibly_owed"
    }

    public var id: String
    public var phase: Phase
    public var status: Status
    /// When it falls due; nil without a clock, or while its instant is unknown.
    public var due: Date?
    public var completedBy: String?
    public var completedAt: Date?
    /// Why it was skipped, or why it was completed late.
    public var reason: String?
    /// While possibly owed: the facts whose value would settle whether it is.
    public var undecided: [String] = []
    /// While a pause of its regime runs: when it ends (`Date.distantFuture` for a pause
    /// without an end). A paused task is neither due soon nor overdue.
    public var pausedUntil: Date?

    public init(
        id: String, phase: Phase, status: Status, due: Date? = nil, completedBy: String? = nil,
        completedAt: Date? = nil, reason: String? = nil
    ) {
        self.id = id
        self.phase = phase
        self.status = status
        self.due = due
        self.completedBy = completedBy
        self.completedAt = completedAt
        self.reason = reason
    }

    public var isSettled: Bool { !isOwed }
    /// Open, or possibly owed: still to do, its clock running.
    public var isOwed: Bool { status == .open || status == .possiblyOwed }
}

/// A decision a task captured: kept with who took it, when and why (GDPR Art. 33(5)).
public struct DecisionRecord: Sendable, Equatable, Codable {
    public var name: String
    public var value: Bool
    public var reason: String
    public var by: String
    public var at: Date
    public var task: String

    public init(name: String, value: Bool, reason: String, by: String, at: Date, task: String) {
        self.name = name
        self.value = value
        self.reason = reason
        self.by = by
        self.at = at
        self.task = task
    }
}

/// A notification made: the ledger entry a notify-phase task records.
public struct NotificationRecord: Sendable, Equatable, Codable {
    public var task: String
    public var kind: NotificationRecipient
    /// Who was told: the authority's name, "all affected customers", the partner.
    public var recipient: String
    /// How: portal, e-mail, letter, phone.
    public var channel: String
    public var sentAt: Date
    public var by: String
    /// The regulator's case number, if it gave one.
    public var reference: String?
    /// A digest of what was sent, so the text can be proven later without storing it here.
    public var contentDigest: String?
    /// Why it was late, when it was.
    public var lateReason: String?

    public init(
        task: String, kind: NotificationRecipient, recipient: String, channel: String, sentAt: Date, by: String,
        reference: String? = nil, contentDigest: String? = nil, lateReason: String? = nil
    ) {
        self.task = task
        self.kind = kind
        self.recipient = recipient
        self.channel = channel
        self.sentAt = sentAt
        self.by = by
        self.reference = reference
        self.contentDigest = contentDigest
        self.lateReason = lateReason
    }
}

/// A delay of one regime's clocks on a basis its law allows, such as a law-enforcement
/// request (45 CFR 164.412). Kept, never deleted: the case file shows every pause.
public struct ClockPause: Sendable, Equatable, Codable {
    /// 1 for the incident's first pause, and so on.
    public var number: Int
    /// The regime whose clocks it moves; nil for every clock (a pause from before regimes).
    public var regime: String?
    public var basis: String
    public var reason: String
    public var by: String
    public var since: Date
    /// It ends by itself then: its cap, or the period the request stated.
    public var until: Date?
    /// When it was lifted by hand, or recorded as ended at `until`.
    public var endedAt: Date?
    public var endedBy: String?

    public init(
        number: Int, regime: String?, basis: String, reason: String, by: String, since: Date, until: Date? = nil,
        endedAt: Date? = nil, endedBy: String? = nil
    ) {
        self.number = number
        self.regime = regime
        self.basis = basis
        self.reason = reason
        self.by = by
        self.since = since
        self.until = until
        self.endedAt = endedAt
        self.endedBy = endedBy
    }

    /// Running at `now`: started, not lifted, and not past its end.
    public func isRunning(at now: Date) -> Bool {
        endedAt == nil && since <= now && (until.map { now < $0 } ?? true)
    }

    /// Seconds it moves the clocks it covers: its whole length once its end is known (lifted,
    /// or the end it will reach by itself); nothing yet for a pause with no end, whose clocks
    /// move when it is lifted.
    public var seconds: Double {
        guard let end = endedAt ?? until else { return 0 }
        return max(0, end.timeIntervalSince(since))
    }

    /// Whether it moves `plan`'s clock: a pause of every clock does; otherwise the task must be
    /// of its regime and, where the law delays only some of the regime's notices, one of those.
    public func covers(_ plan: TaskPlan, in playbook: Playbook) -> Bool {
        guard let regime else { return true }
        guard plan.regime == regime else { return false }
        let tasks = playbook.regime(regime)?.pauseRule(basis)?.tasks ?? []
        return tasks.isEmpty || tasks.contains(plan.id)
    }
}

/// What a manager asks for when pausing clocks.
public struct PauseRequest: Sendable, Equatable {
    /// The basis, as the regime files name it: `law-enforcement-written`, `law-enforcement-oral`…
    public var basis: String
    /// The regimes to pause; empty: every regime with a clock running for the incident that allows this basis.
    public var regimes: [String]
    /// When the pause ends by itself; required where the law says the requester states the period.
    public var until: Date?
    public var reason: String

    public init(basis: String, regimes: [String] = [], until: Date? = nil, reason: String) {
        self.basis = basis
        self.regimes = regimes
        self.until = until
        self.reason = reason
    }
}

/// Everything the workflow decides from: the incident's phase, facts, tasks, gate and clocks.
public struct CaseState: Sendable, Equatable {
    public var phase: Phase
    public var facts: CaseFacts
    public var tasks: [TaskState]
    /// The current phase's gate has been approved.
    public var gateApproved: Bool
    /// Every pause of the incident's clocks, oldest first.
    public var pauses: [ClockPause]
    /// Seconds every clock was paused before pauses named their regimes; due dates move by this much.
    public var pausedSeconds: Double
    public var decisions: [DecisionRecord]
    public var notifications: [NotificationRecord]
    public var resolution: String?
    public var lessonsLearned: String?

    public init(
        phase: Phase = .report, facts: CaseFacts, tasks: [TaskState] = [], gateApproved: Bool = false,
        pauses: [ClockPause] = [], pausedSeconds: Double = 0, decisions: [DecisionRecord] = [],
        notifications: [NotificationRecord] = [], resolution: String? = nil, lessonsLearned: String? = nil
    ) {
        self.phase = phase
        self.facts = facts
        self.tasks = tasks
        self.gateApproved = gateApproved
        self.pauses = pauses
        self.pausedSeconds = pausedSeconds
        self.decisions = decisions
        self.notifications = notifications
        self.resolution = resolution
        self.lessonsLearned = lessonsLearned
    }

    public func task(_ id: String) -> TaskState? { tasks.first { $0.id == id } }

    /// The pauses running at `now`.
    public func runningPauses(at now: Date) -> [ClockPause] { pauses.filter { $0.isRunning(at: now) } }
}

/// What someone asks the workflow to do.
public enum WorkflowCommand: Sendable, Equatable {
    /// A new incident enters the report phase.
    case start
    /// Triage facts changed (severity, counts, jurisdictions…); `estimates` names the counts
    /// given as estimates.
    case update([String: FactValue], estimates: Set<String> = [])
    case completeTask(
        id: String, captures: [String: FactValue], reason: String?, notification: NotificationDetails?, estimates: Set<String> = []
    )
    case skipTask(id: String, reason: String)
    case approveGate
    /// Move to the next phase; `force` (a manager's stated reason) overrides missing items.
    case advance(force: String?)
    case pauseClocks(PauseRequest)
    /// Lifts the running pauses of `regimes` (empty: every running pause).
    case resumeClocks(regimes: [String], reason: String)
    case close(resolution: String, lessonsLearned: String, force: String?)
    case reopen(reason: String)

    /// What a person gives when completing a notification task (also its wire form).
    public struct NotificationDetails: Sendable, Equatable, Codable {
        public var recipient: String
        public var channel: String
        public var reference: String?
        public var contentDigest: String?

        public init(recipient: String, channel: String, reference: String? = nil, contentDigest: String? = nil) {
            self.recipient = recipient
            self.channel = channel
            self.reference = reference
            self.contentDigest = contentDigest
        }
    }
}

/// One thing that happened, for the timeline and the hooks.
public struct WorkflowEvent: Sendable, Equatable {
    public var kind: String
    public var data: [String: String]

    public init(_ kind: String, _ data: [String: String] = [:]) {
        self.kind = kind
        self.data = data
    }
}

/// Why the workflow refused a command; each says what is missing.
public enum WorkflowRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownTask(String)
    case taskNotInCurrentPhase(String, Phase)
    case taskNotOpen(String, TaskState.Status)
    case missingCaptures(task: String, fields: [String])
    case invalidCapture(field: String, reason: String)
    case reasonRequired(String)
    case lateReasonRequired(task: String, due: Date)
    case notificationDetailsRequired(task: String)
    /// Leaving the phase needs these tasks settled and this gate approved.
    case blocked(phase: Phase, tasks: [String], gate: Role?)
    case noGate(Phase)
    case closed
    case notClosed
    /// Pausing these regimes, whose clocks are paused already.
    case alreadyPaused([String])
    case notPaused
    /// The playbook includes no such regime.
    case unknownRegime(String, known: [String])
    /// The law of `regime` (or, when nil, of no regime whose clocks run) allows no delay on
    /// `basis`; `allowed` lists the bases it does allow.
    case pauseNotAllowed(basis: String, regime: String?, allowed: [String])
    /// The basis lasts the period the request states: the pause needs its end.
    case pauseNeedsEnd(basis: String, regime: String)
    /// The end asked for is past what the law allows.
    case pauseBeyondCap(basis: String, regime: String, cap: String, latest: Date)
    case pauseEndNotAfterStart
    /// `advance` from notify: the way out is `close`.
    case closeToLeaveNotify
    /// `close` (unforced) before the notify phase.
    case closeOnlyFromNotify(Phase)

    public var description: String {
        switch self {
        case .unknownTask(let id): return "the playbook has no task '\(id)'"
        case .taskNotInCurrentPhase(let id, let phase): return "task '\(id)' belongs to the \(phase.rawValue) phase"
        case .taskNotOpen(let id, let status): return "task '\(id)' is \(status.rawValue.replacingOccurrences(of: "_", with: " ")), not open"
        case .missingCaptures(let task, let fields):
            return "completing '\(task)' needs \(fields.joined(separator: ", "))"
        case .invalidCapture(let field, let reason): return "\(field) \(reason)"
        case .reasonRequired(let what): return "\(what) needs a reason"
        case .lateReasonRequired(let task, _): return "'\(task)' is past its deadline, so completing it needs the reason for the delay"
        case .notificationDetailsRequired(let task): return "'\(task)' records a notification: say to whom and by which channel"
        case .blocked(let phase, let tasks, let gate):
            var missing: [String] = []
            if !tasks.isEmpty { missing.append("tasks \(tasks.joined(separator: ", "))") }
            if let gate { missing.append("approval of the \(phase.rawValue) gate by a \(gate.rawValue)") }
            return "the \(phase.rawValue) phase cannot end yet: it needs \(missing.joined(separator: " and "))"
        case .noGate(let phase): return "the \(phase.rawValue) phase has no gate to approve"
        case .closed: return "the incident is closed; reopen it first"
        case .notClosed: return "the incident is not closed"
        case .alreadyPaused(let regimes): return "the clocks of \(regimes.joined(separator: ", ")) are already paused; resume them first"
        case .notPaused: return "no clock of the incident is paused"
        case .unknownRegime(let name, let known):
            return "the playbook includes no regime '\(name)'" + (known.isEmpty ? "" : "; it includes \(known.joined(separator: ", "))")
        case .pauseNotAllowed(let basis, let regime?, let allowed):
            return allowed.isEmpty
                ? "\(regime) allows no delay of its clocks: they keep running"
                : "\(regime) allows no pause on the basis '\(basis)'; it allows \(allowed.joined(separator: ", "))"
        case .pauseNotAllowed(let basis, nil, let allowed):
            return "no regime whose clocks run for this incident allows a pause on the basis '\(basis)'"
                + (allowed.isEmpty ? "; none allows any delay" : "; the bases they allow are \(allowed.joined(separator: ", "))")
        case .pauseNeedsEnd(let basis, let regime):
            return "a pause of \(regime) on the basis '\(basis)' lasts the period the request states: give its end"
        case .pauseBeyondCap(let basis, let regime, let cap, let latest):
            return "\(regime) allows a pause on the basis '\(basis)' of \(cap): it must end by \(latest.formatted(.iso8601))"
        case .pauseEndNotAfterStart: return "a pause must end after it starts"
        case .closeToLeaveNotify: return "notify is the last phase: close the incident, with its resolution and lessons learned"
        case .closeOnlyFromNotify(let phase):
            return "an incident closes from the notify phase; it is in \(phase.rawValue): advance it, or force the close with a reason"
        }
    }
}

/// The workflow engine: pure. Given a playbook, an incident's state, a command, who gives it
/// and the time, it returns the new state and what happened — or a refusal naming what is
/// missing. No I/O; the store persists what it returns.
public enum Workflow {
    public static func apply(
        _ command: WorkflowCommand, to state: CaseState, playbook: Playbook, actor: String, now: Date
    ) -> Result<(CaseState, [WorkflowEvent]), WorkflowRefusal> {
        var state = state
        var events: [WorkflowEvent] = []
        if state.phase == .closed {
            switch command {
            case .reopen, .start: break
            default: return .failure(.closed)
            }
        }
        switch command {
        case .start:
            for (name, value) in playbook.presetFacts where state.facts.values[name] == nil { state.facts.values[name] = value }
            state.phase = .report
            state.facts.instants["phase:report"] = state.facts.instants["reported"] ?? now
            events.append(WorkflowEvent("phase.entered", ["phase": "report"]))

        case .update(let values, let estimates):
            for (field, value) in values.sorted(by: { $0.key < $1.key }) {
                if let problem = check(value, for: field, in: playbook) { return .failure(.invalidCapture(field: field, reason: problem)) }
                state.facts.values[field] = value
            }
            if let refusal = record(estimates, of: values, in: &state.facts, playbook: playbook) { return .failure(refusal) }
            var data = ["fields": values.keys.sorted().joined(separator: ",")]
            if !estimates.isEmpty { data["estimated"] = estimates.sorted().joined(separator: ",") }
            events.append(WorkflowEvent("incident.updated", data))

        case .completeTask(let id, let captures, let reason, let details, let estimates):
            guard let plan = playbook.task(id) else { return .failure(.unknownTask(id)) }
            let evaluated = evaluate(state, playbook: playbook, now: now)
            guard let task = evaluated.task(id), task.phase == state.phase || plan.isObligation else {
                return .failure(.taskNotInCurrentPhase(id, playbook.phases.first { $0.tasks.contains(where: { $0.id == id }) }?.phase ?? .report))
            }
            guard task.isOwed else { return .failure(.taskNotOpen(id, task.status)) }
            // The organisation's facts, set for every incident, need not be given again.
            let missing = plan.captures.filter { captures[$0] == nil && playbook.presetFacts[$0] == nil }
            guard missing.isEmpty else { return .failure(.missingCaptures(task: id, fields: missing)) }
            for (field, value) in captures.sorted(by: { $0.key < $1.key }) {
                guard plan.captures.contains(field) else {
                    return .failure(.invalidCapture(field: field, reason: "is not captured by '\(id)'"))
                }
                if let problem = check(value, for: field, in: playbook) { return .failure(.invalidCapture(field: field, reason: problem)) }
            }
            let late = task.due.map { now > $0 } ?? false
            let trimmedReason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            let hasReason = !(trimmedReason ?? "").isEmpty
            if late, plan.notification != nil, !hasReason {
                return .failure(.lateReasonRequired(task: id, due: task.due!))
            }
            let decisions = plan.captures.filter { playbook.field($0)?.isDecision == true }
            if !decisions.isEmpty, !hasReason {
                return .failure(.reasonRequired("the decision \(decisions.joined(separator: ", "))"))
            }
            if let kind = plan.notification {
                guard let details, !details.recipient.isEmpty, !details.channel.isEmpty else {
                    return .failure(.notificationDetailsRequired(task: id))
                }
                state.notifications.append(
                    NotificationRecord(
                        task: id, kind: kind, recipient: details.recipient, channel: details.channel, sentAt: now, by: actor,
                        reference: details.reference, contentDigest: details.contentDigest, lateReason: late ? trimmedReason : nil
                    )
                )
                events.append(WorkflowEvent("notification.recorded", ["task": id, "kind": kind.rawValue, "late": late ? "true" : "false"]))
            }
            if let refusal = record(estimates, of: captures, in: &state.facts, playbook: playbook) { return .failure(refusal) }
            for (field, value) in captures {
                state.facts.values[field] = value
                if playbook.field(field)?.isDecision == true, case .bool(let decided) = value {
                    state.decisions.append(
                        DecisionRecord(name: field, value: decided, reason: trimmedReason ?? "", by: actor, at: now, task: id)
                    )
                    events.append(WorkflowEvent("decision.recorded", ["decision": field, "value": decided ? "true" : "false"]))
                }
            }
            if let instant = plan.records { state.facts.instants[instant] = now }
            state.tasks = evaluated.tasks
            state.updateTask(id) {
                $0.status = .done
                $0.completedBy = actor
                $0.completedAt = now
                $0.reason = hasReason ? trimmedReason : nil
            }
            events.append(WorkflowEvent("task.completed", ["task": id, "late": late ? "true" : "false"]))

        case .skipTask(let id, let reason):
            guard let plan = playbook.task(id) else { return .failure(.unknownTask(id)) }
            let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return .failure(.reasonRequired("skipping '\(id)'")) }
            let evaluated = evaluate(state, playbook: playbook, now: now)
            guard let task = evaluated.task(id), task.phase == state.phase || plan.isObligation else {
                return .failure(.taskNotInCurrentPhase(id, state.phase))
            }
            guard task.isOwed else { return .failure(.taskNotOpen(id, task.status)) }
            state.tasks = evaluated.tasks
            state.updateTask(id) {
                $0.status = .skipped
                $0.completedBy = actor
                $0.completedAt = now
                $0.reason = trimmed
            }
            events.append(WorkflowEvent("task.skipped", ["task": id]))

        case .approveGate:
            guard playbook.plan(for: state.phase)?.gate != nil else { return .failure(.noGate(state.phase)) }
            state.gateApproved = true
            state.facts.instants["approved"] = now
            events.append(WorkflowEvent("gate.approved", ["phase": state.phase.rawValue]))

        case .advance(let force):
            guard state.phase != .notify else { return .failure(.closeToLeaveNotify) }
            let evaluated = evaluate(state, playbook: playbook, now: now)
            if let refusal = blockers(evaluated, playbook: playbook), force == nil {
                return .failure(refusal)
            }
            let next = Phase.allCases[Phase.allCases.firstIndex(of: state.phase)! + 1]
            state = evaluated
            if let force {
                let reason = force.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !reason.isEmpty else { return .failure(.reasonRequired("forcing the move")) }
                events.append(WorkflowEvent("phase.forced", ["from": state.phase.rawValue]))
                events += leaveBehind(&state, playbook: playbook, actor: actor, now: now, reason: reason)
            }
            state.phase = next
            state.gateApproved = false
            state.facts.instants["phase:\(next.rawValue)"] = now
            events.append(WorkflowEvent("phase.entered", ["phase": next.rawValue]))

        case .pauseClocks(let request):
            let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else { return .failure(.reasonRequired("pausing the clocks")) }
            let running = runningRegimes(evaluate(state, playbook: playbook, now: now), playbook: playbook)
            switch pauses(request, running: running, state: state, playbook: playbook, actor: actor, now: now, reason: reason) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let added):
                state.pauses += added
                let paused = Set(added.compactMap(\.regime))
                var data = [
                    "basis": request.basis, "regimes": added.compactMap(\.regime).joined(separator: ","),
                    "running": running.filter { !paused.contains($0) }.joined(separator: ","),
                ]
                if let until = added.compactMap(\.until).min() { data["until"] = until.formatted(.iso8601) }
                events.append(WorkflowEvent("clock.paused", data))
            }

        case .resumeClocks(let regimes, let reason):
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { return .failure(.reasonRequired("resuming the clocks")) }
            if let refusal = unknownRegime(in: regimes, playbook: playbook) { return .failure(refusal) }
            var lifted: [String] = []
            for index in state.pauses.indices where state.pauses[index].isRunning(at: now) {
                let pause = state.pauses[index]
                guard regimes.isEmpty || pause.regime.map(regimes.contains) == true else { continue }
                state.pauses[index].endedAt = now
                state.pauses[index].endedBy = actor
                lifted.append(pause.regime ?? "every clock")
            }
            guard !lifted.isEmpty else { return .failure(.notPaused) }
            events.append(WorkflowEvent("clock.resumed", ["regimes": lifted.joined(separator: ",")]))

        case .close(let resolution, let lessons, let force):
            let resolution = resolution.trimmingCharacters(in: .whitespacesAndNewlines)
            let lessons = lessons.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !resolution.isEmpty else { return .failure(.reasonRequired("closing (a resolution)")) }
            guard !lessons.isEmpty else { return .failure(.reasonRequired("closing (the lessons learned)")) }
            let evaluated = evaluate(state, playbook: playbook, now: now)
            state = evaluated
            if let force {
                let reason = force.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !reason.isEmpty else { return .failure(.reasonRequired("forcing the close")) }
                events.append(WorkflowEvent("phase.forced", ["from": state.phase.rawValue]))
                events += leaveBehind(&state, playbook: playbook, actor: actor, now: now, reason: reason, closing: true)
            } else {
                guard state.phase == .notify else { return .failure(.closeOnlyFromNotify(state.phase)) }
                if let refusal = blockers(evaluated, playbook: playbook) { return .failure(refusal) }
            }
            state.phase = .closed
            state.resolution = resolution
            state.lessonsLearned = lessons
            state.facts.instants["phase:closed"] = now
            events.append(WorkflowEvent("incident.closed"))

        case .reopen(let reason):
            guard state.phase == .closed else { return .failure(.notClosed) }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { return .failure(.reasonRequired("reopening")) }
            state.phase = .notify
            state.facts.instants["phase:notify"] = now
            events.append(WorkflowEvent("incident.reopened"))
        }
        let evaluated = evaluate(state, playbook: playbook, now: now)
        // New tasks appearing, or old ones no longer applying, are part of the story.
        for task in evaluated.tasks {
            let before = state.task(task.id)?.status
            guard before != task.status else { continue }
            switch task.status {
            case .open where before == nil || before == .notApplicable:
                events.append(WorkflowEvent("task.opened", ["task": task.id]))
            case .possiblyOwed where before == nil || before == .notApplicable:
                events.append(WorkflowEvent("task.possibly_owed", ["task": task.id, "undecided": task.undecided.joined(separator: ",")]))
            case .notApplicable where before == .open || before == .possiblyOwed:
                events.append(WorkflowEvent("task.not_applicable", ["task": task.id]))
            default: break
            }
        }
        return .success((evaluated, events))
    }

    /// Brings the task list up to date: every task of every phase entered so far exists, open
    /// ones whose condition no longer holds become not applicable (and back), due dates follow
    /// their instants. Done and skipped tasks never change.
    /// Legal obligations (`notification:` tasks and those marked `obligation: true`) exist from
    /// the start, whatever the phase: each opens, and its clock runs, as soon as its condition
    /// holds, and is possibly owed while its condition waits on an unknown fact. The phase it is
    /// listed in only says by when it must be settled for the incident to move on.
    public static func evaluate(_ state: CaseState, playbook: Playbook, now: Date) -> CaseState {
        var state = state
        var tasks: [TaskState] = []
        let runningPauses = state.runningPauses(at: now)
        for phase in Phase.allCases where phase != .closed {
            // A closed incident keeps the phases it went through (a forced close may skip some).
            let entered = state.phase == .closed ? state.facts.instants["phase:\(phase.rawValue)"] != nil : phase <= state.phase
            for plan in playbook.plan(for: phase)?.tasks ?? [] where entered || plan.isObligation || state.task(plan.id) != nil {
                let truth = plan.when?.evaluate(state.facts) ?? .true
                let status: TaskState.Status =
                    switch truth {
                    case .true: .open
                    case .false: .notApplicable
                    case .unknown: plan.isObligation ? .possiblyOwed : .notApplicable
                    }
                var task = state.task(plan.id) ?? TaskState(id: plan.id, phase: phase, status: status)
                if task.status != .done, task.status != .skipped { task.status = status }
                task.undecided = task.status == .possiblyOwed ? plan.when?.undecided(state.facts) ?? [] : []
                task.due = due(of: plan, phase: phase, state: state, playbook: playbook)
                task.pausedUntil = runningPauses.filter { $0.covers(plan, in: playbook) }
                    .map { $0.until ?? .distantFuture }.max()
                tasks.append(task)
            }
        }
        // Tasks no longer in the playbook (an incident keeps its version, so only by hand) stay.
        for task in state.tasks where !tasks.contains(where: { $0.id == task.id }) { tasks.append(task) }
        state.tasks = tasks
        return state
    }

    /// The instant `plan` falls due: its clock's instant plus the duration, moved by the
    /// pauses of its regime.
    static func due(of plan: TaskPlan, phase: Phase, state: CaseState, playbook: Playbook) -> Date? {
        guard let clock = plan.due else { return nil }
        let name = clock.after == "phase" ? "phase:\(phase.rawValue)" : clock.after
        guard let start = state.facts.instants[name] else { return nil }
        let paused = state.pauses.filter { $0.covers(plan, in: playbook) }.reduce(state.pausedSeconds) { $0 + $1.seconds }
        return clock.duration.added(to: clock.start(from: start)).addingTimeInterval(paused)
    }

    /// The regimes with a clock running for the incident (a task owed or possibly owed), in
    /// the playbook's order.
    public static func runningRegimes(_ state: CaseState, playbook: Playbook) -> [String] {
        let owed = Set(state.tasks.filter(\.isOwed).compactMap { playbook.task($0.id)?.regime })
        return playbook.regimes.map(\.name).filter(owed.contains)
    }

    /// Marks the counts of `values` given as estimates, and clears the mark of those given as
    /// figures; refuses an estimate of anything but a count.
    static func record(
        _ estimates: Set<String>, of values: [String: FactValue], in facts: inout CaseFacts, playbook: Playbook
    ) -> WorkflowRefusal? {
        for field in estimates.sorted() {
            guard values[field] != nil else { return .invalidCapture(field: field, reason: "is marked an estimate but not given") }
            switch playbook.field(field)?.type {
            case .integer?, .counts?: break
            default: return .invalidCapture(field: field, reason: "cannot be an estimate; only counts can (~1200)")
            }
        }
        for field in values.keys {
            if estimates.contains(field) { facts.estimated.insert(field) } else { facts.estimated.remove(field) }
        }
        return nil
    }

    /// The refusal for the first of `names` the playbook includes no regime of, if any.
    static func unknownRegime(in names: [String], playbook: Playbook) -> WorkflowRefusal? {
        let known = playbook.regimes.map(\.name)
        return names.first { !known.contains($0) }.map { .unknownRegime($0, known: known) }
    }

    /// The pauses `request` makes, one per regime, each within its law's cap; or why it may not.
    /// Unless the request names its regimes, it pauses those of `running` that allow its basis.
    static func pauses(
        _ request: PauseRequest, running: [String], state: CaseState, playbook: Playbook, actor: String, now: Date, reason: String
    ) -> Result<[ClockPause], WorkflowRefusal> {
        if let refusal = unknownRegime(in: request.regimes, playbook: playbook) { return .failure(refusal) }
        let named = playbook.regimes.filter { request.regimes.isEmpty ? running.contains($0.name) : request.regimes.contains($0.name) }
        var chosen: [(RegimeSummary, PauseRule)] = []
        for regime in named {
            if let rule = regime.pauseRule(request.basis) {
                chosen.append((regime, rule))
            } else if !request.regimes.isEmpty {
                return .failure(.pauseNotAllowed(basis: request.basis, regime: regime.name, allowed: regime.pauses.map(\.basis)))
            }
        }
        guard !chosen.isEmpty else {
            let allowed = Set(named.flatMap { $0.pauses.map(\.basis) }).sorted()
            return .failure(.pauseNotAllowed(basis: request.basis, regime: nil, allowed: allowed))
        }
        let runningPauses = state.runningPauses(at: now)
        let already = chosen.map(\.0.name).filter { name in runningPauses.contains { $0.regime == nil || $0.regime == name } }
        guard already.isEmpty else { return .failure(.alreadyPaused(already)) }
        if let until = request.until, until <= now { return .failure(.pauseEndNotAfterStart) }
        var added: [ClockPause] = []
        for (regime, rule) in chosen {
            var until = request.until
            switch rule.cap {
            case .stated:
                guard until != nil else { return .failure(.pauseNeedsEnd(basis: rule.basis, regime: regime.name)) }
            case .atMost(let duration):
                let latest = duration.added(to: now)
                if let asked = until, asked > latest {
                    return .failure(.pauseBeyondCap(basis: rule.basis, regime: regime.name, cap: rule.cap.description, latest: latest))
                }
                until = until ?? latest
            case .open:
                break
            }
            added.append(ClockPause(
                number: state.pauses.count + added.count + 1, regime: regime.name, basis: rule.basis, reason: reason, by: actor,
                since: now, until: until
            ))
        }
        return .success(added)
    }

    /// A forced move leaves the current phase's unfinished work behind: each such task is
    /// skipped with the manager's reason, so none stays open forever or counts as a missed
    /// deadline. Legal obligations are not the phase's to drop: they stay owed and visible,
    /// unless the incident is being closed.
    static func leaveBehind(
        _ state: inout CaseState, playbook: Playbook, actor: String, now: Date, reason: String, closing: Bool = false
    ) -> [WorkflowEvent] {
        var events: [WorkflowEvent] = []
        for index in state.tasks.indices where state.tasks[index].isOwed {
            let task = state.tasks[index]
            let isObligation = playbook.task(task.id)?.isObligation ?? false
            guard closing || (task.phase == state.phase && !isObligation) else { continue }
            state.tasks[index].status = .skipped
            state.tasks[index].completedBy = actor
            state.tasks[index].completedAt = now
            state.tasks[index].reason = "left behind by a forced move: \(reason)"
            state.tasks[index].undecided = []
            events.append(WorkflowEvent("task.skipped", ["task": task.id, "forced": "true"]))
        }
        return events
    }

    /// What keeps the current phase from ending, if anything.
    public static func blockers(_ state: CaseState, playbook: Playbook) -> WorkflowRefusal? {
        let plan = playbook.plan(for: state.phase)
        let required = Set(plan?.tasks.filter(\.required).map(\.id) ?? [])
        let open = state.tasks.filter { $0.phase == state.phase && $0.isOwed && required.contains($0.id) }.map(\.id)
        let gate = (plan?.gate).flatMap { state.gateApproved ? nil : $0 }
        guard !open.isEmpty || gate != nil else { return nil }
        return .blocked(phase: state.phase, tasks: open, gate: gate)
    }

    /// Checks a captured value against its field's declared type.
    static func check(_ value: FactValue, for field: String, in playbook: Playbook) -> String? {
        let name = field.split(separator: ".").first.map(String.init) ?? field
        guard let declaration = playbook.field(name) else { return "is not a field of this playbook" }
        switch (declaration.type, value) {
        case (.integer, .number(let number)): return number < 0 ? "must not be negative" : nil
        case (.boolean, .bool), (.text, .text), (.instant, .instant): return nil
        case (.counts, .counts(let counts)):
            if counts.keys.contains(where: { Jurisdiction(rawValue: $0) == nil }) { return "names an unknown jurisdiction" }
            return counts.values.contains { $0 < 0 } ? "must not be negative" : nil
        case (.choice(let choices), .text(let text)):
            return choices.contains(text) ? nil : "must be one of \(choices.joined(separator: ", "))"
        case (.categories(let choices), .set(let values)):
            if name == "jurisdictions" {
                return values.allSatisfy { Jurisdiction(rawValue: $0) != nil } ? nil : "names an unknown jurisdiction"
            }
            return values.allSatisfy(choices.contains) ? nil : "must be among \(choices.joined(separator: ", "))"
        default:
            return "has the wrong type"
        }
    }
}

extension CaseState {
    fileprivate mutating func updateTask(_ id: String, _ change: (inout TaskState) -> Void) {
        if let index = tasks.firstIndex(where: { $0.id == id }) { change(&tasks[index]) }
    }
}

extension Playbook {
    /// The playbook for an incident: the most specific one whose match takes it, else the default.
    public static func choose(for incident: Incident, from playbooks: [Playbook]) -> Playbook? {
        playbooks.filter { !$0.isDefault && !$0.match.isEmpty && $0.match.matches(incident) }
            .max { $0.match.specificity < $1.match.specificity || ($0.match.specificity == $1.match.specificity && $0.name > $1.name) }
            ?? playbooks.first { $0.isDefault }
    }
}
