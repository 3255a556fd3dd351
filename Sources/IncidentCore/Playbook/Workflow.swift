import Foundation

/// The workflow engine: pure. Given a playbook, an incident's state, a command, who gives it
/// and the time, it returns the new state and what happened — or a refusal naming what is
/// missing. No I/O; the store persists what it returns. Each command is one function
/// (`Workflow+Commands.swift`); `apply` chooses it, then brings the task list up to date.
public enum Workflow {
    /// What a command did: the incident's new state and the events that tell it.
    public typealias Transition = (state: CaseState, events: [IncidentEvent])
    /// What every command returns: its transition, or the refusal that says what is missing.
    public typealias Outcome = Result<Transition, WorkflowRefusal>

    /// Who gives a command, and when, under which playbook.
    struct Context {
        let playbook: Playbook
        let actor: String
        let now: Date
    }

    public static func apply(
        _ command: WorkflowCommand,
        to state: CaseState,
        playbook: Playbook,
        actor: String,
        now: Date
    ) -> Outcome {
        if state.phase == .closed {
            switch command {
            case .reopen, .start: break
            default: return .failure(.closed)
            }
        }
        let context = Context(playbook: playbook, actor: actor, now: now)
        let outcome: Outcome
        switch command {
        case .start:
            outcome = start(state, context)
        case .update(let values, let estimates):
            outcome = update(values, estimates: estimates, state, context)
        case .completeTask(let id, let captures, let reason, let details, let estimates):
            outcome = completeTask(
                id,
                captures: captures,
                reason: reason,
                details: details,
                estimates: estimates,
                state,
                context
            )
        case .skipTask(let id, let reason):
            outcome = skipTask(id, reason: reason, state, context)
        case .approveGate:
            outcome = approveGate(state, context)
        case .advance(let force):
            outcome = advance(force: force, state, context)
        case .pauseClocks(let request):
            outcome = pauseClocks(request, state, context)
        case .resumeClocks(let regimes, let reason):
            outcome = resumeClocks(regimes: regimes, reason: reason, state, context)
        case .close(let resolution, let lessons, let force):
            outcome = close(resolution: resolution, lessonsLearned: lessons, force: force, state, context)
        case .reopen(let reason):
            outcome = reopen(reason: reason, state, context)
        }
        return outcome.map { settled($0, context) }
    }

    /// The transition with its task list brought up to date, and the tasks that appeared or
    /// stopped applying told as events: they are part of the story.
    static func settled(_ transition: Transition, _ context: Context) -> Transition {
        let (state, before) = (transition.state, transition.events)
        let evaluated = evaluate(state, playbook: context.playbook, now: context.now)
        var events = before
        for task in evaluated.tasks {
            let previous = state.task(task.id)?.status
            guard previous != task.status else { continue }
            switch task.status {
            case .open where previous == nil || previous == .notApplicable:
                events.append(IncidentEvent(.taskOpened, ["task": task.id]))
            case .possiblyOwed where previous == nil || previous == .notApplicable:
                events.append(
                    IncidentEvent(
                        .taskPossiblyOwed,
                        ["task": task.id, "undecided": task.undecided.joined(separator: ",")]
                    )
                )
            case .notApplicable where previous == .open || previous == .possiblyOwed:
                events.append(IncidentEvent(.taskNotApplicable, ["task": task.id]))
            default: break
            }
        }
        return (evaluated, events)
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
            let entered =
                state.phase == .closed ? state.facts.instants["phase:\(phase.rawValue)"] != nil : phase <= state.phase
            for plan in playbook.plan(for: phase)?.tasks ?? []
            where entered || plan.isObligation || state.task(plan.id) != nil {
                let truth = plan.when?.evaluate(state.facts) ?? .true
                // A supplementary notice is listed only once it is owed: before that, it would be
                // one "not applicable" line for every notice that lets something follow.
                if plan.notice?.isSupplement == true, truth != .true, state.task(plan.id) == nil { continue }
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
        let paused = state.pauses.filter { $0.covers(plan, in: playbook) }.reduce(state.pausedSeconds) {
            $0 + $1.seconds
        }
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
        _ estimates: Set<String>,
        of values: [String: FactValue],
        in facts: inout CaseFacts,
        playbook: Playbook
    ) -> WorkflowRefusal? {
        for field in estimates.sorted() {
            guard values[field] != nil else {
                return .invalidCapture(field: field, reason: "is marked an estimate but not given")
            }
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
        _ request: PauseRequest,
        running: [String],
        state: CaseState,
        playbook: Playbook,
        actor: String,
        now: Date,
        reason: String
    ) -> Result<[ClockPause], WorkflowRefusal> {
        if let refusal = unknownRegime(in: request.regimes, playbook: playbook) { return .failure(refusal) }
        let named = playbook.regimes.filter {
            request.regimes.isEmpty ? running.contains($0.name) : request.regimes.contains($0.name)
        }
        var chosen: [(RegimeSummary, PauseRule)] = []
        for regime in named {
            if let rule = regime.pauseRule(request.basis) {
                chosen.append((regime, rule))
            } else if !request.regimes.isEmpty {
                return .failure(
                    .pauseNotAllowed(basis: request.basis, regime: regime.name, allowed: regime.pauses.map(\.basis))
                )
            }
        }
        guard !chosen.isEmpty else {
            let allowed = Set(named.flatMap { $0.pauses.map(\.basis) }).sorted()
            return .failure(.pauseNotAllowed(basis: request.basis, regime: nil, allowed: allowed))
        }
        let runningPauses = state.runningPauses(at: now)
        let already = chosen.map(\.0.name).filter { name in
            runningPauses.contains { $0.regime == nil || $0.regime == name }
        }
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
                    return .failure(
                        .pauseBeyondCap(
                            basis: rule.basis,
                            regime: regime.name,
                            cap: rule.cap.description,
                            latest: latest
                        )
                    )
                }
                until = until ?? latest
            case .open:
                break
            }
            added.append(
                ClockPause(
                    number: state.pauses.count + added.count + 1,
                    regime: regime.name,
                    basis: rule.basis,
                    reason: reason,
                    by: actor,
                    since: now,
                    until: until
                )
            )
        }
        return .success(added)
    }

    /// A forced move leaves the current phase's unfinished work behind: each such task is
    /// skipped with the manager's reason, so none stays open forever or counts as a missed
    /// deadline. Legal obligations are not the phase's to drop: they stay owed and visible,
    /// unless the incident is being closed.
    static func leaveBehind(
        _ state: inout CaseState,
        playbook: Playbook,
        actor: String,
        now: Date,
        reason: String,
        closing: Bool = false
    ) -> [IncidentEvent] {
        var events: [IncidentEvent] = []
        for index in state.tasks.indices where state.tasks[index].isOwed {
            let task = state.tasks[index]
            let isObligation = playbook.task(task.id)?.isObligation ?? false
            guard closing || (task.phase == state.phase && !isObligation) else { continue }
            state.tasks[index].status = .skipped
            state.tasks[index].completedBy = actor
            state.tasks[index].completedAt = now
            state.tasks[index].reason = "left behind by a forced move: \(reason)"
            state.tasks[index].undecided = []
            events.append(IncidentEvent(.taskSkipped, ["task": task.id, "forced": "true"]))
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
            if counts.keys.contains(where: { Jurisdiction(rawValue: $0) == nil }) {
                return "names an unknown jurisdiction"
            }
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

extension Playbook {
    /// The playbook for an incident: the most specific one whose match takes it, else the default.
    public static func choose(for incident: Incident, from playbooks: [Playbook]) -> Playbook? {
        playbooks.filter { !$0.isDefault && !$0.match.isEmpty && $0.match.matches(incident) }
            .max {
                $0.match.specificity < $1.match.specificity
                    || ($0.match.specificity == $1.match.specificity && $0.name > $1.name)
            }
            ?? playbooks.first { $0.isDefault }
    }
}
