import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Logging
import Varlink

/// The API layer: turns each validated Varlink call into a domain command, runs it through
/// the store, and turns the result — or the failure — into a reply. Every call is audited.
public struct IncidentsAPI: Sendable {
    let store: IncidentStore
    let auditStore: AuditStore
    let settings: LiveSettings
    let playbooks: PlaybookRegistry
    let hookStore: HookStore
    /// Signs audit checkpoints; `Verify` checks the chain against them.
    let signer: AuditSigner
    let logger: Logger
    let clock: @Sendable () -> Date
    /// Rung when any daemon added events; `Watch` then looks at once.
    let events: EventBell
    /// How often `Watch` looks for new events when the bell does not ring (the fallback while
    /// this daemon cannot listen for notifications), and sends a keep-alive when there were none.
    let watchPollInterval: Duration
    let watchKeepAlive: Duration
    let rateLimiter: RateLimiter
    let backgroundAudit: BackgroundAudit
    /// The most bytes one evidence Upload carries: what fits the message size limit in base64.
    let evidenceChunkSize: Int

    public init(
        store: IncidentStore,
        auditStore: AuditStore,
        settings: LiveSettings,
        playbooks: PlaybookRegistry,
        hookStore: HookStore,
        signer: AuditSigner,
        logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() },
        events: EventBell = EventBell(),
        watchPollInterval: Duration = .seconds(2),
        watchKeepAlive: Duration = .seconds(10),
        maximumMessageSize: Int = 1 << 20
    ) {
        // Base64 makes 3 bytes 4; leave room for the rest of the call.
        let fitting = (maximumMessageSize - 1024) / 4 * 3 / 256 * 256
        self.evidenceChunkSize = max(256, min(EvidenceLimits.chunkSize, fitting))
        self.rateLimiter = RateLimiter(limits: { settings.rateLimits })
        self.backgroundAudit = BackgroundAudit(store: store, logger: logger)
        self.events = events
        self.watchPollInterval = watchPollInterval
        self.watchKeepAlive = watchKeepAlive
        self.store = store
        self.auditStore = auditStore
        self.settings = settings
        self.playbooks = playbooks
        self.hookStore = hookStore
        self.signer = signer
        self.logger = logger
        self.clock = clock
    }

    public static let serviceInfo = VarlinkServiceInfo(
        vendor: "incidentd",
        product: "incidentd",
        version: IncidentdVersion.current,
        url: "https://github.com/incidentd/incidentd"
    )

    /// The router with every method of every interface registered.
    public func makeRouter() -> VarlinkRouter<Caller> {
        let logger = self.logger
        let store = self.store
        var router = VarlinkRouter<Caller>(
            info: Self.serviceInfo,
            interfaces: IncidentInterfaces.all,
            observer: { [backgroundAudit] call, routing, caller in
                var record = AuditRecord(caller: caller, action: call.auditAction)
                switch routing {
                case .rejected(let error):
                    record.outcome = .invalid
                    record.detail = Self.auditDetail(for: error)
                case .introspected(let reply):
                    // Introspection needs no database, and must not wait for one.
                    record.outcome = reply.error == nil ? .ok : .invalid
                    record.detail = call.parameters["interface"]?.stringValue ?? ""
                    backgroundAudit.record(record)
                    return
                case .failed(let error):
                    record.outcome = .failed
                    record.detail = error.name
                }
                await Self.audit(store: store, logger: logger, record)
            },
            admission: { [rateLimiter] call, caller in
                guard let refusal = rateLimiter.admit(call, caller) else { return nil }
                if refusal.refusedInARow == 1 || refusal.refusedInARow.isMultiple(of: RateLimiter.auditEvery) {
                    logger.warning(
                        "rate limit reached",
                        metadata: ["peer.uid": "\(caller.uid)", "refused.in_a_row": "\(refusal.refusedInARow)"]
                    )
                    await Self.audit(
                        store: store,
                        logger: logger,
                        AuditRecord(
                            caller: caller,
                            action: call.auditAction,
                            outcome: .refused,
                            detail:
                                "rate limit of \(refusal.limit.perMinute) a minute: \(refusal.refusedInARow) refused in a row"
                        )
                    )
                }
                return refusal.error
            },
            mapError: { error in Self.varlinkError(for: error, logger: logger) }
        )
        serve(Methods.Incidents.report, on: &router, report)
        serve(Methods.Incidents.get, on: &router, get)
        serve(Methods.Incidents.list, on: &router, list)
        serve(Methods.Incidents.status, on: &router, status)
        serve(Methods.Incidents.stats, on: &router, stats)
        serve(Methods.Incidents.export, on: &router, export)
        serve(Methods.Incidents.register, on: &router, register)
        serveStream(Methods.Incidents.watch, on: &router, watch)
        serve(Methods.Incidents.assign, on: &router, assign)
        serve(Methods.Incidents.restrict, on: &router, restrict)
        serve(Methods.Audit.query, on: &router, queryAudit)
        serve(Methods.Audit.verify, on: &router, verifyAudit)
        serve(Methods.Audit.checkpoint, on: &router, auditCheckpoint)
        registerRetention(&router)
        registerWorkflow(&router)
        registerTimeline(&router)
        registerHooks(&router)
        registerNotices(&router)
        registerEvidence(&router)
        registerPlaybooks(&router)
        return router
    }

    /// Registers `handler` for `method`: the call's parameters are decoded (a bad one is audited
    /// and refused, naming it), the reply encoded, and an error of the catalogue sent as itself.
    func serve<P, R>(
        _ method: Method<P, R>,
        on router: inout VarlinkRouter<Caller>,
        _ handler: @escaping @Sendable (P, VarlinkCall, Caller) async throws -> R
    ) {
        precondition(!method.streams, "\(method.name) streams: serve it with serveStream")
        let timer = Recorded.CallTimer(method.name)
        router.register(method.name) { call, caller in
            let started = ContinuousClock.now
            defer { timer.record(since: started) }
            do {
                let parameters = try await decode(P.self, call, caller)
                return try VarlinkReply(encoding: try await handler(parameters, call, caller))
            } catch {
                Recorded.callFailed(method.name, error: Self.errorName(error))
                if let error = error as? WireError { throw error.varlinkError }
                throw error
            }
        }
    }

    /// Registers the streaming `handler` for `method`; it sends replies through its last
    /// argument and returns (or throws) the last one.
    func serveStream<P, R>(
        _ method: Method<P, R>,
        on router: inout VarlinkRouter<Caller>,
        _ handler: @escaping @Sendable (P, VarlinkCall, Caller, (R) async throws -> Void) async throws -> R
    ) {
        precondition(method.streams, "\(method.name) does not stream: serve it with serve")
        router.registerStream(method.name) { call, caller, send in
            do {
                let parameters = try await decode(P.self, call, caller)
                let last = try await handler(parameters, call, caller) { reply in
                    try await send(VarlinkReply(encoding: reply))
                }
                return try VarlinkReply(encoding: last)
            } catch {
                Recorded.callFailed(method.name, error: Self.errorName(error))
                if let error = error as? WireError { throw error.varlinkError }
                throw error
            }
        }
    }

    // MARK: Handlers

    func report(
        _ parameters: IncidentsWire.ReportParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.ReportReply {
        try await authorize(.report, call, caller)
        let draft = try await validate(call, caller) { () throws(ValidationError) in
            try parameters.draft.validated(now: clock())
        }
        let principal = settings.roles.principal(for: caller)
        // The pure engine chooses the playbook and starts the workflow; the store writes the
        // result with the incident, unless the report folds into one already open.
        let reported = clock()
        let result = try await store.report(
            draft,
            by: caller,
            visibleTo: AccessPolicy.visibility(of: principal),
            reported: reported,
            start: WorkflowStart(
                draft,
                by: Incident.Person(uid: caller.uid, name: caller.userName),
                reported: reported,
                playbooks: playbooks.current
            )
        )
        // The reply carries no more than the caller may see: their view of the incident, or —
        // when it is hidden from them now — only what they sent and its reference.
        let incident: Incident
        switch AccessPolicy.decide(principal, .readIncident, incident: result.incident.accessFacts) {
        case .allow(let view): incident = result.incident.seen(as: view)
        case .deny: incident = result.incident.acknowledgement(of: draft)
        }
        logger.info(
            result.created
                ? "incident reported"
                : result.folded
                    ? "report folded into the open incident with its dedup key"
                    : "report matched an earlier idempotency key",
            metadata: ["incident.ref": "\(result.incident.reference)", "peer.uid": "\(caller.uid)"]
        )
        return IncidentsWire.ReportReply(
            incident: incident,
            created: result.created,
            folded: result.folded ? true : nil
        )
    }

    func get(
        _ parameters: IncidentsWire.GetParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> WorkflowWire.CaseFileReply {
        // A denied read answers as if the incident did not exist: existence is itself confidential.
        try await caseFileReply(parameters.reference, caller, call)
    }

    func list(
        _ parameters: IncidentsWire.ListParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.ListReply {
        let filter = try await validate(call, caller) { () throws(ValidationError) in
            try parameters.filter.validated()
        }
        let scope = AccessPolicy.visibility(of: settings.roles.principal(for: caller))
        var incidents = try await store.list(
            filter,
            visibleTo: scope,
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        let next = incidents.count == filter.limit ? incidents.last?.reference : nil
        // A caller who sees incidents only as their reporter sees no assignment, as in `show`.
        if scope.onlyOwnReports {
            for index in incidents.indices { incidents[index].assignee = nil }
        }
        return IncidentsWire.ListReply(incidents: incidents, next: next)
    }

    func stats(
        _ parameters: IncidentsWire.StatsParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.StatsReply {
        try await authorize(.status, call, caller)
        let until = parameters.until ?? clock()
        guard parameters.since < until else {
            throw WireError.invalidValue(parameter: "since", reason: "must be before until")
        }
        let scope = AccessPolicy.visibility(of: settings.roles.principal(for: caller))
        let rows = try await store.statistics(
            since: parameters.since,
            until: until,
            visibleTo: scope,
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        return IncidentsWire.StatsReply(since: parameters.since, until: until, rows: rows)
    }

    func status(
        _ parameters: IncidentsWire.StatusParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.StatusReply {
        let principal = settings.roles.principal(for: caller)
        let scope = AccessPolicy.visibility(of: principal)
        let summary = try await store.status(
            visibleTo: scope,
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        var reply = IncidentsWire.StatusReply(summary: summary)
        // Tasks are the team's working details: reporters see counts, not tasks.
        guard principal.roles.contains(where: { $0 != .reporter }) else {
            return reply
        }
        let now = clock()
        let upcoming = try await store.openTasks(
            visibleTo: scope,
            dueBefore: now.addingTimeInterval(24 * 3600),
            assignee: nil,
            limit: 200
        )
        let open = try await store.openTasks(visibleTo: scope, dueBefore: nil, assignee: nil, limit: 500)
        let mine = try await store.openTasks(visibleTo: scope, dueBefore: nil, assignee: caller.userName, limit: 50)
        // Task titles, roles and notifications come from each incident's playbook version: read
        // the sources of versions this daemon has not parsed yet, once each.
        let playbooks = self.playbooks
        try await playbooks.resolve((upcoming + open + mine).compactMap(\.playbookDigest), from: store)
        func resolve(_ rows: [OpenTaskRow]) -> [IncidentsWire.DueTask] {
            rows.compactMap { row in
                guard let digest = row.playbookDigest,
                    let plan = playbooks.versions.cached(digest: digest)?.task(row.task)
                else { return nil }
                return IncidentsWire.DueTask(
                    reference: row.reference,
                    incidentTitle: row.incidentTitle,
                    task: row.task,
                    title: plan.title,
                    role: plan.role,
                    due: row.due,
                    notification: plan.notification,
                    settledBy: row.undecided.isEmpty ? nil : row.undecided,
                    pausedUntil: row.pausedUntil
                )
            }
        }
        let due = resolve(upcoming)
        reply.overdue = due.filter { ($0.due ?? .distantFuture) < now }
        reply.dueSoon = due.filter { ($0.due ?? .distantFuture) >= now }
        // Every legal clock that runs, owed or possibly owed, from the moment it starts.
        let obligations = open.filter { row in
            row.playbookDigest.flatMap { playbooks.versions.cached(digest: $0)?.task(row.task)?.isObligation } ?? false
        }
        reply.owedNotifications = Array(resolve(obligations).prefix(50))
        // Your tasks: those of a role you hold on incidents assigned to you, and the tasks of
        // the roles nobody is assigned to (a manager's acknowledgement or decision) wherever
        // they are owed.
        let held = Set(principal.roles)
        let assigned = resolve(mine).filter { held.contains($0.role) }
        let unassignedRoles = resolve(open.filter { $0.assignee != caller.userName }).filter {
            $0.role != .investigator && $0.role != .reporter && held.contains($0.role)
        }
        reply.myTasks = Array(
            (assigned + unassignedRoles).sorted { ($0.due ?? .distantFuture) < ($1.due ?? .distantFuture) }.prefix(50)
        )
        return reply
    }

    func assign(
        _ parameters: IncidentsWire.AssignParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.GetReply {
        // Only for a caller who may assign: the check must not tell others which accounts exist.
        if let assignee = parameters.assignee, settings.roles.principal(for: caller).has(.manager) {
            let roles = settings.roles
            _ = try await validate(call, caller) { () throws(ValidationError) in
                guard !assignee.isEmpty, assignee.count <= 64,
                    !assignee.contains(where: { $0.isWhitespace || $0 == "\u{0}" })
                else { throw ValidationError(field: "assignee", reason: "must be a user name") }
                // Someone who cannot log in would never see the incident; someone without the
                // role would be refused its work. `force` overrides the second, not the first.
                guard let account = UserDirectory.account(named: assignee) else {
                    throw ValidationError(
                        field: "assignee",
                        reason: "\(assignee) is not a user of this system; give their login name"
                    )
                }
                let held = roles.roles(for: account)
                if parameters.force != true, !held.contains(.investigator), !held.contains(.manager) {
                    throw ValidationError(
                        field: "assignee",
                        reason: "\(assignee) is neither an investigator nor a manager (roles in the configuration); "
                            + "pass --force to assign them anyway"
                    )
                }
            }
        }
        let incident = try await change(
            parameters.reference,
            .assign,
            version: parameters.version,
            call,
            caller
        ) { incident in
            let previous = incident.assignee
            incident.assignee = parameters.assignee
            return [IncidentEvent(.incidentAssigned, ["from": previous ?? "", "to": parameters.assignee ?? ""])]
        }
        guard parameters.assignee != nil, let completed = try await completeTasksDoneByAssigning(incident, call, caller)
        else { return IncidentsWire.GetReply(incident: incident) }
        return IncidentsWire.GetReply(incident: completed.incident)
    }

    /// Completes the current phase's open tasks that assigning does (`doneWhen: assigned`,
    /// such as the acknowledgement that asks for an investigator), as the caller who assigned.
    /// Written after the assignment, in its own transaction: if it fails, the assignment
    /// stands and the task stays open for the manager to complete.
    func completeTasksDoneByAssigning(
        _ incident: Incident,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> WorkflowWire.CaseFileReply? {
        guard case .found(let basis) = try await store.caseForChange(incident.reference, playbooks: playbooks.versions)
        else { return nil }
        let state = basis.file.state
        let due = state.tasks.filter { task in
            task.phase == state.phase && task.isOwed && basis.file.playbook.task(task.id)?.doneWhenAssigned == true
        }
        var reply: WorkflowWire.CaseFileReply?
        for task in due {
            do {
                reply = try await workflow(
                    call,
                    caller,
                    incident.reference,
                    nil,
                    .completeTask,
                    task: task.id,
                    detail: "completed \(task.id) by assigning"
                ) { _, _, _ in
                    .success(.completeTask(id: task.id, captures: [:], reason: nil, notification: nil))
                }
            } catch {
                logger.warning(
                    "assigning did not complete its task; it stays open",
                    metadata: ["incident": "\(incident.reference)", "task": "\(task.id)", "error": "\(error)"]
                )
            }
        }
        return reply
    }

    func restrict(
        _ parameters: IncidentsWire.RestrictParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.GetReply {
        let incident = try await change(
            parameters.reference,
            .restrict,
            version: parameters.version,
            call,
            caller
        ) { incident in
            incident.restricted = parameters.restricted
            return [IncidentEvent(parameters.restricted ? .incidentRestricted : .incidentUnrestricted)]
        }
        return IncidentsWire.GetReply(incident: incident)
    }

    func queryAudit(
        _ parameters: AuditWire.QueryParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> AuditWire.QueryReply {
        try await authorize(.queryAudit, call, caller)
        let filter = try await validate(call, caller) { () throws(ValidationError) in
            try parameters.filter.validated(
                actions: AuditRecord.actions,
                outcomes: AuditRecord.Outcome.allCases.map(\.rawValue)
            )
        }
        let records = try await auditStore.query(filter, audit: AuditRecord(caller: caller, action: call.auditAction))
        let next = records.count == filter.limit ? records.last?.seq : nil
        return AuditWire.QueryReply(records: records, next: next)
    }

    /// Recomputes the chain here, outside PostgreSQL, against its seals, the signed checkpoints
    /// in the database, the head this daemon signed last (its state directory), and a
    /// checkpoint the auditor brought; a consistent rewrite without the signing key fails.
    func verifyAudit(
        _ parameters: AuditWire.VerifyParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> AuditWire.VerifyReply {
        try await authorize(.verifyAudit, call, caller)
        let elsewhere = [signer.localHead(), parameters.checkpoint].compactMap { $0 }
        let verification = try await auditStore.verify(
            checkpoints: elsewhere,
            key: signer.key,
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        if let broken = verification.broken {
            logger.critical(
                "the audit chain is broken",
                metadata: ["audit.seq": "\(broken.seq ?? 0)", "audit.reason": "\(broken.reason)"]
            )
        } else {
            try await signer.signHead()
        }
        return verification
    }

    /// Signs the head now and returns it, for an auditor to keep apart from the database.
    func auditCheckpoint(
        _ parameters: AuditWire.CheckpointParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> AuditWire.CheckpointReply {
        try await authorize(.verifyAudit, call, caller)
        try await auditStore.seal(wait: true)
        var latest = try await signer.signHead(force: true)
        if latest == nil { latest = try await auditStore.latestCheckpoint() }
        guard let checkpoint = latest else {
            throw WireError.invalidValue(parameter: "chain", reason: "is empty: nothing has been sealed yet")
        }
        try await store.recordAudit(
            AuditRecord(
                caller: caller,
                action: call.auditAction,
                detail: "position \(checkpoint.chainPosition)"
            )
        )
        return AuditWire.CheckpointReply(checkpoint: checkpoint, publicKey: signer.key.publicKey)
    }

    // MARK: Authorisation

    /// Refuses, audits and throws `PermissionDenied` when the caller may not take `action`,
    /// saying which of this daemon's groups and users hold a role that may.
    func authorize(_ action: Action, _ call: VarlinkCall, _ caller: Caller) async throws {
        let principal = settings.roles.principal(for: caller)
        guard case .deny(let reason) = AccessPolicy.decide(principal, action) else { return }
        await Self.audit(
            store: store,
            logger: logger,
            AuditRecord(caller: caller, action: call.auditAction, outcome: .denied, detail: reason)
        )
        let allowed = Set(
            Role.allCases.filter { AccessPolicy.decide(Principal(caller: caller, roles: [$0]), action).isAllowed }
        )
        let holders = settings.roles.holders(of: allowed)
        let whom = holders.isEmpty ? "" : "; these hold a role that may: \(holders.joined(separator: ", "))"
        throw WireError.permissionDenied(reason: reason + whom)
    }

    /// Runs a change of one incident's own fields: read it, decide here (the access policy, the
    /// version the caller expects, `body`), and have the store write the result if nobody
    /// changed the incident meanwhile; otherwise decide again.
    func change(
        _ reference: IncidentReference,
        _ action: Action,
        version: Int?,
        _ call: VarlinkCall,
        _ caller: Caller,
        _ body: @Sendable (inout Incident) throws -> [IncidentEvent]
    ) async throws -> Incident {
        let principal = settings.roles.principal(for: caller)
        let record = AuditRecord(caller: caller, action: call.auditAction, incident: reference)
        var seen = 0
        for _ in 0..<Self.decisionsPerChange {
            guard let basis = try await store.incidentForChange(reference) else {
                try await store.recordAudit(record.refused(.notFound(reference)))
                throw WireError(ChangeRefusal.notFound(reference))
            }
            seen = basis.incident.version
            if let refusal = Self.refusal(principal, action, basis.incident, expectedVersion: version) {
                try await store.recordAudit(record.refused(refusal))
                throw WireError(refusal)
            }
            var incident = basis.incident
            let events = try body(&incident)
            switch try await store.write(
                incident,
                events: events,
                on: basis,
                audit: record,
                adding: call.parameterBytes
            ) {
            case .written(let incident): return incident
            case .refused(let refusal): throw WireError(refusal)
            case .moved: continue
            }
        }
        try await store.recordAudit(record.refused(.conflict(reference, current: seen)))
        throw WireError(ChangeRefusal.conflict(reference, current: seen))
    }

    /// Why `principal` may not take `action` on `incident`, if they may not.
    static func refusal(
        _ principal: Principal,
        _ action: Action,
        _ incident: Incident,
        expectedVersion: Int?
    ) -> ChangeRefusal? {
        guard AccessPolicy.decide(principal, .readIncident, incident: incident.accessFacts).isAllowed else {
            return .hidden(incident.reference)
        }
        if case .deny(let reason) = AccessPolicy.decide(principal, action, incident: incident.accessFacts) {
            return .denied(reason: reason)
        }
        if let expectedVersion, expectedVersion != incident.version {
            return .conflict(incident.reference, current: incident.version)
        }
        return nil
    }

    // MARK: Decoding, validation and errors

    /// Decodes parameters the router already checked against the interface; what the IDL
    /// cannot express (a jurisdiction code, an instant's format) fails here, naming the field.
    func decode<T: Decodable>(_ type: T.Type, _ call: VarlinkCall, _ caller: Caller) async throws -> T {
        if let (parameter, scalar) = TextParameters.firstControlCharacter(in: call.parameters) {
            await Self.audit(
                store: store,
                logger: logger,
                AuditRecord(caller: caller, action: call.auditAction, outcome: .invalid, detail: "invalid \(parameter)")
            )
            throw WireError.invalidValue(
                parameter:
                    parameter,
                reason: "must not contain control characters (found \(ControlCharacters.name(scalar)))"
            )
        }
        do {
            return try call.decodeParameters(T.self)
        } catch let error as DecodingError {
            let parameter = error.parameterPath
            let reason = error.reason
            await Self.audit(
                store: store,
                logger: logger,
                AuditRecord(caller: caller, action: call.auditAction, outcome: .invalid, detail: "invalid \(parameter)")
            )
            throw WireError.invalidValue(parameter: parameter, reason: reason)
        }
    }

    func validate<T>(
        _ call: VarlinkCall,
        _ caller: Caller,
        _ body: () throws(ValidationError) -> T
    ) async throws -> T {
        do {
            return try body()
        } catch {
            await Self.audit(
                store: store,
                logger: logger,
                AuditRecord(
                    caller: caller,
                    action: call.auditAction,
                    outcome: .invalid,
                    detail: "invalid \(error.field)"
                )
            )
            throw WireError.invalidValue(parameter: error.field, reason: error.reason)
        }
    }

    /// Records a peer that broke the protocol or a connection limit: no call, so the action
    /// names the breach (`MalformedMessage`, `MessageTooLarge`, `TooManyConnections`).
    func recordViolation(by caller: Caller, _ error: VarlinkError) {
        let action = error.name.split(separator: ".").last.map(String.init) ?? error.name
        backgroundAudit.record(AuditRecord(caller: caller, action: action, outcome: .invalid, detail: error.name))
    }

    static func audit(store: IncidentStore, logger: Logger, _ record: AuditRecord) async {
        do {
            try await store.recordAudit(record)
        } catch {
            logger.error(
                "cannot write an audit record",
                metadata: ["error": "\(error)", "audit.action": "\(record.action)"]
            )
        }
    }

    static func auditDetail(for error: VarlinkError) -> String {
        if let parameter = error.parameters["parameter"]?.stringValue { return "\(error.name): \(parameter)" }
        if let method = error.parameters["method"]?.stringValue { return "\(error.name): \(method)" }
        if let interface = error.parameters["interface"]?.stringValue { return "\(error.name): \(interface)" }
        return error.name
    }

    /// The name of the error a call that threw `error` answers with, as `varlinkError(for:)`
    /// and the router name it: for the metrics.
    static func errorName(_ error: any Error) -> String {
        if let error = error as? WireError { return error.name }
        if let error = error as? VarlinkError { return error.name }
        return wireError(for: StoreFailure(error)).name
    }

    /// The error a failure that is no refusal is answered with.
    static func wireError(for failure: StoreFailure?) -> WireError {
        switch failure {
        case .unavailable(let reason, _)?: return .databaseUnavailable(reason: reason)
        case .storageFull?: return .storageFull
        case .failed?, nil: return .internalError(reason: "the daemon could not complete the call; nothing was changed")
        }
    }

    /// What a client is told of a failure that is no refusal: the database is away or its disk
    /// is full (retry), or something broke (see the log); either way nothing was changed.
    static func varlinkError(for error: any Error, logger: Logger) -> VarlinkError {
        let failure = StoreFailure(error)
        switch failure {
        case .unavailable(_, let detail)?:
            logger.warning("database unavailable", metadata: ["error": "\(detail)"])
        case .storageFull(let detail)?:
            logger.critical(
                "the database server's disk is full; writes are refused until space is freed",
                metadata: ["error": "\(detail)"]
            )
        case .failed(let detail)?:
            logger.error("database error", metadata: ["error": "\(detail)"])
        case nil:
            logger.error("unexpected error", metadata: ["error": "\(error)"])
        }
        return wireError(for: failure).varlinkError
    }
}

extension AuditRecord {
    /// The action of the daily retention run's records.
    static let purgeAction = "Purge"

    /// Every action an audit record carries: one per method served, and the retention run's.
    static let actions: Set<String> = Set(Methods.all.map(\.auditAction)).union([purgeAction])
}

extension VarlinkCall {
    /// What the call sends to be stored, in bytes: its parameters as JSON.
    var parameterBytes: Int {
        (try? VarlinkJSON.encoder().encode(JSONValue.object(parameters)).count) ?? 0
    }
}

extension Incident {
    /// What a reporter who may no longer read their incident is told of it: its reference and
    /// when it was filed, with the facts they sent themselves — nothing the team added.
    func acknowledgement(of draft: ReportDraft) -> Incident {
        var seen = self
        seen.title = draft.title
        seen.description = draft.description
        seen.severity = draft.severity
        seen.category = draft.category
        seen.dataCategories = draft.dataCategories
        seen.peopleAffected = draft.peopleAffected
        seen.recordsAffected = draft.recordsAffected
        seen.jurisdictions = draft.jurisdictions
        seen.phase = .report
        seen.phaseEntered = reported
        seen.assignee = nil
        seen.restricted = false
        seen.closed = nil
        seen.playbook = nil
        seen.playbookVersion = nil
        seen.reportCount = 1
        seen.lastReported = nil
        seen.legalHold = nil
        return seen
    }

    /// The incident as a caller with `view` may see it.
    func seen(as view: IncidentView) -> Incident {
        switch view {
        case .full:
            return self
        case .reporter:
            var visible = self
            visible.assignee = nil
            return visible
        }
    }
}

extension DecodingError {
    var context: Context? {
        switch self {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            return context
        @unknown default:
            return nil
        }
    }

    /// The offending parameter as a dotted path (`jurisdictions[1]`).
    var parameterPath: String {
        var path = ""
        var codingPath = context?.codingPath ?? []
        if case .keyNotFound(let key, _) = self { codingPath.append(key) }
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? "parameters" : path
    }

    var reason: String {
        context?.debugDescription ?? "has an invalid value"
    }
}
