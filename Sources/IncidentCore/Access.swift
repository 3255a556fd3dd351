/// What a person may be in incidentd. A caller may hold several roles.
public enum Role: String, Codable, Sendable, DeclarationOrdered {
    /// May file reports and follow their own.
    case reporter
    /// Works incidents: triage, tasks, notes — not restricted ones unless assigned.
    case investigator
    /// Sees every incident, assigns, approves, closes.
    case manager
    /// Reads everything, the audit trail included; changes nothing.
    case auditor
    /// Runs operations (reload, retry, purge); reads restricted content only if also a manager.
    case admin
}

/// Everything the policy may be asked about.
public enum Action: String, CaseIterable, Codable, Sendable {
    case report
    case readIncident
    case listIncidents
    case status
    case queryAudit
    case verifyAudit
    // Later issues' commands, decided here from the start so the table stays complete.
    case updateIncident
    case assign
    case restrict
    case addNote
    /// Attaching an evidence file.
    case addEvidence
    case completeTask
    case approveGate
    case advance
    case close
    case reopen
    case pauseClock
    case reloadPlaybooks
    case retryHook
    /// Reading the hook deliveries' outbox.
    case readHookDeliveries
    case purge

    /// Actions on one incident (the policy needs its facts).
    public var concernsIncident: Bool {
        switch self {
        case .readIncident, .updateIncident, .assign, .restrict, .addNote, .addEvidence, .completeTask, .approveGate,
            .advance, .close, .reopen, .pauseClock:
            return true
        case .report, .listIncidents, .status, .queryAudit, .verifyAudit, .reloadPlaybooks, .retryHook,
            .readHookDeliveries, .purge:
            return false
        }
    }

    /// Actions that change something.
    public var isChange: Bool {
        switch self {
        case .readIncident, .listIncidents, .status, .queryAudit, .verifyAudit, .readHookDeliveries: return false
        default: return true
        }
    }
}

/// The facts of an incident that access depends on.
public struct IncidentAccessFacts: Sendable, Equatable {
    public var reporterUID: UInt32
    public var assignee: String?
    public var restricted: Bool
    public var closed: Bool

    public init(reporterUID: UInt32, assignee: String?, restricted: Bool, closed: Bool = false) {
        self.reporterUID = reporterUID
        self.assignee = assignee
        self.restricted = restricted
        self.closed = closed
    }
}

extension Incident {
    public var accessFacts: IncidentAccessFacts {
        IncidentAccessFacts(
            reporterUID: reporter.uid,
            assignee: assignee,
            restricted: restricted,
            closed: phase == .closed
        )
    }
}

/// A caller with the roles the configuration gives them.
public struct Principal: Sendable, Equatable {
    public var caller: Caller
    public var roles: Set<Role>

    public init(caller: Caller, roles: Set<Role>) {
        self.caller = caller
        self.roles = roles
    }

    public func has(_ role: Role) -> Bool { roles.contains(role) }
}

/// How much of an incident a caller sees.
public enum IncidentView: String, Sendable, Equatable {
    /// Everything.
    case full
    /// A reporter's view of their own report: what they filed and where it stands, without
    /// the team's working details (assignee, notes).
    case reporter
}

/// The answer to "may this caller do this?".
public enum AccessDecision: Sendable, Equatable {
    case allow(IncidentView)
    case deny(reason: String)

    public var isAllowed: Bool {
        if case .allow = self { return true }
        return false
    }
}

/// Which incidents a caller may see in lists and counts — the same rule as
/// `AccessPolicy.decide(.readIncident, …)`, in a form the store turns into SQL.
public struct VisibilityScope: Sendable, Equatable {
    /// Every incident, restricted ones included.
    public var everything: Bool
    /// Incidents that are not restricted.
    public var unrestricted: Bool
    /// Incidents assigned to this user name.
    public var assignedTo: String?
    /// Unrestricted incidents this uid reported.
    public var reportedBy: UInt32?

    public init(
        everything: Bool = false,
        unrestricted: Bool = false,
        assignedTo: String? = nil,
        reportedBy: UInt32? = nil
    ) {
        self.everything = everything
        self.unrestricted = unrestricted
        self.assignedTo = assignedTo
        self.reportedBy = reportedBy
    }

    /// Everything, restricted incidents included.
    public static let all = VisibilityScope(everything: true)

    public var isEmpty: Bool { !everything && !unrestricted && assignedTo == nil && reportedBy == nil }

    /// True when the caller sees incidents only as the person who reported them (the reporter view).
    public var onlyOwnReports: Bool { !everything && !unrestricted && assignedTo == nil && reportedBy != nil }

    public func contains(_ incident: IncidentAccessFacts) -> Bool {
        if everything { return true }
        if unrestricted && !incident.restricted { return true }
        if let assignedTo, incident.assignee == assignedTo { return true }
        if let reportedBy, incident.reporterUID == reportedBy, !incident.restricted { return true }
        return false
    }
}

/// Who may do what: one pure function of (caller, action, incident), tested as a table.
///
/// - Reporters see only the incidents they filed, in the reporter view. While one is open they
///   may add a note to it, add facts (``reporterFacts``) and attach evidence, in the reporter
///   view (they see only the evidence they attached); nothing else.
/// - Restricted incidents are seen only by their assignee, managers and auditors.
/// - Investigators see and work every unrestricted incident, and restricted ones assigned to them.
/// - Managers see and do everything about incidents.
/// - Auditors read everything, the audit trail included, and change nothing.
/// - Admins run operations; they read unrestricted incidents, restricted ones only if also managers.
public enum AccessPolicy {
    public static func decide(
        _ principal: Principal,
        _ action: Action,
        incident: IncidentAccessFacts? = nil
    )
        -> AccessDecision
    {
        let roles = principal.roles
        guard !roles.isEmpty else { return .deny(reason: "you have no incidentd role") }
        if action.concernsIncident, incident == nil {
            return .deny(reason: "\(action.rawValue) needs an incident")
        }

        switch action {
        case .report:
            return roles.contains(.reporter) || roles.contains(.investigator) || roles.contains(.manager)
                || roles.contains(.admin)
                ? .allow(.full) : .deny(reason: "only reporters, investigators and managers file reports")

        case .listIncidents, .status:
            return .allow(.full)  // narrowed by visibility(of:)

        case .queryAudit, .verifyAudit:
            return roles.contains(.auditor) || roles.contains(.admin)
                ? .allow(.full) : .deny(reason: "only auditors and admins read the audit trail")

        case .readHookDeliveries:
            return roles.contains(.auditor) || roles.contains(.admin)
                ? .allow(.full) : .deny(reason: "only admins and auditors see hook deliveries")

        case .reloadPlaybooks, .retryHook, .purge:
            return roles.contains(.admin) ? .allow(.full) : .deny(reason: "only admins run operations")

        case .readIncident:
            guard let incident else { return .deny(reason: "no incident") }
            if let view = readView(principal, incident) { return .allow(view) }
            return .deny(
                reason: incident.restricted ? "the incident is restricted" : "you may only see incidents you reported"
            )

        case .assign, .restrict, .approveGate, .close, .reopen, .pauseClock:
            return roles.contains(.manager) ? .allow(.full) : .deny(reason: "only managers may \(verb(action))")

        case .updateIncident, .addNote, .addEvidence, .completeTask, .advance:
            guard let incident else { return .deny(reason: "no incident") }
            if roles.contains(.manager) { return .allow(.full) }
            if [.updateIncident, .addNote, .addEvidence].contains(action), !roles.contains(.investigator),
                roles.contains(.reporter), !incident.restricted, incident.reporterUID == principal.caller.uid
            {
                return incident.closed
                    ? .deny(reason: "the incident is closed; its reporter may add to it only while it is open")
                    : .allow(.reporter)
            }
            guard roles.contains(.investigator) else {
                return .deny(reason: "only investigators and managers may \(verb(action))")
            }
            if incident.restricted, incident.assignee != principal.caller.userName {
                return .deny(reason: "the incident is restricted to its assignee and managers")
            }
            return .allow(.full)
        }
    }

    /// The incidents `principal` may see, for `List` and `Status`.
    public static func visibility(of principal: Principal) -> VisibilityScope {
        let roles = principal.roles
        var scope = VisibilityScope()
        if roles.contains(.manager) || roles.contains(.auditor) {
            scope.everything = true
            return scope
        }
        if roles.contains(.investigator) || roles.contains(.admin) {
            scope.unrestricted = true
        }
        if roles.contains(.investigator) {
            scope.assignedTo = principal.caller.userName
        }
        if roles.contains(.reporter) {
            scope.reportedBy = principal.caller.uid
        }
        return scope
    }

    private static func readView(_ principal: Principal, _ incident: IncidentAccessFacts) -> IncidentView? {
        let roles = principal.roles
        if roles.contains(.manager) || roles.contains(.auditor) { return .full }
        if incident.assignee == principal.caller.userName, roles.contains(.investigator) { return .full }
        if !incident.restricted, roles.contains(.investigator) || roles.contains(.admin) { return .full }
        if !incident.restricted, incident.reporterUID == principal.caller.uid, roles.contains(.reporter) {
            return .reporter
        }
        return nil
    }

    private static func verb(_ action: Action) -> String {
        switch action {
        case .assign: "assign incidents"
        case .restrict: "restrict incidents"
        case .approveGate: "approve gates"
        case .close: "close incidents"
        case .reopen: "reopen incidents"
        case .pauseClock: "pause or resume clocks"
        case .updateIncident: "update incidents"
        case .addNote: "add notes"
        case .addEvidence: "add evidence"
        case .completeTask: "complete tasks"
        case .advance: "advance incidents"
        default: action.rawValue
        }
    }
}

/// What of an incident's timeline the reporter view shows: the same as `show` gives a
/// reporter — that the report was filed (and repeated), which phase it is in, and that it was
/// closed or reopened. Notes, tasks, decisions, assignment, restriction and every other
/// working detail of the team stay out, and so does any free text in an event's data.
public enum ReporterTimeline {
    /// The event kinds a reporter sees.
    public static let kinds: Set<String> = Set(
        [IncidentEvent.Kind.incidentReported, .reportFolded, .phaseEntered, .incidentClosed, .incidentReopened].map(
            \.rawValue
        )
    )
    /// The only data keys those events keep.
    public static let dataKeys: Set<String> = ["phase", "count"]

    /// The event's data as the reporter view shows it, or nil when the reporter does not see
    /// the event at all.
    public static func visibleData(kind: String, data: [String: String]) -> [String: String]? {
        guard kinds.contains(kind) else { return nil }
        return data.filter { dataKeys.contains($0.key) }
    }
}

/// A read of one incident, as a value the store decides on inside the read's transaction (so
/// the decision and its audit record see the incident as read): who reads, and whether the
/// read allows the reporter's view at all.
public struct ReadAccess: Sendable {
    public var principal: Principal
    /// When set, a caller who may see only the reporter's view is refused with this reason
    /// (an export is a document of the whole case file, which a reporter may not have).
    public var reporterViewRefusal: String?

    public init(_ principal: Principal, reporterViewRefusal: String? = nil) {
        self.principal = principal
        self.reporterViewRefusal = reporterViewRefusal
    }

    public func decide(_ incident: Incident) -> AccessDecision {
        let decision = AccessPolicy.decide(principal, .readIncident, incident: incident.accessFacts)
        if let reporterViewRefusal, decision == .allow(.reporter) { return .deny(reason: reporterViewRefusal) }
        return decision
    }
}

extension AccessPolicy {
    /// What a reporter may add to an open incident they reported: the counts and when it was
    /// discovered while they are not yet known, and data categories beside those known.
    /// Nothing investigators decided or changed: severity, phase, decisions, other fields.
    public static let reporterFacts: Set<String> = [
        "peopleAffected", "recordsAffected", "peopleAffectedIn", "dataCategories", CaseFacts.discovered,
    ]

    /// Why a reporter may not make this update of `incident`, whose case has `facts`, or nil
    /// when they may.
    public static func reporterUpdateRefusal(
        _ values: [String: FactValue],
        of incident: Incident,
        facts: CaseFacts
    ) -> String? {
        for field in values.keys.sorted() {
            guard reporterFacts.contains(field) else {
                return
                    "a reporter may add only the people and records affected, data categories and when it was discovered; \(field) is for investigators"
            }
        }
        if case .set(let given)? = values["dataCategories"],
            !incident.dataCategories.map(\.rawValue).allSatisfy(given.contains)
        {
            return "a reporter may add data categories, not take any away; an investigator can"
        }
        let known = [
            (CaseFacts.discovered, incident.discovered != nil),
            ("peopleAffected", incident.peopleAffected != nil),
            ("peopleAffectedIn", facts.values["peopleAffectedIn"] != nil),
            ("recordsAffected", incident.recordsAffected != nil),
        ]
        for (field, isKnown) in known where isKnown && values[field] != nil {
            return "\(field) is already known; ask an investigator to change it"
        }
        return nil
    }
}
