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
        id: String,
        phase: Phase,
        status: Status,
        due: Date? = nil,
        completedBy: String? = nil,
        completedAt: Date? = nil,
        reason: String? = nil
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
    /// The notice sent, for a task that has one: the exact text and what it held. Not part of
    /// the ledger's wire form: `io.incidentd.Notices.Show` gives it to those who may read it.
    public var notice: SentNotice?

    enum CodingKeys: String, CodingKey {
        case task, kind, recipient, channel, sentAt, by, reference, contentDigest, lateReason
    }

    public init(
        task: String,
        kind: NotificationRecipient,
        recipient: String,
        channel: String,
        sentAt: Date,
        by: String,
        reference: String? = nil,
        contentDigest: String? = nil,
        lateReason: String? = nil,
        notice: SentNotice? = nil
    ) {
        self.notice = notice
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
        number: Int,
        regime: String?,
        basis: String,
        reason: String,
        by: String,
        since: Date,
        until: Date? = nil,
        endedAt: Date? = nil,
        endedBy: String? = nil
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
        phase: Phase = .report,
        facts: CaseFacts,
        tasks: [TaskState] = [],
        gateApproved: Bool = false,
        pauses: [ClockPause] = [],
        pausedSeconds: Double = 0,
        decisions: [DecisionRecord] = [],
        notifications: [NotificationRecord] = [],
        resolution: String? = nil,
        lessonsLearned: String? = nil
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
