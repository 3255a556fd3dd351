import Crypto
import Foundation

/// A hook: a program or an HTTP endpoint told about events.
public struct HookDefinition: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Runs `argv` without a shell; the event arrives as JSON on standard input.
        case exec(argv: [String])
        /// POSTs the event's JSON to `url`, signed as Standard Webhooks describes with `secret`.
        case webhook(url: String, secret: WebhookSecret)
    }

    public var name: String
    public var kind: Kind
    /// Event kinds it receives; empty means those its playbook references name (task
    /// completions and escalations) only.
    public var events: [String]
    /// Only incidents of these severities, playbooks and phases (empty: any).
    public var severities: [Severity]
    public var playbooks: [String]
    public var phases: [Phase]
    public var timeout: Duration
    public var maxAttempts: Int
    /// Whether payloads may carry personal data (the incident's description).
    public var personalData: Bool
    /// What the hook is told about a restricted incident.
    public var restricted: RestrictedContent = .reference

    /// How much of a restricted incident a hook receives: a restricted case is seen by few
    /// people, so by default its hooks learn that something happened, not what.
    public enum RestrictedContent: String, Sendable, Equatable, CaseIterable {
        /// Nothing: no delivery at all.
        case none
        /// The reference, phase, severity and event kind; the title reads "(restricted)", no
        /// assignee, description or event details (the default).
        case reference
        /// Everything an unrestricted incident's payload holds (with `personalData` as set).
        case full
    }

    public init(
        name: String,
        kind: Kind,
        events: [String] = [],
        severities: [Severity] = [],
        playbooks: [String] = [],
        phases: [Phase] = [],
        timeout: Duration = .seconds(30),
        maxAttempts: Int = 5,
        personalData: Bool = false
    ) {
        self.name = name
        self.kind = kind
        self.events = events
        self.severities = severities
        self.playbooks = playbooks
        self.phases = phases
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.personalData = personalData
    }

    /// The event kinds a hook may hear: all but the legal hold's, which stay on the timeline.
    public static let eventKinds = IncidentEvent.Kind.allCases.filter(\.reachesHooks).map(\.rawValue)

    func accepts(_ incident: Incident) -> Bool {
        (severities.isEmpty || severities.contains(incident.severity))
            && (playbooks.isEmpty || incident.playbook.map(playbooks.contains) == true)
            && (phases.isEmpty || phases.contains(incident.phase))
    }
}

/// One delivery to queue: which hook, for which event, with what payload.
public struct OutboxEntry: Sendable, Equatable {
    public var hook: String
    public var event: String
    public var payload: HookPayload
    public var maxAttempts: Int

    public init(hook: String, event: String, payload: HookPayload, maxAttempts: Int) {
        self.hook = hook
        self.event = event
        self.payload = payload
        self.maxAttempts = maxAttempts
    }
}

/// What a hook receives on standard input. Versioned (`schema`), documented in docs/hooks.md;
/// no personal data unless the hook is configured to receive it.
public struct HookPayload: Sendable, Equatable, Codable {
    public struct IncidentInfo: Sendable, Equatable, Codable {
        public var reference: String
        public var title: String
        public var phase: Phase
        public var severity: Severity
        public var playbook: String?
        public var assignee: String?
        /// Only for hooks configured with `personalData: true`.
        public var description: String?
    }

    public struct TaskInfo: Sendable, Equatable, Codable {
        public var id: String
        public var title: String?
        public var due: Date?
    }

    public var schema: Int
    public var event: String
    public var occurredAt: Date
    public var actor: String?
    public var incident: IncidentInfo
    public var task: TaskInfo?
    public var data: [String: String]

    public static let schemaVersion = 1
}

/// Decides which hooks hear an event: pure.
public enum HookRouting {
    /// The deliveries `event` causes: every configured hook subscribed to its kind whose
    /// filters take the incident, plus the hooks its playbook names for it (a task's `hooks`
    /// on its completion, an escalation's hook on its threshold).
    public static func route(
        event: String,
        data: [String: String],
        incident: Incident,
        playbook: Playbook?,
        actor: String?,
        hooks: [HookDefinition],
        now: Date
    ) -> [OutboxEntry] {
        var names: [String] = hooks.filter { $0.events.contains(event) && $0.accepts(incident) }.map(\.name)
        let taskID = data["task"]
        if let playbook, let taskID {
            if event == "task.completed", let task = playbook.task(taskID) { names += task.hooks }
            for escalation in playbook.escalations where escalation.task == taskID {
                if (escalation.trigger == .overdue && event == "task.overdue")
                    || (escalation.trigger == .dueSoon && event == IncidentEvent.Kind.taskDueSoon.rawValue)
                {
                    names.append(escalation.hook)
                }
            }
        }
        var seen = Set<String>()
        return names.compactMap { name -> OutboxEntry? in
            guard seen.insert(name).inserted, let hook = hooks.first(where: { $0.name == name }) else { return nil }
            if incident.restricted {
                switch hook.restricted {
                case .none: return nil
                case .reference:
                    let payload = HookPayload(
                        schema: HookPayload.schemaVersion,
                        event: event,
                        occurredAt: now,
                        actor: nil,
                        incident: .init(
                            reference: incident.reference.rawValue,
                            title: "(restricted)",
                            phase: incident.phase,
                            severity: incident.severity,
                            playbook: incident.playbook,
                            assignee: nil,
                            description: nil
                        ),
                        task: taskID.map { .init(id: $0, title: nil, due: nil) },
                        data: [:]
                    )
                    return OutboxEntry(hook: name, event: event, payload: payload, maxAttempts: hook.maxAttempts)
                case .full: break
                }
            }
            let plan = taskID.flatMap { playbook?.task($0) }
            let payload = HookPayload(
                schema: HookPayload.schemaVersion,
                event: event,
                occurredAt: now,
                actor: actor,
                incident: .init(
                    reference: incident.reference.rawValue,
                    title: incident.title,
                    phase: incident.phase,
                    severity: incident.severity,
                    playbook: incident.playbook,
                    assignee: incident.assignee,
                    description: hook.personalData ? incident.description : nil
                ),
                task: taskID.map {
                    .init(
                        id: $0,
                        title: plan?.title,
                        due: data["due"].flatMap { try? Date.ISO8601FormatStyle().parse($0) }
                    )
                },
                data: data.filter { $0.key != "text" || hook.personalData }
            )
            return OutboxEntry(hook: name, event: event, payload: payload, maxAttempts: hook.maxAttempts)
        }
    }

    /// The wait before attempt `attempt + 1`: exponential from `base`, capped, with ±20 % jitter.
    public static func backoff(
        afterAttempt attempt: Int,
        base: Duration,
        cap: Duration = .seconds(3600),
        jitter: Double
    ) -> Duration {
        let exponent = min(max(attempt - 1, 0), 20)
        let raw = base * (1 << exponent)
        let capped = min(raw, cap)
        return capped * (1 + (jitter * 0.4 - 0.2))
    }
}

/// A hook delivery as operators see it (`incidentctl hooks`).
public struct DeliveryInfo: Sendable, Equatable, Codable {
    public var id: UUID
    public var hook: String
    public var event: String
    public var incident: String?
    /// pending, running, delivered or dead.
    public var state: String
    public var attempts: Int
    public var maxAttempts: Int
    public var nextAttempt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?

    public init(
        id: UUID,
        hook: String,
        event: String,
        incident: String?,
        state: String,
        attempts: Int,
        maxAttempts: Int,
        nextAttempt: Date?,
        lastError: String?,
        createdAt: Date,
        deliveredAt: Date?
    ) {
        self.id = id
        self.hook = hook
        self.event = event
        self.incident = incident
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.nextAttempt = nextAttempt
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

/// A hook its receiver asked to stop calling (a webhook's 410 Gone).
public struct DisabledHook: Sendable, Equatable, Codable {
    public var name: String
    public var reason: String
    public var since: Date

    public init(name: String, reason: String, since: Date) {
        self.name = name
        self.reason = reason
        self.since = since
    }
}
