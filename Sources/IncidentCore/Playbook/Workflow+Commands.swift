import Foundation

/// One small function per command. Each takes the state and the context and returns the
/// same ``Workflow/Outcome``: the changed state and its events, or the refusal.
extension Workflow {
    static func start(_ state: CaseState, _ context: Context) -> Outcome {
        var state = state
        for (name, value) in context.playbook.presetFacts where state.facts.values[name] == nil {
            state.facts.values[name] = value
        }
        state.phase = .report
        state.facts.instants["phase:report"] = state.facts.instants["reported"] ?? context.now
        return .success((state, [IncidentEvent(.phaseEntered, ["phase": "report"])]))
    }

    static func update(
        _ values: [String: FactValue],
        estimates: Set<String>,
        _ state: CaseState,
        _ context: Context
    ) -> Outcome {
        var state = state
        for (field, value) in values.sorted(by: { $0.key < $1.key }) {
            if field == CaseFacts.discovered {
                guard case .instant(let discovered) = value else {
                    return .failure(.invalidCapture(field: field, reason: "must be an instant"))
                }
                guard discovered <= context.now.addingTimeInterval(ReportDraft.allowedClockSkew) else {
                    return .failure(.invalidCapture(field: field, reason: "must not be in the future"))
                }
                state.facts.instants[field] = discovered
                continue
            }
            if let problem = check(value, for: field, in: context.playbook) {
                return .failure(.invalidCapture(field: field, reason: problem))
            }
            state.facts.values[field] = value
        }
        if let refusal = record(estimates, of: values, in: &state.facts, playbook: context.playbook) {
            return .failure(refusal)
        }
        var data = ["fields": values.keys.sorted().joined(separator: ",")]
        if !estimates.isEmpty { data["estimated"] = estimates.sorted().joined(separator: ",") }
        return .success((state, [IncidentEvent(.incidentUpdated, data)]))
    }

    static func completeTask(
        _ id: String,
        captures: [String: FactValue],
        reason: String?,
        details: WorkflowCommand.NotificationDetails?,
        estimates: Set<String>,
        _ state: CaseState,
        _ context: Context
    ) -> Outcome {
        let (playbook, actor, now) = (context.playbook, context.actor, context.now)
        guard let plan = playbook.task(id) else { return .failure(unknownTask(id, state, playbook, now)) }
        let evaluated = evaluate(state, playbook: playbook, now: now)
        guard let task = evaluated.task(id), task.phase == state.phase || plan.isObligation else {
            let listed = playbook.phases.first { $0.tasks.contains(where: { $0.id == id }) }?.phase ?? .report
            return .failure(.taskNotInCurrentPhase(id, listed))
        }
        guard task.isOwed else { return .failure(.taskNotOpen(id, task.status)) }
        if let refusal = checkCaptures(captures, of: plan, in: playbook) { return .failure(refusal) }
        let late = task.due.map { now > $0 } ?? false
        let trimmedReason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
        let hasReason = !(trimmedReason ?? "").isEmpty
        if late, plan.notification != nil, !hasReason, let due = task.due {
            return .failure(.lateReasonRequired(task: id, due: due))
        }
        let decisions = plan.captures.filter { playbook.field($0)?.isDecision == true }
        if !decisions.isEmpty, !hasReason {
            return .failure(.reasonRequired("the decision \(decisions.joined(separator: ", "))"))
        }
        var state = state
        var events: [IncidentEvent] = []
        if let kind = plan.notification {
            guard let details, !details.recipient.isEmpty, !details.channel.isEmpty else {
                return .failure(.notificationDetailsRequired(task: id))
            }
            events.append(
                recordNotification(kind, of: id, details, late: late ? trimmedReason : nil, in: &state, context)
            )
        }
        if let refusal = record(estimates, of: captures, in: &state.facts, playbook: playbook) {
            return .failure(refusal)
        }
        for (field, value) in captures {
            state.facts.values[field] = value
            if playbook.field(field)?.isDecision == true, case .bool(let decided) = value {
                state.decisions.append(
                    DecisionRecord(
                        name: field,
                        value: decided,
                        reason: trimmedReason ?? "",
                        by: actor,
                        at: now,
                        task: id
                    )
                )
                events.append(
                    IncidentEvent(.decisionRecorded, ["decision": field, "value": decided ? "true" : "false"])
                )
            }
        }
        if let instant = plan.records { state.facts.instants[instant] = now }
        // When the notice left elements to later: a supplementary notice opens from it.
        if details?.notice?.deferred.isEmpty == false { state.facts.instants[TaskPlan.deferralInstant(of: id)] = now }
        state.tasks = evaluated.tasks
        state.updateTask(id) {
            $0.status = .done
            $0.completedBy = actor
            $0.completedAt = now
            $0.reason = hasReason ? trimmedReason : nil
        }
        events.append(IncidentEvent(.taskCompleted, ["task": id, "late": late ? "true" : "false"]))
        return .success((state, events))
    }

    /// Adds a notification made to the ledger; `lateReason` when it was past its deadline.
    static func recordNotification(
        _ kind: NotificationRecipient,
        of task: String,
        _ details: WorkflowCommand.NotificationDetails,
        late lateReason: String?,
        in state: inout CaseState,
        _ context: Context
    ) -> IncidentEvent {
        state.notifications.append(
            NotificationRecord(
                task: task,
                kind: kind,
                recipient: details.recipient,
                channel: details.channel,
                sentAt: context.now,
                by: context.actor,
                reference: details.reference,
                contentDigest: details.contentDigest,
                lateReason: lateReason,
                notice: details.notice
            )
        )
        return IncidentEvent(
            .notificationRecorded,
            ["task": task, "kind": kind.rawValue, "late": lateReason != nil ? "true" : "false"]
        )
    }

    /// The captures a task is completed with: each one the task's, each of its field's type,
    /// none missing (the organisation's facts, set for every incident, need not be given again).
    static func checkCaptures(
        _ captures: [String: FactValue],
        of plan: TaskPlan,
        in playbook: Playbook
    ) -> WorkflowRefusal? {
        let missing = plan.captures.filter { captures[$0] == nil && playbook.presetFacts[$0] == nil }
        guard missing.isEmpty else { return .missingCaptures(task: plan.id, fields: missing) }
        for (field, value) in captures.sorted(by: { $0.key < $1.key }) {
            guard plan.captures.contains(field) else {
                return .invalidCapture(field: field, reason: "is not captured by '\(plan.id)'")
            }
            if let problem = check(value, for: field, in: playbook) {
                return .invalidCapture(field: field, reason: problem)
            }
        }
        return nil
    }

    /// A task id the playbook does not have, with the ids closest to it and the open tasks.
    static func unknownTask(_ id: String, _ state: CaseState, _ playbook: Playbook, _ now: Date) -> WorkflowRefusal {
        let ids = playbook.phases.flatMap(\.tasks).map(\.id)
        let open = evaluate(state, playbook: playbook, now: now).tasks.filter(\.isOwed).map(\.id)
        return .unknownTask(id, suggestions: Suggestions.closest(to: id, in: ids), open: open)
    }

    static func skipTask(_ id: String, reason: String, _ state: CaseState, _ context: Context) -> Outcome {
        guard let plan = context.playbook.task(id) else {
            return .failure(unknownTask(id, state, context.playbook, context.now))
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return .failure(.reasonRequired("skipping '\(id)'")) }
        let evaluated = evaluate(state, playbook: context.playbook, now: context.now)
        guard let task = evaluated.task(id), task.phase == state.phase || plan.isObligation else {
            return .failure(.taskNotInCurrentPhase(id, state.phase))
        }
        guard task.isOwed else { return .failure(.taskNotOpen(id, task.status)) }
        var state = state
        state.tasks = evaluated.tasks
        state.updateTask(id) {
            $0.status = .skipped
            $0.completedBy = context.actor
            $0.completedAt = context.now
            $0.reason = trimmed
        }
        return .success((state, [IncidentEvent(.taskSkipped, ["task": id])]))
    }

    static func approveGate(_ state: CaseState, _ context: Context) -> Outcome {
        guard context.playbook.plan(for: state.phase)?.gate != nil else { return .failure(.noGate(state.phase)) }
        var state = state
        state.gateApproved = true
        state.facts.instants["approved"] = context.now
        return .success((state, [IncidentEvent(.gateApproved, ["phase": state.phase.rawValue])]))
    }

    static func advance(force: String?, _ state: CaseState, _ context: Context) -> Outcome {
        guard state.phase != .notify, let index = Phase.allCases.firstIndex(of: state.phase) else {
            return .failure(.closeToLeaveNotify)
        }
        let evaluated = evaluate(state, playbook: context.playbook, now: context.now)
        if let refusal = blockers(evaluated, playbook: context.playbook), force == nil {
            return .failure(refusal)
        }
        let next = Phase.allCases[index + 1]
        var state = evaluated
        var events: [IncidentEvent] = []
        if let force {
            switch forced(force, "forcing the move", &state, context) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let forcedEvents): events += forcedEvents
            }
        }
        state.phase = next
        state.gateApproved = false
        state.facts.instants["phase:\(next.rawValue)"] = context.now
        events.append(IncidentEvent(.phaseEntered, ["phase": next.rawValue]))
        return .success((state, events))
    }

    /// A manager's move past what is missing (`what` names it in the refusal): it needs a
    /// reason, and every task left behind is skipped with that reason.
    static func forced(
        _ force: String,
        _ what: String,
        _ state: inout CaseState,
        _ context: Context,
        closing: Bool = false
    ) -> Result<[IncidentEvent], WorkflowRefusal> {
        let reason = force.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { return .failure(.reasonRequired(what)) }
        let from = IncidentEvent(.phaseForced, ["from": state.phase.rawValue])
        let skipped = leaveBehind(
            &state,
            playbook: context.playbook,
            actor: context.actor,
            now: context.now,
            reason: reason,
            closing: closing
        )
        return .success([from] + skipped)
    }

    static func pauseClocks(_ request: PauseRequest, _ state: CaseState, _ context: Context) -> Outcome {
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { return .failure(.reasonRequired("pausing the clocks")) }
        let running = runningRegimes(
            evaluate(state, playbook: context.playbook, now: context.now),
            playbook: context.playbook
        )
        let outcome = pauses(
            request,
            running: running,
            state: state,
            playbook: context.playbook,
            actor: context.actor,
            now: context.now,
            reason: reason
        )
        return outcome.map { added in
            var state = state
            state.pauses += added
            let paused = Set(added.compactMap(\.regime))
            var data = [
                "basis": request.basis, "regimes": added.compactMap(\.regime).joined(separator: ","),
                "running": running.filter { !paused.contains($0) }.joined(separator: ","),
            ]
            if let until = added.compactMap(\.until).min() { data["until"] = until.formatted(.iso8601) }
            return (state, [IncidentEvent(.clockPaused, data)])
        }
    }

    static func resumeClocks(regimes: [String], reason: String, _ state: CaseState, _ context: Context) -> Outcome {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(.reasonRequired("resuming the clocks"))
        }
        if let refusal = unknownRegime(in: regimes, playbook: context.playbook) { return .failure(refusal) }
        var state = state
        var lifted: [String] = []
        for index in state.pauses.indices where state.pauses[index].isRunning(at: context.now) {
            let pause = state.pauses[index]
            guard regimes.isEmpty || pause.regime.map(regimes.contains) == true else { continue }
            state.pauses[index].endedAt = context.now
            state.pauses[index].endedBy = context.actor
            lifted.append(pause.regime ?? "every clock")
        }
        guard !lifted.isEmpty else { return .failure(.notPaused) }
        return .success((state, [IncidentEvent(.clockResumed, ["regimes": lifted.joined(separator: ",")])]))
    }

    static func close(
        resolution: String,
        lessonsLearned: String,
        force: String?,
        _ state: CaseState,
        _ context: Context
    ) -> Outcome {
        let resolution = resolution.trimmingCharacters(in: .whitespacesAndNewlines)
        let lessons = lessonsLearned.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !resolution.isEmpty else { return .failure(.reasonRequired("closing (a resolution)")) }
        guard !lessons.isEmpty else { return .failure(.reasonRequired("closing (the lessons learned)")) }
        let evaluated = evaluate(state, playbook: context.playbook, now: context.now)
        var state = evaluated
        var events: [IncidentEvent] = []
        if let force {
            switch forced(force, "forcing the close", &state, context, closing: true) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let forcedEvents): events += forcedEvents
            }
        } else {
            guard state.phase == .notify else { return .failure(.closeOnlyFromNotify(state.phase)) }
            if let refusal = blockers(evaluated, playbook: context.playbook) { return .failure(refusal) }
        }
        state.phase = .closed
        state.resolution = resolution
        state.lessonsLearned = lessons
        state.facts.instants["phase:closed"] = context.now
        events.append(IncidentEvent(.incidentClosed))
        return .success((state, events))
    }

    static func reopen(reason: String, _ state: CaseState, _ context: Context) -> Outcome {
        guard state.phase == .closed else { return .failure(.notClosed) }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(.reasonRequired("reopening"))
        }
        var state = state
        state.phase = .notify
        state.facts.instants["phase:notify"] = context.now
        return .success((state, [IncidentEvent(.incidentReopened)]))
    }
}

extension CaseState {
    fileprivate mutating func updateTask(_ id: String, _ change: (inout TaskState) -> Void) {
        if let index = tasks.firstIndex(where: { $0.id == id }) { change(&tasks[index]) }
    }
}
