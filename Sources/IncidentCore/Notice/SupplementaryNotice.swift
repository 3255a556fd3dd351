import Foundation

/// A notice sent with elements the law lets follow later (GDPR Art. 33(4), China's
/// supplementary reports) leaves a supplementary notice owed. The loader adds, beside each
/// notification task whose notice has such elements, the task that sends it: it opens when
/// the first notice is sent with deferrals, every element is then required, and its clock is
/// the regime's `supplement: {due: …}` where the law sets one. Where the law has its own later
/// report, `supplement: {by: TASK}` names it instead.
extension TaskPlan {
    /// The instant recorded when the task's notice is sent with elements deferred; a
    /// supplement's `due: … after sent` counts from it.
    public static func deferralInstant(of task: String) -> String { "deferred:\(task)" }

    /// The id of the supplementary notice's task.
    public static func supplementID(of task: String) -> String { "\(task)-supplement" }

    /// The task that sends the supplementary notice; nil when nothing of the notice may follow,
    /// or when a later report of the law's own gives it (``NoticePlan/supplementedBy``).
    public var supplement: TaskPlan? {
        guard let notice, let notification, notice.supplementedBy == nil else { return nil }
        var provisions: [String] = []
        for provision in notice.elements.compactMap(\.later) where !provisions.contains(provision) {
            provisions.append(provision)
        }
        guard !provisions.isEmpty else { return nil }
        let timing =
            notice.supplementDue.map { "It is due \($0.duration) after the first notice was sent." }
            ?? "The law sets no time for it: send it as soon as what was deferred is known."
        var task = TaskPlan(
            id: Self.supplementID(of: id),
            title: "Supplementary notice owed: \(title)",
            description:
                "The notice of task \(id) was sent with elements deferred under \(provisions.joined(separator: ", ")). "
                + "Send what was deferred in a supplementary notice. \(timing)",
            role: role,
            required: required,
            when: .recorded(instant: Self.deferralInstant(of: id)),
            due: notice.supplementDue,
            notification: notification,
            hooks: hooks
        )
        task.obligation = true
        task.regime = regime
        var plan = notice
        plan.elements = notice.elements.map { element in
            var required = element
            required.later = nil
            return required
        }
        plan.supplementDue = nil
        plan.isSupplement = true
        task.notice = plan
        return task
    }
}

extension PhasePlan {
    /// The phase's tasks, each followed by the supplementary notice's task it may leave owed.
    var withSupplements: PhasePlan {
        var plan = self
        plan.tasks = tasks.flatMap { task in [task] + (task.supplement.map { [$0] } ?? []) }
        return plan
    }
}
