import Foundation
import IncidentCore

/// The case file as `Get` and every workflow command return it.
public enum WorkflowWire {
    public struct Task: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        public var description: String
        public var phase: Phase
        public var role: Role
        public var required: Bool
        public var status: TaskState.Status
        public var due: Date?
        /// Fields to give when completing it.
        public var captures: [String]
        /// For notification tasks: who is to be told.
        public var notification: NotificationRecipient?
        public var completedBy: String?
        public var completedAt: Date?
        public var reason: String?
        /// While possibly owed: the facts (decisions, counts) whose value settles whether it is.
        public var settledBy: [String]?
        /// The regime file the task comes from.
        public var regime: String?
        /// True while a pause of its regime runs; `pausedUntil` is when it ends, if it has an end.
        public var paused: Bool?
        public var pausedUntil: Date?

        public init(plan: TaskPlan, state: TaskState) {
            id = plan.id
            title = plan.title
            description = plan.description
            phase = state.phase
            role = plan.role
            required = plan.required
            status = state.status
            due = state.due
            captures = plan.captures
            notification = plan.notification
            completedBy = state.completedBy
            completedAt = state.completedAt
            reason = state.reason
            settledBy = state.undecided.isEmpty ? nil : state.undecided
            regime = plan.regime
            if let until = state.pausedUntil {
                paused = true
                pausedUntil = until == .distantFuture ? nil : until
            }
        }
    }

    public struct CaseFileReply: Codable, Sendable, Equatable {
        public var incident: Incident
        /// Absent in a reporter's view, which shows the report and where it stands only.
        public var tasks: [Task]?
        public var decisions: [DecisionRecord]?
        public var notifications: [NotificationRecord]?
        /// Captured facts beyond the incident's own attributes, as text.
        public var facts: [String: String]?
        /// The type of each field the playbook declares, its own and the built-in ones: how a
        /// capture of it is sent (`CompleteTask`).
        public var fieldTypes: [String: CaptureType]?
        /// The counts whose value is an estimate (`peopleAffected`, `peopleAffectedIn`…).
        public var estimated: [String]?
        /// The role that must approve the current phase's gate, if it has one and it is not yet approved.
        public var gatePending: Role?
        /// True while any clock of the incident is paused.
        public var clocksPaused: Bool?
        /// Every pause of the incident's clocks, oldest first.
        public var pauses: [ClockPause]?
        /// The regimes the incident's playbook includes, with the delays each law allows.
        public var regimes: [Regime]?
        /// Those of them with a clock running (a task owed or possibly owed), in the playbook's order.
        public var runningRegimes: [String]?
        public var resolution: String?
        public var lessonsLearned: String?

        public init(incident: Incident) {
            self.incident = incident
        }

    }

    public struct UpdateParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var version: Int?
        public var severity: Severity?
        public var category: IncidentCategory?
        public var dataCategories: [DataCategory]?
        public var peopleAffected: Int64?
        public var recordsAffected: Int64?
        public var jurisdictions: [Jurisdiction]?
        /// People affected per jurisdiction (`{"US-CA": 600}`).
        public var peopleAffectedIn: [String: Int64]?
        /// When the breach was first known to anyone in the organisation.
        public var discovered: Date?
        /// The counts given here that are estimates (`peopleAffected`, `recordsAffected`, `peopleAffectedIn`).
        public var estimated: [String]?
        /// Any other field of the playbook that is not a decision, each a value of its type
        /// (the case file's `fieldTypes`): what a notice needs, such as `likelyConsequences`.
        public var values: [String: CaptureValue]?

        public init(reference: IncidentReference, version: Int? = nil) {
            self.reference = reference
            self.version = version
        }

        /// The facts this update sets, by field name, as the workflow takes them.
        public var factValues: [String: FactValue] {
            var values: [String: FactValue] = [:]
            if let severity { values["severity"] = .text(severity.rawValue) }
            if let category { values["category"] = .text(category.rawValue) }
            if let dataCategories { values["dataCategories"] = .set(dataCategories.map(\.rawValue)) }
            if let peopleAffected { values["peopleAffected"] = .number(peopleAffected) }
            if let recordsAffected { values["recordsAffected"] = .number(recordsAffected) }
            if let jurisdictions { values["jurisdictions"] = .set(jurisdictions.map(\.rawValue)) }
            if let peopleAffectedIn { values["peopleAffectedIn"] = .counts(peopleAffectedIn) }
            if let discovered { values[CaseFacts.discovered] = .instant(discovered) }
            return values
        }
    }

    public typealias NotificationParameters = WorkflowCommand.NotificationDetails

    public struct CompleteTaskParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var task: String
        /// Captured fields, each a value of its type (the case file's `fieldTypes`).
        public var values: [String: CaptureValue]?
        /// The captured counts that are estimates.
        public var estimated: [String]?
        /// Deprecated, accepted until 2.0: captured fields as text, parsed by each field's type
        /// (`~1200` an estimate), as 0.x sent them.
        public var captures: [String: String]?
        public var reason: String?
        public var notification: NotificationParameters?
        public var version: Int?

        public init(
            reference: IncidentReference,
            task: String,
            values: [String: CaptureValue]? = nil,
            estimated: [String]? = nil,
            captures: [String: String]? = nil,
            reason: String? = nil,
            notification: NotificationParameters? = nil,
            version: Int? = nil
        ) {
            self.reference = reference
            self.task = task
            self.values = values
            self.estimated = estimated
            self.captures = captures
            self.reason = reason
            self.notification = notification
            self.version = version
        }
    }

    public struct SkipTaskParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var task: String
        public var reason: String
        public var version: Int?

        public init(reference: IncidentReference, task: String, reason: String, version: Int? = nil) {
            self.reference = reference
            self.task = task
            self.reason = reason
            self.version = version
        }
    }

    /// For Approve, Advance, Pause, Resume, Reopen: the incident, a reason where one is needed.
    /// A regime of the incident's playbook, and the delays its law allows.
    public struct Regime: Codable, Sendable, Equatable {
        public var name: String
        public var title: String
        public var pauses: [PauseBasis]

        public init(_ summary: RegimeSummary) {
            name = summary.name
            title = summary.title
            pauses = summary.pauses.map { PauseBasis(basis: $0.basis, cap: $0.cap.description, cite: $0.cite) }
        }
    }

    public struct PauseBasis: Codable, Sendable, Equatable {
        public var basis: String
        /// "at most 30d", "the period stated" or "until lifted".
        public var cap: String
        public var cite: String
    }

    public struct PauseParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var basis: String
        /// The regimes to pause; absent: every regime with a clock running whose law allows the basis.
        public var regimes: [String]?
        public var until: Date?
        public var reason: String
        public var version: Int?

        public init(
            reference: IncidentReference,
            basis: String,
            regimes: [String]? = nil,
            until: Date? = nil,
            reason: String,
            version: Int? = nil
        ) {
            self.reference = reference
            self.basis = basis
            self.regimes = regimes
            self.until = until
            self.reason = reason
            self.version = version
        }
    }

    public struct ResumeParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        /// The regimes to resume; absent: every running pause.
        public var regimes: [String]?
        public var reason: String
        public var version: Int?

        public init(reference: IncidentReference, regimes: [String]? = nil, reason: String, version: Int? = nil) {
            self.reference = reference
            self.regimes = regimes
            self.reason = reason
            self.version = version
        }
    }

    public struct ReasonParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var reason: String?
        public var version: Int?

        public init(reference: IncidentReference, reason: String? = nil, version: Int? = nil) {
            self.reference = reference
            self.reason = reason
            self.version = version
        }
    }

    public struct AdvanceParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        /// A manager's reason to move although tasks or the gate are missing; recorded.
        public var force: String?
        public var version: Int?

        public init(reference: IncidentReference, force: String? = nil, version: Int? = nil) {
            self.reference = reference
            self.force = force
            self.version = version
        }
    }

    public struct CloseParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var resolution: String
        public var lessonsLearned: String
        public var force: String?
        public var version: Int?

        public init(
            reference: IncidentReference,
            resolution: String,
            lessonsLearned: String,
            force: String? = nil,
            version: Int? = nil
        ) {
            self.reference = reference
            self.resolution = resolution
            self.lessonsLearned = lessonsLearned
            self.force = force
            self.version = version
        }
    }

    public struct NoteParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var text: String

        public init(reference: IncidentReference, text: String) {
            self.reference = reference
            self.text = text
        }
    }

    public struct TimelineParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var latest: Int?
        public init(reference: IncidentReference, latest: Int? = nil) {
            self.reference = reference
            self.latest = latest
        }
    }

    public struct TimelineReply: Codable, Sendable, Equatable {
        public var events: [Event]
        public var total: Int?

        public struct Event: Codable, Sendable, Equatable {
            public var at: Date
            public var kind: String
            public var actor: String?
            public var data: [String: String]

            public init(at: Date, kind: String, actor: String?, data: [String: String]) {
                self.at = at
                self.kind = kind
                self.actor = actor
                self.data = data
            }
        }

        public init(events: [Event], total: Int? = nil) {
            self.events = events
            self.total = total
        }
    }
}

/// `io.incidentd.Playbooks`.
public enum PlaybooksWire {
    public struct Summary: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var title: String
        public var isDefault: Bool
        public var digest: String
        public var tasks: Int

        public init(_ playbook: Playbook) {
            name = playbook.name
            version = playbook.version
            title = playbook.title
            isDefault = playbook.isDefault
            digest = playbook.digest
            tasks = playbook.allTasks.count
        }
    }

    public struct ListParameters: Codable, Sendable, Equatable {
        public init() {}
    }

    public struct ListReply: Codable, Sendable, Equatable {
        public var playbooks: [Summary]
        public init(playbooks: [Summary]) { self.playbooks = playbooks }
    }

    public struct GetParameters: Codable, Sendable, Equatable {
        public var name: String
        public init(name: String) { self.name = name }
    }

    public struct GetReply: Codable, Sendable, Equatable {
        public var playbook: Summary
        public var source: String
        public init(playbook: Summary, source: String) {
            self.playbook = playbook
            self.source = source
        }
    }

    public struct ReloadParameters: Codable, Sendable, Equatable {
        public init() {}
    }
}

/// `io.incidentd.Hooks`.
public enum HooksWire {
    public typealias Delivery = DeliveryInfo

    public struct DeliveriesParameters: Codable, Sendable, Equatable {
        public var state: String?
        public var limit: Int?
        public init(state: String? = nil, limit: Int? = nil) {
            self.state = state
            self.limit = limit
        }
    }

    public struct DeliveriesReply: Codable, Sendable, Equatable {
        public var deliveries: [Delivery]
        /// Hooks their receivers disabled; their deliveries wait as pending.
        public var disabled: [DisabledHook]
        public init(deliveries: [Delivery], disabled: [DisabledHook]) {
            self.deliveries = deliveries
            self.disabled = disabled
        }
    }

    public struct EnableParameters: Codable, Sendable, Equatable {
        public var name: String
        public init(name: String) { self.name = name }
    }

    public struct EnableReply: Codable, Sendable, Equatable {
        public var enabled: Bool
        public init(enabled: Bool) { self.enabled = enabled }
    }

    public struct RetryParameters: Codable, Sendable, Equatable {
        public var id: String
        public init(id: String) { self.id = id }
    }

    public struct RetryReply: Codable, Sendable, Equatable {
        public var requeued: Bool
        public init(requeued: Bool) { self.requeued = requeued }
    }
}
