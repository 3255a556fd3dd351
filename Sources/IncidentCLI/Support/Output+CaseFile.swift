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
                "  Playbook: \(playbook) (version \(file.incident.playbookVersion ?? "?"))"
                    + (file.clocksPaused == true ? "   " + paint("CLOCKS PAUSED", .yellow) : "")
            )
        }
        let estimated = Set(file.estimated ?? [])
        if !estimated.isEmpty {
            sections.append("  Estimates, not yet figures: " + estimated.sorted().joined(separator: ", "))
        }
        if let facts = file.facts, !facts.isEmpty {
            let width = facts.keys.map(\.count).max() ?? 0
            sections.append(
                (["Facts"]
                    + facts.keys.sorted().map {
                        "  \($0)" + String(repeating: " ", count: width - $0.count)
                            + "  \(estimated.contains($0) ? "~" : "")\(facts[$0]!)"
                    }).joined(separator: "\n")
            )
        }
        if let decisions = file.decisions, !decisions.isEmpty {
            sections.append(
                (["Decisions"]
                    + decisions.flatMap {
                        Self.wrap(
                            "\($0.name): \($0.value ? "yes" : "no") — \($0.by), \(time($0.at)): \($0.reason)",
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
            sections.append("Resolution\n  \(resolution)\nLessons learned\n  \(file.lessonsLearned ?? "")")
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
            return "\(task.id) (\(who)\(when(task).map { ", " + $0 } ?? ""))"
        }
        if open.count > shown { steps.append("\(open.count - shown) more") }
        let after: String
        if let approver = file.gatePending {
            after = "a \(approver.rawValue) approves (incidentctl approve \(incident.reference))"
        } else if let next = Phase.allCases.first(where: { $0 > incident.phase }) {
            after =
                next == .closed
                ? "close it (incidentctl close \(incident.reference))"
                : "advance to \(next.rawValue) (incidentctl advance \(incident.reference))"
        } else {
            return nil
        }
        let text = steps.isEmpty ? "Next: \(after)." : "Next: \(steps.joined(separator: ", ")); then \(after)."
        return Self.wrap(text, first: "", rest: "  ", width: width).joined(separator: "\n")
    }

    /// When an open task is due, in a few words: paused, overdue, due in; nil without a deadline.
    private func when(_ task: WorkflowWire.Task) -> String? {
        if task.paused == true { return "paused" }
        guard let due = task.due else { return nil }
        if due < now { return "overdue by \(relative(due).replacingOccurrences(of: " ago", with: ""))" }
        return "due \(relative(due))"
    }

    /// The tasks, one section per phase entered.
    func taskSections(_ file: WorkflowWire.CaseFileReply) -> [String] {
        guard let tasks = file.tasks else { return [] }
        var sections: [String] = []
        for phase in Phase.allCases where phase != .closed {
            let inPhase = tasks.filter { $0.phase == phase }
            guard !inPhase.isEmpty else { continue }
            var lines = [
                "Tasks: \(phase.rawValue)"
                    + (phase == file.incident.phase && file.gatePending != nil
                        ? "   (gate: needs a \(file.gatePending!.rawValue)'s approval)" : "")
            ]
            for task in inPhase {
                // The task id is typed back, so only the title is shortened to fit.
                let head = "  \(mark(task)) \(task.id)  "
                lines.append((head + fit(task.title, max(12, width - DisplayWidth.of(head)))).trimmingTrailingSpaces())
                var details = ["\(task.role.rawValue)", status(task)]
                if !task.required { details.append("optional") }
                if !task.captures.isEmpty, task.status == .open || task.status == .possiblyOwed {
                    details.append("needs \(task.captures.joined(separator: ", "))")
                }
                lines += Self.wrap(details.joined(separator: " · "), first: "      ", rest: "        ", width: width)
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
        var lines = ["Notifications"]
        for record in made {
            lines.append(
                "  made  \(record.kind.rawValue) — \(record.recipient) by \(record.channel), \(time(record.sentAt))"
                    + (record.reference.map { ", ref \($0)" } ?? "")
                    + (record.lateReason.map { " (late: \($0))" } ?? "")
            )
            if let digest = record.contentDigest {
                lines.append(
                    "        sha256 \(digest.prefix(16))…  incidentctl notice show \(file.incident.reference) \(record.task)"
                )
            }
        }
        for task in owed {
            lines.append("  owed  \(task.notification!.rawValue) — \(task.id), \(status(task))")
        }
        return lines.joined(separator: "\n")
    }

    /// Every pause of the clocks, and which keep running.
    func pauseSection(_ file: WorkflowWire.CaseFileReply) -> String? {
        guard let pauses = file.pauses, !pauses.isEmpty else { return nil }
        var lines = ["Clock pauses"]
        for pause in pauses {
            let end: String
            if let ended = pause.endedAt {
                end = "ended \(time(ended))" + (pause.endedBy.map { " by \($0)" } ?? "")
            } else if let until = pause.until {
                end = until > now ? paint("running", .yellow) + " until \(time(until))" : "ended \(time(until))"
            } else {
                end = paint("running", .yellow) + " until resumed"
            }
            lines.append(
                "  \(pause.regime ?? "every clock") — \(pause.basis), from \(time(pause.since)) by \(pause.by), \(end)"
            )
            if !pause.reason.isEmpty { lines.append("      \(pause.reason)") }
        }
        let paused = Set(pauses.filter { $0.isRunning(at: now) }.compactMap(\.regime))
        let running = (file.runningRegimes ?? []).filter { !paused.contains($0) }
        if !paused.isEmpty, !running.isEmpty { lines.append("  Still running: \(running.joined(separator: ", "))") }
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
        case .done: return "done by \(task.completedBy ?? "?"), \(task.completedAt.map(time) ?? "")"
        case .skipped: return "skipped: \(task.reason ?? "")"
        case .notApplicable: return "not applicable"
        case .open, .possiblyOwed:
            let possibly =
                task.status == .possiblyOwed
                ? paint("possibly owed", .yellow) + " (settled by \((task.settledBy ?? []).joined(separator: ", "))), "
                : ""
            return possibly + clock(task)
        }
    }

    /// Where an owed task's clock stands.
    func clock(_ task: WorkflowWire.Task) -> String {
        if task.paused == true {
            let until = task.pausedUntil.map { "paused until \(time($0))" } ?? "paused until resumed"
            return paint(until, .yellow)
                + (task.due.map { task.pausedUntil == nil ? "" : ", then due \(time($0))" } ?? "")
        }
        guard let due = task.due else { return task.status == .possiblyOwed ? "no deadline" : "open, no deadline" }
        if due < now {
            return paint("OVERDUE \(relative(due).replacingOccurrences(of: " ago", with: ""))", .red)
                + " (due \(time(due)))"
        }
        if due.timeIntervalSince(now) < Self.dueSoonLead {
            return paint("due soon: \(relative(due))", .yellow) + " (\(time(due)))"
        }
        return "due \(relative(due)) (\(time(due)))"
    }
}
