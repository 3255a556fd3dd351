import Foundation
import IncidentCore
import IncidentProtocol

extension Output {
    /// How long before its deadline a task counts as due soon.
    static let dueSoonLead: TimeInterval = 24 * 3600

    /// The case file: header and facts, decisions with reasons, tasks by phase with due and
    /// overdue marks, the notification ledger with what is still owed.
    func caseFile(_ file: WorkflowWire.CaseFileReply) -> String {
        var sections = [incident(file.incident)]
        if let playbook = file.incident.playbook {
            sections.append(
                "  " + tr("Playbook: %s (version %s)", playbook, file.incident.playbookVersion ?? "?")
                    + (file.clocksPaused == true ? "   " + paint(tr("CLOCKS PAUSED"), .yellow) : "")
            )
        }
        let estimated = Set(file.estimated ?? [])
        if !estimated.isEmpty {
            sections.append("  " + tr("Estimates, not yet figures: %s", estimated.sorted().joined(separator: ", ")))
        }
        if let facts = file.facts, !facts.isEmpty {
            let width = facts.keys.map(\.count).max() ?? 0
            sections.append(
                ([tr("Facts")]
                    + facts.keys.sorted().map {
                        "  \($0)" + String(repeating: " ", count: width - $0.count)
                            + "  \(estimated.contains($0) ? "~" : "")\(facts[$0]!)"
                    }).joined(separator: "\n")
            )
        }
        if let decisions = file.decisions, !decisions.isEmpty {
            sections.append(
                ([tr("Decisions")]
                    + decisions.flatMap {
                        DisplayWidth.wrap(
                            tr(
                                "%s: %s — %s, %s: %s",
                                $0.name,
                                $0.value ? tr("yes") : tr("no"),
                                $0.by,
                                time($0.at),
                                $0.reason
                            ),
                            first: "  ",
                            rest: "    ",
                            width: width
                        )
                    }).joined(separator: "\n")
            )
        }
        sections += taskSections(file)
        if let notifications = notificationSection(file) { sections.append(notifications) }
        if let pauses = pauseSection(file) { sections.append(pauses) }
        if let resolution = file.resolution {
            sections.append(
                tr("Resolution") + "\n  \(resolution)\n" + tr("Lessons learned") + "\n  \(file.lessonsLearned ?? "")"
            )
        }
        if let next = nextSteps(file) { sections.append(next) }
        return sections.joined(separator: "\n\n")
    }

    /// What happens next, last on the screen: the current phase's open tasks, required and
    /// soonest due first, with who must do each and when; then the gate's approval or the move
    /// to the next phase. Nothing once the incident is closed.
    func nextSteps(_ file: WorkflowWire.CaseFileReply) -> String? {
        let incident = file.incident
        guard incident.phase.isOpen, let tasks = file.tasks else { return nil }
        let open = tasks.filter { $0.phase == incident.phase && ($0.status == .open || $0.status == .possiblyOwed) }
            .sorted {
                ($0.required ? 0 : 1, $0.due ?? .distantFuture) < ($1.required ? 0 : 1, $1.due ?? .distantFuture)
            }
        let shown = 3
        var steps = open.prefix(shown).map { task in
            var who = task.role.rawValue
            if task.role == .investigator, let assignee = incident.assignee { who += " \(assignee)" }
            return task.id + tr(" (%s)", who + (when(task).map { tr(", ") + $0 } ?? ""))
        }
        if open.count > shown { steps.append(tr("%s more", String(open.count - shown))) }
        let after: String
        if let approver = file.gatePending {
            after = tr("a %s approves (%s)", approver.rawValue, "incidentctl approve \(incident.reference)")
        } else if let next = Phase.allCases.first(where: { $0 > incident.phase }) {
            after =
                next == .closed
                ? tr("close it (%s)", "incidentctl close \(incident.reference)")
                : tr("advance to %s (%s)", next.rawValue, "incidentctl advance \(incident.reference)")
        } else {
            return nil
        }
        let text =
            steps.isEmpty ? tr("Next: %s.", after) : tr("Next: %s; then %s.", steps.joined(separator: tr(", ")), after)
        return DisplayWidth.wrap(text, first: "", rest: "  ", width: width).joined(separator: "\n")
    }

    /// When an open task is due, in a few words: paused, overdue, due in; nil without a deadline.
    private func when(_ task: WorkflowWire.Task) -> String? {
        if task.paused == true { return tr("paused") }
        guard let due = task.due else { return nil }
        if due < now { return tr("overdue by %s", span(due)) }
        return tr("due %s", relative(due))
    }

    /// The tasks, one section per phase entered.
    func taskSections(_ file: WorkflowWire.CaseFileReply) -> [String] {
        guard let tasks = file.tasks else { return [] }
        var sections: [String] = []
        for phase in Phase.allCases where phase != .closed {
            let inPhase = tasks.filter { $0.phase == phase }
            guard !inPhase.isEmpty else { continue }
            var lines = [
                tr("Tasks: %s", phase.rawValue)
                    + (phase == file.incident.phase && file.gatePending != nil
                        ? "   " + tr("(gate: needs a %s's approval)", file.gatePending!.rawValue) : "")
            ]
            for task in inPhase {
                // The task id is typed back, so only the title is shortened to fit.
                let head = "  \(mark(task)) \(task.id)  "
                lines.append((head + fit(task.title, max(12, width - DisplayWidth.of(head)))).trimmingTrailingSpaces())
                var details = ["\(task.role.rawValue)", status(task)]
                if !task.required { details.append(tr("optional")) }
                if !task.captures.isEmpty, task.status == .open || task.status == .possiblyOwed {
                    details.append(tr("needs %s", task.captures.joined(separator: ", ")))
                }
                lines += DisplayWidth.wrap(
                    details.joined(separator: " · "),
                    first: "      ",
                    rest: "        ",
                    width: width
                )
            }
            sections.append(lines.joined(separator: "\n"))
        }
        return sections
    }

    /// The notification ledger: made, and still owed.
    func notificationSection(_ file: WorkflowWire.CaseFileReply) -> String? {
        guard let tasks = file.tasks else { return nil }
        let owed = tasks.filter { $0.notification != nil && ($0.status == .open || $0.status == .possiblyOwed) }
        let made = file.notifications ?? []
        guard !owed.isEmpty || !made.isEmpty else { return nil }
        var lines = [tr("Notifications")]
        for record in made {
            lines.append(
                "  " + tr("made") + "  "
                    + tr(
                        "%s — %s by %s, %s",
                        record.kind.rawValue,
                        record.recipient,
                        record.channel,
                        time(record.sentAt)
                    )
                    + (record.reference.map { tr(", ref %s", $0) } ?? "")
                    + (record.lateReason.map { " " + tr("(late: %s)", $0) } ?? "")
            )
            if let digest = record.contentDigest {
                lines.append(
                    "        sha256 \(digest.prefix(16))…  incidentctl notice show \(file.incident.reference) \(record.task)"
                )
            }
        }
        for task in owed {
            lines.append("  " + tr("owed") + "  \(task.notification!.rawValue) — \(task.id), \(status(task))")
        }
        return lines.joined(separator: "\n")
    }

    /// Every pause of the clocks, and which keep running.
    func pauseSection(_ file: WorkflowWire.CaseFileReply) -> String? {
        guard let pauses = file.pauses, !pauses.isEmpty else { return nil }
        var lines = [tr("Clock pauses")]
        for pause in pauses {
            let end: String
            if let ended = pause.endedAt {
                end = tr("ended %s", time(ended)) + (pause.endedBy.map { " " + tr("by %s", $0) } ?? "")
            } else if let until = pause.until {
                end =
                    until > now
                    ? paint(tr("running"), .yellow) + " " + tr("until %s", time(until)) : tr("ended %s", time(until))
            } else {
                end = paint(tr("running"), .yellow) + " " + tr("until resumed")
            }
            lines.append(
                "  "
                    + tr(
                        "%s — %s, from %s by %s, %s",
                        pause.regime ?? tr("every clock"),
                        pause.basis,
                        time(pause.since),
                        pause.by,
                        end
                    )
            )
            if !pause.reason.isEmpty { lines.append("      \(pause.reason)") }
        }
        let paused = Set(pauses.filter { $0.isRunning(at: now) }.compactMap(\.regime))
        let running = (file.runningRegimes ?? []).filter { !paused.contains($0) }
        if !paused.isEmpty, !running.isEmpty {
            lines.append("  " + tr("Still running: %s", running.joined(separator: ", ")))
        }
        return lines.joined(separator: "\n")
    }

    func mark(_ task: WorkflowWire.Task) -> String {
        switch task.status {
        case .done: return "[x]"
        case .skipped: return "[-]"
        case .notApplicable: return "[·]"
        case .open, .possiblyOwed:
            guard let due = task.due, task.paused != true else { return "[ ]" }
            if due < now { return paint("[!]", .red) }
            return "[ ]"
        }
    }

    func status(_ task: WorkflowWire.Task) -> String {
        switch task.status {
        case .done: return tr("done by %s, %s", task.completedBy ?? "?", task.completedAt.map(time) ?? "")
        case .skipped: return tr("skipped: %s", task.reason ?? "")
        case .notApplicable: return tr("not applicable")
        case .open, .possiblyOwed:
            let possibly =
                task.status == .possiblyOwed
                ? paint(tr("possibly owed"), .yellow) + " "
                    + tr("(settled by %s), ", (task.settledBy ?? []).joined(separator: ", "))
                : ""
            return possibly + clock(task)
        }
    }

    /// Where an owed task's clock stands.
    func clock(_ task: WorkflowWire.Task) -> String {
        if task.paused == true {
            let until = task.pausedUntil.map { tr("paused until %s", time($0)) } ?? tr("paused until resumed")
            return paint(until, .yellow)
                + (task.due.map { task.pausedUntil == nil ? "" : tr(", then due %s", time($0)) } ?? "")
        }
        guard let due = task.due else {
            return task.status == .possiblyOwed ? tr("no deadline") : tr("open, no deadline")
        }
        if due < now { return paint(tr("OVERDUE %s", span(due)), .red) + " " + tr("(due %s)", time(due)) }
        if due.timeIntervalSince(now) < Self.dueSoonLead {
            return paint(tr("due soon: %s", relative(due)), .yellow) + tr(" (%s)", time(due))
        }
        return tr("due %s", relative(due)) + tr(" (%s)", time(due))
    }
}
