import Foundation

/// The emergency plan for one kind of incident: who does what, by when, in each phase.
public struct Playbook: Sendable, Equatable {
    public var name: String
    public var version: String
    public var title: String
    /// The playbook for reports no other playbook matches.
    public var isDefault: Bool
    public var match: Match
    /// Facts tasks may capture beyond the built-in ones.
    public var fields: [FieldDeclaration]
    /// Instants tasks record when a decision is taken (`assessed`, `material`).
    public var instants: [String]
    /// Hooks the playbook fires; each must exist in the daemon's hook configuration.
    public var hooks: [String]
    public var phases: [PhasePlan]
    public var escalations: [Escalation]
    /// SHA-256 of the source text, hex: an incident keeps the exact version it started with.
    public var digest: String
    /// The YAML it was loaded from.
    public var source: String
    /// Days a closed incident keeps its personal data before `purge` removes it; nil: the
    /// daemon's `retentionDays`.
    public var retentionDays: Int? = nil
    /// The legal regimes the playbook includes, in the order it lists them.
    public var regimes: [RegimeSummary] = []
    /// Facts about the organisation that hold for every incident (`nis2Entity`, `secRegistrant`),
    /// from the daemon's `organisation` setting: a new incident starts with them, and tasks need
    /// not capture them again. Not part of the digest: they are the organisation's, not the law's.
    public var presetFacts: [String: FactValue] = [:]

    /// Sets `presetFacts` from the organisation's facts, as text, for the fields this playbook
    /// declares; returns the names it does not declare and the values its fields refuse.
    public mutating func preset(_ organisation: [String: String]) -> (undeclared: [String], refused: [String: String]) {
        var undeclared: [String] = []
        var refused: [String: String] = [:]
        presetFacts = [:]
        for (name, text) in organisation.sorted(by: { $0.key < $1.key }) {
            guard let field = fields.first(where: { $0.name == name }) else {
                undeclared.append(name)
                continue
            }
            guard let value = FactValue.parse(text, as: field.type) else {
                refused[name] = text
                continue
            }
            presetFacts[name] = value
        }
        return (undeclared, refused)
    }

    public init(
        name: String,
        version: String,
        title: String,
        isDefault: Bool,
        match: Match,
        fields: [FieldDeclaration],
        instants: [String],
        hooks: [String],
        phases: [PhasePlan],
        escalations: [Escalation],
        digest: String,
        source: String
    ) {
        self.name = name
        self.version = version
        self.title = title
        self.isDefault = isDefault
        self.match = match
        self.fields = fields
        self.instants = instants
        self.hooks = hooks
        self.phases = phases
        self.escalations = escalations
        self.digest = digest
        self.source = source
    }

    public func plan(for phase: Phase) -> PhasePlan? {
        phases.first { $0.phase == phase }
    }

    public var allTasks: [TaskPlan] { phases.flatMap(\.tasks) }

    public func task(_ id: String) -> TaskPlan? {
        allTasks.first { $0.id == id }
    }

    public func regime(_ name: String) -> RegimeSummary? {
        regimes.first { $0.name == name }
    }

    public func field(_ name: String) -> FieldDeclaration? {
        fields.first { $0.name == name } ?? FieldDeclaration.builtIn.first { $0.name == name }
    }

    /// Which reports a playbook takes. Every list given must match; an empty list matches all.
    public struct Match: Sendable, Equatable {
        public var categories: [IncidentCategory]
        /// Any of these data categories.
        public var dataCategories: [DataCategory]
        public var severities: [Severity]
        /// Any of these jurisdictions.
        public var jurisdictions: [Jurisdiction]

        public init(
            categories: [IncidentCategory] = [],
            dataCategories: [DataCategory] = [],
            severities: [Severity] = [],
            jurisdictions: [Jurisdiction] = []
        ) {
            self.categories = categories
            self.dataCategories = dataCategories
            self.severities = severities
            self.jurisdictions = jurisdictions
        }

        public var isEmpty: Bool {
            categories.isEmpty && dataCategories.isEmpty && severities.isEmpty && jurisdictions.isEmpty
        }

        public func matches(_ incident: Incident) -> Bool {
            (categories.isEmpty || incident.category.map(categories.contains) == true)
                && (dataCategories.isEmpty || incident.dataCategories.contains(where: dataCategories.contains))
                && (severities.isEmpty || severities.contains(incident.severity))
                && (jurisdictions.isEmpty || incident.jurisdictions.contains(where: jurisdictions.contains))
        }

        /// How specific the match is, so the most specific matching playbook wins.
        public var specificity: Int {
            [categories.isEmpty, dataCategories.isEmpty, severities.isEmpty, jurisdictions.isEmpty].filter { !$0 }.count
        }
    }
}

/// A fact a task can capture.
public struct FieldDeclaration: Sendable, Equatable {
    public enum FieldType: Sendable, Equatable {
        case integer
        case boolean
        case text
        case instant
        case choice([String])
        case categories([String])
        /// A count per jurisdiction (`{US: 600, DE: 40}`).
        case counts
    }

    public var name: String
    public var type: FieldType
    /// A decision: a boolean kept with who took it, when and why.
    public var isDecision: Bool
    /// Personal data: encrypted at rest and masked in exports (once protection is built).
    public var isSensitive: Bool

    public init(name: String, type: FieldType, isDecision: Bool = false, isSensitive: Bool = false) {
        self.name = name
        self.type = type
        self.isDecision = isDecision
        self.isSensitive = isSensitive
    }

    /// The incident's own triage attributes, which conditions and captures may use.
    public static let builtIn: [FieldDeclaration] = [
        FieldDeclaration(name: "severity", type: .choice(Severity.allCases.map(\.rawValue))),
        FieldDeclaration(name: "category", type: .choice(IncidentCategory.allCases.map(\.rawValue))),
        FieldDeclaration(name: "dataCategories", type: .categories(DataCategory.allCases.map(\.rawValue))),
        FieldDeclaration(name: "jurisdictions", type: .categories([])),
        FieldDeclaration(name: "peopleAffected", type: .integer),
        FieldDeclaration(name: "recordsAffected", type: .integer),
        FieldDeclaration(name: "peopleAffectedIn", type: .counts),
        FieldDeclaration(name: "restricted", type: .boolean),
    ]
}

/// The tasks of one phase and the gate that closes it.
public struct PhasePlan: Sendable, Equatable {
    public var phase: Phase
    public var tasks: [TaskPlan]
    /// Leaving the phase needs approval by this role.
    public var gate: Role?

    public init(phase: Phase, tasks: [TaskPlan], gate: Role?) {
        self.phase = phase
        self.tasks = tasks
        self.gate = gate
    }
}

/// When a task falls due: a duration after a named instant.
public struct Clock: Sendable, Equatable, CustomStringConvertible {
    public var duration: ClockDuration
    public var after: String
    /// Counts from the end of the calendar year (UTC) the instant falls in, as HIPAA's annual
    /// log does (45 CFR 164.408(c)): `60d after year-end of discovered`.
    public var fromYearEnd: Bool

    public init(duration: ClockDuration, after: String, fromYearEnd: Bool = false) {
        self.duration = duration
        self.after = after
        self.fromYearEnd = fromYearEnd
    }

    public var description: String { "\(duration) after \(fromYearEnd ? "year-end of " : "")\(after)" }

    /// The instant the clock counts from, given its instant's value: that instant, or the last
    /// moment of its calendar year.
    public func start(from instant: Date) -> Date {
        guard fromYearEnd else { return instant }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let year = calendar.component(.year, from: instant)
        let next = calendar.date(from: DateComponents(year: year + 1, month: 1, day: 1))!
        return next.addingTimeInterval(-1)
    }

    /// The built-in instants; playbooks add the ones their tasks record.
    public static let builtInInstants = ["reported", "aware", "discovered", "phase", "approved"]
}

public struct TaskPlan: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String
    public var role: Role
    public var required: Bool
    public var when: Condition?
    public var due: Clock?
    /// Fields that must be given when the task is completed.
    public var captures: [String]
    /// The instant recorded when the task is completed.
    public var records: String?
    /// For notify-phase tasks: the notification this task makes.
    public var notification: NotificationRecipient?
    /// Hooks fired when the task is completed.
    public var hooks: [String]
    /// Marked `obligation: true`: a legal duty with a deadline, like every notification task.
    public var obligation: Bool = false
    /// The regime file the task comes from; nil for the playbook's own tasks. A clock pause
    /// moves only the tasks of the regimes it names.
    public var regime: String? = nil
    /// For notification tasks: what the notice must hold and how it is written.
    public var notice: NoticePlan? = nil
    /// `doneWhen: assigned`: assigning the incident completes the task (an acknowledgement
    /// that asks the manager to assign an investigator), by whoever assigned it.
    public var doneWhenAssigned: Bool = false

    /// A legal duty: it opens from its trigger in any phase, its clock visible from the start.
    public var isObligation: Bool { obligation || notification != nil }

    public init(
        id: String,
        title: String,
        description: String = "",
        role: Role,
        required: Bool = true,
        when: Condition? = nil,
        due: Clock? = nil,
        captures: [String] = [],
        records: String? = nil,
        notification: NotificationRecipient? = nil,
        hooks: [String] = []
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.role = role
        self.required = required
        self.when = when
        self.due = due
        self.captures = captures
        self.records = records
        self.notification = notification
        self.hooks = hooks
    }
}

/// What a playbook keeps of a regime file beyond its tasks: its name, title and the clock
/// pauses the law allows.
public struct RegimeSummary: Sendable, Equatable {
    public var name: String
    public var title: String
    /// Each basis on which the law lets notification wait; empty when it allows no delay.
    public var pauses: [PauseRule]

    public init(name: String, title: String, pauses: [PauseRule] = []) {
        self.name = name
        self.title = title
        self.pauses = pauses
    }

    public func pauseRule(_ basis: String) -> PauseRule? {
        pauses.first { $0.basis == basis }
    }
}

/// A delay a law allows, such as HIPAA's law-enforcement delay (45 CFR 164.412).
public struct PauseRule: Sendable, Equatable {
    /// How long the pause may last.
    public enum Cap: Sendable, Equatable, CustomStringConvertible {
        /// The period the requester states (a written request): the pause needs an end.
        case stated
        /// At most this long from the pause's start.
        case atMost(ClockDuration)
        /// Until the requester says notice no longer impedes them; an end is optional.
        case open

        public var description: String {
            switch self {
            case .stated: "the period stated"
            case .atMost(let duration): "at most \(duration)"
            case .open: "until lifted"
            }
        }
    }

    /// The shared name of the basis, such as `law-enforcement-written`: one pause can name it
    /// for every regime that allows it.
    public var basis: String
    public var cap: Cap
    /// The article that allows it.
    public var cite: String
    /// The regime's tasks it moves, when the law delays only some notices (PDPA: the
    /// individuals', not the Commission's); empty: all of them.
    public var tasks: [String]

    public init(basis: String, cap: Cap, cite: String, tasks: [String] = []) {
        self.basis = basis
        self.cap = cap
        self.cite = cite
        self.tasks = tasks
    }
}

/// Who a notification goes to.
public enum NotificationRecipient: String, Sendable, Codable, CaseIterable, Equatable {
    case authority
    case individuals
    case partner
    case media
    case controller
}

/// A hook fired when a task becomes due soon or overdue.
public struct Escalation: Sendable, Equatable {
    public enum Trigger: String, Sendable, CaseIterable {
        case dueSoon = "due_soon"
        case overdue
    }

    public var trigger: Trigger
    public var task: String
    public var hook: String

    public init(trigger: Trigger, task: String, hook: String) {
        self.trigger = trigger
        self.task = task
        self.hook = hook
    }
}
