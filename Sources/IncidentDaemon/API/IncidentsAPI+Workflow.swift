import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Logging
import Varlink

/// The workflow commands: each is authorised (the action, and the task's or gate's role),
/// version-checked, run through the pure engine, and saved with its events and audit record.
extension IncidentsAPI {
    func registerWorkflow(_ router: inout VarlinkRouter<Caller>) {
        registerTasks(&router)
        registerMoves(&router)
    }

    /// Updating the facts, and completing or skipping a task.
    private func registerTasks(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Incidents.update, on: &router) { parameters, call, caller in
            let logger = self.logger
            return try await workflow(call, caller, parameters.reference, parameters.version, .updateIncident) {
                _,
                _,
                playbook in
                Self.updateCommand(parameters, of: playbook, logger: logger)
            }
        }
        serve(Methods.Incidents.completeTask, on: &router) { parameters, call, caller in
            let profile = settings.profile
            return try await workflow(
                call,
                caller,
                parameters.reference,
                parameters.version,
                .completeTask,
                task: parameters.task
            ) {
                incident,
                state,
                playbook in
                // A task with a notice sends it: checked against its elements on the case file as read.
                var notification = parameters.notification
                if let details = notification, let notice = playbook.task(parameters.task)?.notice {
                    let file = NoticeCase(incident: incident, state: state, playbook: playbook, profile: profile)
                    switch notice.sending(details, task: parameters.task, in: file) {
                    case .failure(let refusal): return .failure(refusal)
                    case .success(let checked): notification = checked
                    }
                }
                return Self.captures(
                    parameters.values ?? [:],
                    deprecatedText: parameters.captures ?? [:],
                    estimated: parameters.estimated ?? [],
                    of: playbook,
                    logger: logger
                ).map { captures, estimates in
                    .completeTask(
                        id: parameters.task,
                        captures: captures,
                        reason: parameters.reason,
                        notification: notification,
                        estimates: estimates
                    )
                }
            }
        }
        serve(Methods.Incidents.skipTask, on: &router) { parameters, call, caller in
            try await workflow(
                call,
                caller,
                parameters.reference,
                parameters.version,
                .completeTask,
                task: parameters.task
            ) {
                _,
                _,
                _ in .success(.skipTask(id: parameters.task, reason: parameters.reason))
            }
        }
    }

    /// Moving the incident: approving a gate, advancing, pausing and resuming its clocks,
    /// closing and reopening it.
    private func registerMoves(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Incidents.approve, on: &router) { parameters, call, caller in
            try await workflow(call, caller, parameters.reference, parameters.version, .approveGate, gate: true) {
                _,
                _,
                _ in
                .success(.approveGate)
            }
        }
        serve(Methods.Incidents.advance, on: &router) { parameters, call, caller in
            // Forcing a move past missing tasks or an unapproved gate is a manager's call.
            let action: Action = parameters.force == nil ? .advance : .approveGate
            return try await workflow(call, caller, parameters.reference, parameters.version, action) { _, _, _ in
                .success(.advance(force: parameters.force))
            }
        }
        serve(Methods.Incidents.pauseClock, on: &router) { parameters, call, caller in
            let request = PauseRequest(
                basis: parameters.basis,
                regimes: parameters.regimes ?? [],
                until: parameters.until,
                reason: parameters.reason
            )
            return try await workflow(call, caller, parameters.reference, parameters.version, .pauseClock) { _, _, _ in
                .success(.pauseClocks(request))
            }
        }
        serve(Methods.Incidents.resumeClock, on: &router) { parameters, call, caller in
            try await workflow(call, caller, parameters.reference, parameters.version, .pauseClock) { _, _, _ in
                .success(.resumeClocks(regimes: parameters.regimes ?? [], reason: parameters.reason))
            }
        }
        serve(Methods.Incidents.close, on: &router) { parameters, call, caller in
            try await workflow(call, caller, parameters.reference, parameters.version, .close) { _, _, _ in
                .success(
                    .close(
                        resolution: parameters.resolution,
                        lessonsLearned: parameters.lessonsLearned,
                        force: parameters.force
                    )
                )
            }
        }
        serve(Methods.Incidents.reopen, on: &router) { parameters, call, caller in
            try await workflow(call, caller, parameters.reference, parameters.version, .reopen) { _, _, _ in
                .success(.reopen(reason: parameters.reason ?? ""))
            }
        }
    }

    /// Notes and the timeline: what happened, in order.
    func registerTimeline(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Incidents.note, on: &router) { parameters, call, caller in
            let text = parameters.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.utf8.count <= 64 * 1024, !text.unicodeScalars.contains("\u{0}") else {
                throw WireError.invalidValue(parameter: "text", reason: "must be 1 byte to 64 KiB of text")
            }
            _ = try await change(parameters.reference, .addNote, version: nil, call, caller) { _ in
                [IncidentEvent(.noteAdded, ["text": text])]
            }
            return try await caseFileReply(parameters.reference, caller, call)
        }
        serve(Methods.Incidents.timeline, on: &router) { parameters, call, caller in
            if let latest = parameters.latest, !(1...1000).contains(latest) {
                throw WireError.invalidValue(parameter: "latest", reason: "must be 1 to 1000")
            }
            // Reading the case file first applies the same access rule, and audits the read; a
            // reporter sees only the events `show` would show them.
            let (_, view) = try await readableCaseFile(parameters.reference, caller, call)
            let timeline = try await store.timeline(
                parameters.reference,
                latest: parameters.latest,
                onlyKinds: view == .full ? nil : ReporterTimeline.kinds
            )
            return WorkflowWire.TimelineReply(
                events: timeline.events.map { $0.seen(as: view) }.map {
                    .init(at: $0.at, kind: $0.kind, actor: $0.actor, data: $0.data)
                },
                total: parameters.latest == nil ? nil : timeline.total
            )
        }
    }

    /// The captures of a completed task as the workflow takes them, each checked against its
    /// field's declared type, with the counts that are estimates. `deprecatedText` is 0.x's
    /// `captures`: text parsed by each field's type, `~1200` an estimate; its use is logged.
    static func captures(
        _ values: [String: CaptureValue],
        deprecatedText: [String: String],
        estimated: [String],
        of playbook: Playbook,
        logger: Logger
    ) -> Result<([String: FactValue], Set<String>), WorkflowRefusal> {
        if let both = Set(values.keys).intersection(deprecatedText.keys).sorted().first {
            return .failure(.invalidCapture(field: both, reason: "is given both in values and in captures"))
        }
        if !deprecatedText.isEmpty {
            logger.notice(
                "CompleteTask's captures (text) is deprecated since 1.0; clients should send values",
                metadata: ["capture.fields": "\(deprecatedText.keys.sorted().joined(separator: ","))"]
            )
        }
        let given =
            values.map { ($0.key, $0.value, false) }
            + deprecatedText.map { ($0.key, CaptureValue.text($0.value), true) }
        var captures: [String: FactValue] = [:]
        var estimates = Set(estimated)
        for field in estimates.subtracting(given.map(\.0)).sorted() {
            return .failure(.invalidCapture(field: field, reason: "is marked an estimate but not captured"))
        }
        for (field, capture, parsingText) in given.sorted(by: { $0.0 < $1.0 }) {
            guard let declaration = playbook.field(field) else {
                return .failure(.invalidCapture(field: field, reason: "is not a field of playbook \(playbook.name)"))
            }
            switch capture.fact(as: declaration.type, parsingText: parsingText) {
            case .failure(let error): return .failure(.invalidCapture(field: field, reason: error.description))
            case .success(let (value, estimate)):
                captures[field] = value
                if estimate { estimates.insert(field) }
            }
            if estimates.contains(field), ![.integer, .counts].contains(CaptureType(declaration.type)) {
                return .failure(.invalidCapture(field: field, reason: "is not a count, so it cannot be an estimate"))
            }
        }
        return .success((captures, estimates))
    }

    /// What an Update asks the workflow: the triage facts it names, and its other `values`
    /// typed by the playbook. A decision is not among them: it is taken by its task, with a reason.
    static func updateCommand(
        _ parameters: WorkflowWire.UpdateParameters,
        of playbook: Playbook,
        logger: Logger
    ) -> Result<WorkflowCommand, WorkflowRefusal> {
        var changes = parameters.factValues
        var estimates = Set(parameters.estimated ?? [])
        let values = parameters.values ?? [:]
        guard !values.isEmpty else { return .success(.update(changes, estimates: estimates)) }
        for field in values.keys.sorted() {
            if changes[field] != nil {
                return .failure(
                    .invalidCapture(field: field, reason: "is given twice, as its own parameter and in values")
                )
            }
            if playbook.field(field)?.isDecision == true {
                return .failure(
                    .invalidCapture(
                        field: field,
                        reason: "is a decision: record it by completing its task, with a reason"
                    )
                )
            }
        }
        switch captures(values, deprecatedText: [:], estimated: [], of: playbook, logger: logger) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let (typed, estimated)):
            changes.merge(typed) { given, _ in given }
            estimates.formUnion(estimated)
            return .success(.update(changes, estimates: estimates))
        }
    }

    /// Reads the case file as `caller` may see it.
    func caseFileReply(
        _ reference: IncidentReference,
        _ caller: Caller,
        _ call: VarlinkCall
    ) async throws -> WorkflowWire.CaseFileReply {
        let (file, view) = try await readableCaseFile(reference, caller, call)
        return file.reply(as: view)
    }

    /// The case file and the view the caller has of it, read (and audited) under the access
    /// rule; an incident the caller may not read answers NoSuchIncident, as if it did not exist.
    func readableCaseFile(
        _ reference: IncidentReference,
        _ caller: Caller,
        _ call: VarlinkCall
    ) async throws -> (CaseFile, IncidentView) {
        let principal = settings.roles.principal(for: caller)
        let playbooks = self.playbooks
        let lookup = try await store.caseFile(
            reference,
            audit: AuditRecord(caller: caller, action: call.auditAction, incident: reference),
            playbooks: playbooks.versions,
            access: ReadAccess(principal)
        )
        guard case .found(let file, let view) = lookup else {
            throw WireError.noSuchIncident(reference: reference.rawValue)
        }
        return (file, view)
    }

    /// The shared path of every workflow command: read the case file, decide on it here (the
    /// access policy, the version the caller expects, the pure workflow), and have the store
    /// write the result if nobody changed the incident meanwhile; otherwise decide again.
    /// - Parameters:
    ///   - task: for task commands, the task whose role the caller must hold (or be a manager).
    ///   - gate: for approvals, the caller must hold the gate's role.
    func workflow(
        _ call: VarlinkCall,
        _ caller: Caller,
        _ reference: IncidentReference,
        _ version: Int?,
        _ action: Action,
        task: String? = nil,
        gate: Bool = false,
        detail: String = "",
        _ command: @escaping @Sendable (Incident, CaseState, Playbook) -> Result<WorkflowCommand, WorkflowRefusal>
    ) async throws -> WorkflowWire.CaseFileReply {
        let principal = settings.roles.principal(for: caller)
        let now = clock()
        var record = AuditRecord(caller: caller, action: call.auditAction, incident: reference, detail: detail)
        var seen = 0
        for _ in 0..<Self.decisionsPerChange {
            let basis: CaseBasis
            switch try await store.caseForChange(reference, playbooks: playbooks.versions) {
            case .notFound:
                try await store.recordAudit(record.refused(.notFound(reference)))
                throw WireError(ChangeRefusal.notFound(reference))
            case .noPlaybook:
                record.outcome = .failed
                record.detail = "no playbook"
                try await store.recordAudit(record)
                throw WireError.moveNotAllowed(reason: WorkflowStoreError.noPlaybook(reference).description)
            case .found(let found): basis = found
            }
            let file = basis.file
            seen = file.incident.version
            if let refusal = Self.refusal(principal, action, task: task, gate: gate, file, expectedVersion: version) {
                try await store.recordAudit(record.refused(refusal))
                throw WireError(refusal)
            }
            // A reporter works in the reporter view: they may add only what they know, and the
            // reply shows them no more than Get would.
            let decision = AccessPolicy.decide(principal, action, incident: file.incident.accessFacts)
            let view: IncidentView = if case .allow(let allowed) = decision { allowed } else { .full }
            let made = command(file.incident, file.state, file.playbook)
            if view == .reporter, case .success(.update(let values, _)) = made,
                let reason = AccessPolicy.reporterUpdateRefusal(values, of: file.incident, facts: file.state.facts)
            {
                try await store.recordAudit(record.refused(.denied(reason: reason)))
                throw WireError(ChangeRefusal.denied(reason: reason))
            }
            let outcome = made.flatMap { command in
                Workflow.apply(command, to: file.state, playbook: file.playbook, actor: caller.userName, now: now)
            }
            guard case .success(let (next, events)) = outcome else {
                record.outcome = .refused
                record.detail = "refused by the workflow"
                try await store.recordAudit(record)
                if case .failure(let refusal) = outcome { throw WireError(refusal) }
                preconditionFailure("an outcome is a success or a failure")
            }
            switch try await store.write(next, events: events, on: basis, audit: record, adding: call.parameterBytes) {
            case .written(let file): return file.reply(as: view)
            case .refused(let refusal): throw WireError(refusal)
            case .moved: continue
            }
        }
        try await store.recordAudit(record.refused(.conflict(reference, current: seen)))
        throw WireError(ChangeRefusal.conflict(reference, current: seen))
    }

    /// How many times a change is decided again because the incident changed under it,
    /// before the caller is told to try again. Every round, one of the changes racing on an
    /// incident is written, so this bounds a storm of that many concurrent changes.
    static let decisionsPerChange = 64

    /// Why `principal` may not run a workflow command on `file`, if they may not.
    static func refusal(
        _ principal: Principal,
        _ action: Action,
        task: String?,
        gate: Bool,
        _ file: CaseFile,
        expectedVersion: Int?
    ) -> ChangeRefusal? {
        if let refusal = refusal(principal, action, file.incident, expectedVersion: nil) { return refusal }
        if let task, let plan = file.playbook.task(task), !principal.has(plan.role), !principal.has(.manager) {
            return .denied(reason: "task \(task) is for a \(plan.role.rawValue)")
        }
        if gate, let role = file.playbook.plan(for: file.state.phase)?.gate, !principal.has(role) {
            return .denied(reason: "the \(file.state.phase.rawValue) gate needs a \(role.rawValue)'s approval")
        }
        if let expectedVersion, expectedVersion != file.incident.version {
            return .conflict(file.incident.reference, current: file.incident.version)
        }
        return nil
    }
}

extension CaseFile {
    /// The case file as a caller with `view` may see it.
    func reply(as view: IncidentView) -> WorkflowWire.CaseFileReply {
        var reply = WorkflowWire.CaseFileReply(incident: incident.seen(as: view))
        guard view == .full else { return reply }
        let now = Date()
        reply.tasks = state.tasks.compactMap { task in
            var task = task
            // A pause that reached its end no longer holds the task, whether or not the scheduler has recorded it yet.
            if let until = task.pausedUntil, until <= now { task.pausedUntil = nil }
            return playbook.task(task.id).map { WorkflowWire.Task(plan: $0, state: task) }
        }
        reply.decisions = state.decisions
        reply.notifications = state.notifications
        let builtIn = Set(FieldDeclaration.builtIn.map(\.name)).subtracting(["peopleAffectedIn"])
        let facts = state.facts.values.filter { !builtIn.contains($0.key) }.mapValues(\.display)
        reply.facts = facts.isEmpty ? nil : facts
        let fields = FieldDeclaration.builtIn + playbook.fields
        reply.fieldTypes =
            fields.isEmpty ? nil : Dictionary(fields.map { ($0.name, CaptureType($0.type)) }) { _, own in own }
        reply.estimated = state.facts.estimated.isEmpty ? nil : state.facts.estimated.sorted()
        if let gate = playbook.plan(for: state.phase)?.gate, !state.gateApproved { reply.gatePending = gate }
        reply.clocksPaused = state.runningPauses(at: now).isEmpty ? nil : true
        reply.pauses = state.pauses.isEmpty ? nil : state.pauses
        reply.regimes = playbook.regimes.isEmpty ? nil : playbook.regimes.map(WorkflowWire.Regime.init)
        let running = Workflow.runningRegimes(state, playbook: playbook)
        reply.runningRegimes = running.isEmpty ? nil : running
        reply.resolution = state.resolution
        reply.lessonsLearned = state.lessonsLearned
        return reply
    }
}
