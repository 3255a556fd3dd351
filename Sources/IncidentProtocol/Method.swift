import Varlink

/// One method of incidentd's wire contract: its name, the types of its parameters and reply,
/// and how the daemon treats it. The daemon registers its handler with this value, and
/// incidentctl and the tests call the method with it, so a name is written once, here.
///
/// The interface descriptions in ``IncidentInterfaces`` stay what is served on the wire;
/// `MethodCatalogueTests` keeps the two in step.
public struct Method<Parameters: Codable & Sendable, Reply: Codable & Sendable>: Sendable, WireMethod {
    /// The interface, such as `io.incidentd.Incidents`.
    public let interface: String
    /// The method's own name, such as `Report`.
    public let method: String
    /// Whether the method answers a `more` call with a stream of replies.
    public let streams: Bool
    /// Whether the method changes nothing, so no rate limit applies to it.
    public let readsOnly: Bool
    /// Whether a call continues one the rate limit already admitted (an evidence upload's
    /// chunks and commit after its Begin), so the limit does not apply to it again.
    public let continuesAdmittedCall: Bool

    init(
        _ interface: String,
        _ method: String,
        streams: Bool = false,
        readsOnly: Bool = false,
        continuesAdmittedCall: Bool = false
    ) {
        self.interface = interface
        self.method = method
        self.streams = streams
        self.readsOnly = readsOnly
        self.continuesAdmittedCall = continuesAdmittedCall
    }

    /// A call of this method with `parameters`.
    public func call(_ parameters: Parameters, more: Bool = false) throws -> VarlinkCall {
        try VarlinkCall(method: name, encoding: parameters, more: more)
    }
}

/// What every ``Method`` says of itself, whatever its types: for lists of methods.
public protocol WireMethod: Sendable {
    var interface: String { get }
    var method: String { get }
    var streams: Bool { get }
    var readsOnly: Bool { get }
    var continuesAdmittedCall: Bool { get }
}

extension WireMethod {
    /// The full name sent on the wire: `io.incidentd.Incidents.Report`.
    public var name: String { interface + "." + method }

    /// The action audit records carry for a call of it (``Methods/auditAction(interface:method:)``).
    public var auditAction: String { Methods.auditAction(interface: interface, method: method) }
}

/// Every method incidentd serves, by interface.
public enum Methods {
    static let incidentsInterface = "io.incidentd.Incidents"
    static let auditInterface = "io.incidentd.Audit"
    static let playbooksInterface = "io.incidentd.Playbooks"
    static let hooksInterface = "io.incidentd.Hooks"
    static let noticesInterface = "io.incidentd.Notices"
    static let evidenceInterface = "io.incidentd.Evidence"

    /// `io.incidentd.Incidents`: reports, case files and the workflow.
    public enum Incidents {
        static func method<P, R>(_ name: String, readsOnly: Bool = false) -> Method<P, R> {
            Method(incidentsInterface, name, readsOnly: readsOnly)
        }

        public static let report: Method<IncidentsWire.ReportParameters, IncidentsWire.ReportReply> = method("Report")
        public static let get: Method<IncidentsWire.GetParameters, WorkflowWire.CaseFileReply> =
            method("Get", readsOnly: true)
        public static let list: Method<IncidentsWire.ListParameters, IncidentsWire.ListReply> =
            method("List", readsOnly: true)
        public static let status: Method<IncidentsWire.StatusParameters, IncidentsWire.StatusReply> =
            method("Status", readsOnly: true)
        public static let stats: Method<IncidentsWire.StatsParameters, IncidentsWire.StatsReply> =
            method("Stats", readsOnly: true)
        public static let export: Method<IncidentsWire.ExportParameters, IncidentsWire.ExportReply> =
            method("Export", readsOnly: true)
        public static let register: Method<IncidentsWire.RegisterParameters, IncidentsWire.RegisterReply> =
            method("Register", readsOnly: true)
        public static let watch = Method<IncidentsWire.WatchParameters, IncidentsWire.WatchReply>(
            incidentsInterface,
            "Watch",
            streams: true,
            readsOnly: true
        )
        public static let assign: Method<IncidentsWire.AssignParameters, IncidentsWire.GetReply> = method("Assign")
        public static let restrict: Method<IncidentsWire.RestrictParameters, IncidentsWire.GetReply> = method(
            "Restrict"
        )
        public static let hold: Method<IncidentsWire.HoldParameters, IncidentsWire.GetReply> = method("Hold")
        public static let release: Method<IncidentsWire.GetParameters, IncidentsWire.GetReply> = method("Release")
        public static let purge: Method<IncidentsWire.PurgeParameters, IncidentsWire.PurgeReply> = method("Purge")
        public static let update: Method<WorkflowWire.UpdateParameters, WorkflowWire.CaseFileReply> = method("Update")
        public static let completeTask: Method<WorkflowWire.CompleteTaskParameters, WorkflowWire.CaseFileReply> =
            method("CompleteTask")
        public static let skipTask: Method<WorkflowWire.SkipTaskParameters, WorkflowWire.CaseFileReply> =
            method("SkipTask")
        public static let approve: Method<WorkflowWire.ReasonParameters, WorkflowWire.CaseFileReply> = method("Approve")
        public static let advance: Method<WorkflowWire.AdvanceParameters, WorkflowWire.CaseFileReply> = method(
            "Advance"
        )
        public static let pauseClock: Method<WorkflowWire.PauseParameters, WorkflowWire.CaseFileReply> =
            method("PauseClock")
        public static let resumeClock: Method<WorkflowWire.ResumeParameters, WorkflowWire.CaseFileReply> =
            method("ResumeClock")
        public static let close: Method<WorkflowWire.CloseParameters, WorkflowWire.CaseFileReply> = method("Close")
        public static let reopen: Method<WorkflowWire.ReasonParameters, WorkflowWire.CaseFileReply> = method("Reopen")
        public static let note: Method<WorkflowWire.NoteParameters, WorkflowWire.CaseFileReply> = method("Note")
        public static let timeline: Method<WorkflowWire.TimelineParameters, WorkflowWire.TimelineReply> =
            method("Timeline", readsOnly: true)

        public static let all: [any WireMethod] = [
            report, get, list, status, stats, export, register, watch, assign, restrict, hold, release, purge, update,
            completeTask, skipTask, approve, advance, pauseClock, resumeClock, close, reopen, note, timeline,
        ]
    }

    /// `io.incidentd.Audit`: the audit trail and its chain.
    public enum Audit {
        public static let query = Method<AuditWire.QueryParameters, AuditWire.QueryReply>(
            auditInterface,
            "Query",
            readsOnly: true
        )
        public static let verify = Method<AuditWire.VerifyParameters, AuditWire.VerifyReply>(
            auditInterface,
            "Verify",
            readsOnly: true
        )
        public static let checkpoint = Method<AuditWire.CheckpointParameters, AuditWire.CheckpointReply>(
            auditInterface,
            "Checkpoint",
            readsOnly: true
        )

        public static let all: [any WireMethod] = [query, verify, checkpoint]
    }

    /// `io.incidentd.Playbooks`: the running set of playbooks.
    public enum Playbooks {
        public static let list = Method<PlaybooksWire.ListParameters, PlaybooksWire.ListReply>(
            playbooksInterface,
            "List",
            readsOnly: true
        )
        public static let get = Method<PlaybooksWire.GetParameters, PlaybooksWire.GetReply>(
            playbooksInterface,
            "Get",
            readsOnly: true
        )
        public static let reload = Method<PlaybooksWire.ReloadParameters, PlaybooksWire.ListReply>(
            playbooksInterface,
            "Reload"
        )

        public static let all: [any WireMethod] = [list, get, reload]
    }

    /// `io.incidentd.Hooks`: the outbox of hook deliveries.
    public enum Hooks {
        public static let deliveries = Method<HooksWire.DeliveriesParameters, HooksWire.DeliveriesReply>(
            hooksInterface,
            "Deliveries",
            readsOnly: true
        )
        public static let enable = Method<HooksWire.EnableParameters, HooksWire.EnableReply>(hooksInterface, "Enable")
        public static let retry = Method<HooksWire.RetryParameters, HooksWire.RetryReply>(hooksInterface, "Retry")

        public static let all: [any WireMethod] = [deliveries, enable, retry]
    }

    /// `io.incidentd.Notices`: notices drafted from the case file and checked against the law.
    public enum Notices {
        public static let draft = Method<NoticesWire.DraftParameters, NoticesWire.DraftReply>(
            noticesInterface,
            "Draft",
            readsOnly: true
        )
        public static let check = Method<NoticesWire.CheckParameters, NoticesWire.CheckReply>(
            noticesInterface,
            "Check",
            readsOnly: true
        )

        public static let show = Method<NoticesWire.ShowParameters, NoticesWire.ShowReply>(
            noticesInterface,
            "Show",
            readsOnly: true
        )

        public static let all: [any WireMethod] = [draft, check, show]
    }

    /// `io.incidentd.Evidence`: files attached to an incident, in chunks, sealed and hashed.
    public enum Evidence {
        public static let begin = Method<EvidenceWire.BeginParameters, EvidenceWire.BeginReply>(
            evidenceInterface,
            "Begin"
        )
        /// Chunks are not rate-limited one by one: the Begin they belong to was.
        public static let upload = Method<EvidenceWire.UploadParameters, EvidenceWire.UploadReply>(
            evidenceInterface,
            "Upload",
            continuesAdmittedCall: true
        )
        public static let commit = Method<EvidenceWire.CommitParameters, EvidenceWire.EvidenceReply>(
            evidenceInterface,
            "Commit",
            continuesAdmittedCall: true
        )
        public static let list = Method<EvidenceWire.ListParameters, EvidenceWire.ListReply>(
            evidenceInterface,
            "List",
            readsOnly: true
        )
        public static let get = Method<EvidenceWire.FileParameters, EvidenceWire.GetReply>(
            evidenceInterface,
            "Get",
            streams: true,
            readsOnly: true
        )
        public static let verify = Method<EvidenceWire.ListParameters, EvidenceWire.VerifyReply>(
            evidenceInterface,
            "Verify",
            readsOnly: true
        )
        public static let custody = Method<EvidenceWire.FileParameters, EvidenceWire.CustodyReply>(
            evidenceInterface,
            "Custody",
            readsOnly: true
        )

        public static let all: [any WireMethod] = [begin, upload, commit, list, get, verify, custody]
    }

    /// Every method incidentd serves (not `org.varlink.service`, which the router answers).
    public static let all: [any WireMethod] =
        Incidents.all + Audit.all + Playbooks.all + Hooks.all + Notices.all + Evidence.all

    /// The names of the methods no rate limit holds back: those that change nothing, and those
    /// that continue a call it admitted.
    public static let unlimitedNames: Set<String> = Set(
        all.filter { $0.readsOnly || $0.continuesAdmittedCall }.map(\.name)
    )

    /// The action audit records carry for a call: the method for `io.incidentd.Incidents`
    /// (`Get`, `Report`), else the interface's last word and the method (`AuditQuery`). Also
    /// for calls to methods nobody serves, so that their refusal is recorded too.
    public static func auditAction(interface: String, method: String) -> String {
        if interface == incidentsInterface { return method }
        let last = interface.split(separator: ".").last.map(String.init) ?? ""
        return last + method
    }
}

extension VarlinkCall {
    /// The action name audit records carry (``Methods/auditAction(interface:method:)``).
    public var auditAction: String { Methods.auditAction(interface: interface, method: methodName) }
}

extension VarlinkClient {
    /// Calls `method` with `parameters` and decodes the reply, or throws the reply's
    /// ``VarlinkError`` (``WireError/init(_:)`` reads it into the catalogue).
    public func call<P, R>(_ method: Method<P, R>, _ parameters: P) throws -> R {
        try call(method.call(parameters)).decode(R.self)
    }
}
