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
        router.register("io.incidentd.Incidents.Update") { call, caller in
            let parameters = try await decode(WorkflowWire.UpdateParameters.self, call, caller)
            var values: [String: FactValue] = [:]
            if let severity = parameters.severity { values["severity"] = .text(severity.rawValue) }
            if let category = parameters.category { values["category"] = .text(category.rawValue) }
            if let categories = parameters.dataCategories { values["dataCategories"] = .set(categories.map(\.rawValue)) }
            if let people = parameters.peopleAffected { values["peopleAffected"] = .number(people) }
            if let records = parameters.recordsAffected { values["recordsAffected"] = .number(records) }
            if let jurisdictions = parameters.jurisdictions { values["jurisdictions"] = .set(jurisdictions.map(\.rawValue)) }
            if let counts = parameters.peopleAffectedIn { values["peopleAffectedIn"] = .counts(counts) }
            let changes = values
            let estimates = Set(parameters.estimated ?? [])
            return try await workflow(call, caller, parameters.reference, parameters.version, .updateIncident) { _, _, _ in
                .success(.update(changes, estimates: estimates))
            }
        }
        router.register("io.incidentd.Incidents.CompleteTask") { call, caller in
            let parameters = try await decode(WorkflowWire.CompleteTaskParameters.self, call, caller)
            return try await workflow(call, caller, parameters.reference, parameters.version, .completeTask, task: parameters.task) {
                _, _, playbook in
                var captures: [String: FactValue] = [:]
                var estimates: Set<String> = []
                for (field, text) in parameters.captures ?? [:] {
                    guard let declaration = playbook.field(field) else {
                        return .failure(.invalidCapture(field: field, reason: "is not a field of playbook \(playbook.name)"))
                    }
                    guard let (value, estimate) = FactValue.parseEstimate(text, as: declaration.type) else {
                        return .failure(.invalidCapture(field: field, reason: "cannot be \"\(text.prefix(40))\""))
                    }
                    captures[field] = value
                    if estimate { estimates.insert(field) }
                }
                return .success(.completeTask(
                    id: parameters.task, captures: captures, reason: parameters.reason, notification: parameters.notification,
                    estimates: estimates
                ))
            }
        }
        router.register("io.incidentd.Incidents.SkipTask") { call, caller in
            let parameters = try await decode(WorkflowWire.SkipTaskParameters.self, call, caller)
            return try await workflow(call, caller, parameters.reference, parameters.version, .completeTask, task: parameters.task) {
                _, _, _ in .success(.skipTask(id: parameters.task, reason: parameters.reason))
            }
        }
        router.register("io.incidentd.Incidents.Approve") { call, caller in
            let parameters = try await decode(WorkflowWire.ReasonParameters.self, call, caller)
            return try await workflow(call, caller, parameters.reference, parameters.version, .approveGate, gate: true) { _, _, _ in
                .success(.approveGate)
            }
        }
        router.register("io.incidentd.Incidents.Advance") { call, caller in
            let parameters = try await decode(WorkflowWire.AdvanceParameters.self, call, caller)
            // Forcing a move past missing tasks or an unapproved gate is a manager's call.
            let action: Action = parameters.force == nil ? .advance : .approveGate
            return try await workflow(call, caller, parameters.reference, parameters.version, action) { _, _, _ in
                .success(.advance(force: parameters.force))
            }
        }
        router.register("io.incidentd.Incidents.PauseClock") { call, caller in
            let parameters = try await decode(WorkflowWire.PauseParameters.self, call, caller)
            let request = PauseRequest(
                basis: parameters.basis, regimes: parameters.regimes ?? [], until: parameters.until, reason: parameters.reason
            )
            return try await workflow(call, caller, parameters.reference, parameters.version, .pauseClock) { _, _, _ in
                .success(.pauseClocks(request))
            }
        }
        router.register("io.incidentd.Incidents.ResumeClock") { call, caller in
            let parameters = try await decode(WorkflowWire.ResumeParameters.self, call, caller)
            return try await workflow(call, caller, parameters.reference, parameters.version, .pauseClock) { _, _, _ in
                .success(.resumeClocks(regimes: parameters.regimes ?? [], reason: parameters.reason))
            }
        }
        router.register("io.incidentd.Incidents.Close") { call, caller in
            let parameters = try await decode(WorkflowWire.CloseParameters.self, call, caller)
            return try await workflow(call, caller, parameters.reference, parameters.version, .close) { _, _, _ in
                .success(.close(resolution: parameters.resolution, lessonsLearned: parameters.lessonsLearned, force: parameters.force))
            }
        }
        router.register("io.incidentd.Incidents.Reopen") { call, caller in
            let parameters = try await decode(WorkflowWire.ReasonParameters.self, call, caller)
            return try await workflow(call, caller, parameters.reference, parameters.version, .reopen) { _, _, _ in
                .success(.reopen(reason: parameters.reason ?? ""))
            }
        }
        router.register("io.incidentd.Incidents.Note") { call, caller in
            let parameters = try await decode(WorkflowWire.NoteParameters.self, call, caller)
            let text = parameters.text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.utf8.count <= 64 * 1024, !text.unicodeScalars.contains("\u{0}") else {
                throw VarlinkError.invalidValue("text", reason: "must be 1 byte to 64 KiB of text")
            }
            _ = try await change(parameters.reference, .addNote, version: nil, call, caller) { _ in
                [IncidentEvent(.noteAdded, ["text": text])]
            }
            return try await caseFileReply(parameters.reference, caller, call)
        }
        router.register("io.incidentd.Incidents.Timeline") { call, caller in
            let parameters = try await decode(WorkflowWire.TimelineParameters.self, call, caller)
            if let latest = parameters.latest, !(1...1000).contains(latest) {
                throw VarlinkError.invalidValue("latest", reason: "must be 1 to 1000")
            }
            // Reading the case file first applies the same access rule, and audits the read; a
            // reporter sees only the events `show` would show them.
            let (_, view) = try await readableCaseFile(parameters.reference, caller, call)
            let timeline = try await store.timeline(
                parameters.reference, latest: parameters.latest, onlyKinds: view == .full ? nil : ReporterTimeline.kinds
            )
            return try VarlinkReply(encoding: WorkflowWire.TimelineReply(
                events: timeline.events.map { $0.seen(as: view) }.map { .init(at: $0.at, kind: $0.kind, actor: $0.actor, data: $0.data) },
                total: parameters.latest == nil ? nil : timeline.total
            ))
        }
        router.register("io.incidentd.Hooks.Deliveries") { call, caller in
            let parameters = try await decode(HooksWire.DeliveriesParameters.self, call, caller)
            try await authorize(.queryAudit, call, caller)
            if let state = parameters.state, !["pending", "running", "delivered", "dead"].contains(state) {
                throw VarlinkError.invalidValue("state", reason: "must be pending, running, delivered or dead")
            }
            let limit = parameters.limit ?? 100
            guard (1...1000).contains(limit) else { throw VarlinkError.invalidValue("limit", reason: "must be 1 to 1000") }
            let rows = try await hookStore.list(
                state: parameters.state, limit: limit, audit: AuditRecord(caller: caller, action: call.auditAction)
            )
            return try VarlinkReply(encoding: HooksWire.DeliveriesReply(deliveries: rows, disabled: try await hookStore.disabledHooks()))
        }
        router.register("io.incidentd.Hooks.Enable") { call, caller in
            let parameters = try await decode(HooksWire.EnableParameters.self, call, caller)
            try await authorize(.retryHook, call, caller)
            let enabled = try await hookStore.enable(hook: parameters.name, audit: AuditRecord(caller: caller, action: call.auditAction))
            guard enabled else { throw VarlinkError.invalidValue("name", reason: "names no disabled hook") }
            return try VarlinkReply(encoding: HooksWire.EnableReply(enabled: true))
        }
        router.register("io.incidentd.Hooks.Retry") { call, caller in
            let parameters = try await decode(HooksWire.RetryParameters.self, call, caller)
            try await authorize(.retryHook, call, caller)
            guard let id = UUID(uuidString: parameters.id) else {
                throw VarlinkError.invalidValue("id", reason: "is not a delivery id")
            }
            let requeued = try await hookStore.retry(id, audit: AuditRecord(caller: caller, action: call.auditAction))
            guard requeued else { throw VarlinkError.invalidValue("id", reason: "names no dead delivery") }
            return try VarlinkReply(encoding: HooksWire.RetryReply(requeued: true))
        }
        router.register("io.incidentd.Playbooks.List") { call, caller in
            let running = playbooks.current
            backgroundAudit.record(AuditRecord(caller: caller, action: call.auditAction, detail: "\(running.count) playbooks"))
            return try VarlinkReply(encoding: PlaybooksWire.ListReply(playbooks: running.map(PlaybooksWire.Summary.init)))
        }
        router.register("io.incidentd.Playbooks.Get") { call, caller in
            let parameters = try await decode(PlaybooksWire.GetParameters.self, call, caller)
            let playbook = playbooks.current.first { $0.name == parameters.name }
            backgroundAudit.record(AuditRecord(
                caller: caller, action: call.auditAction, outcome: playbook == nil ? .notFound : .ok, detail: parameters.name
            ))
            guard let playbook else { throw VarlinkError.invalidValue("name", reason: "names no playbook in the running set") }
            return try VarlinkReply(encoding: PlaybooksWire.GetReply(playbook: .init(playbook), source: playbook.source))
        }
        router.register("io.incidentd.Playbooks.Reload") { call, caller in
            try await authorize(.reloadPlaybooks, call, caller)
            switch Result(catching: { () throws(PlaybookSetError) in try playbooks.reload() }) {
            case .success(let loaded):
                logger.notice("playbooks reloaded", metadata: ["playbooks.count": "\(loaded.count)"])
                await Self.audit(
                    store: store, logger: logger,
                    AuditRecord(caller: caller, action: call.auditAction, detail: "\(loaded.count) playbooks")
                )
                return try VarlinkReply(encoding: PlaybooksWire.ListReply(playbooks: loaded.map(PlaybooksWire.Summary.init)))
            case .failure(let error):
                logger.error("playbook reload refused; keeping the running set", metadata: ["error": "\(error)"])
                await Self.audit(
                    store: store, logger: logger,
                    AuditRecord(caller: caller, action: call.auditAction, outcome: .invalid, detail: "\(error.problems.count) problems")
                )
                throw VarlinkError(name: "io.incidentd.PlaybookProblems", parameters: [
                    "problems": .array(error.problems.map { .string($0.description) })
                ])
            }
        }
    }

    /// Reads the case file as `caller` may see it.
    func caseFileReply(_ reference: IncidentReference, _ caller: Caller, _ call: VarlinkCall) async throws -> VarlinkReply {
        let (file, view) = try await readableCaseFile(reference, caller, call)
        return try VarlinkReply(encoding: file.reply(as: view))
    }

    /// The case file and the view the caller has of it, read (and audited) under the access
    /// rule; an incident the caller may not read answers NoSuchIncident, as if it did not exist.
    func readableCaseFile(
        _ reference: IncidentReference, _ caller: Caller, _ call: VarlinkCall
    ) async throws -> (CaseFile, IncidentView) {
        let principal = settings.roles.principal(for: caller)
        let playbooks = self.playbooks
        let lookup = try await store.caseFile(
            reference, audit: AuditRecord(caller: caller, action: call.auditAction, incident: reference),
            resolve: { playbooks.resolve(digest: $0, source: $1) }
        ) { AccessPolicy.decide(principal, .readIncident, incident: $0.accessFacts) }
        guard case .found(let file, let view) = lookup else { throw VarlinkError.noSuchIncident(reference) }
        return (file, view)
    }

    /// The shared path of every workflow command.
    /// - Parameters:
    ///   - task: for task commands, the task whose role the caller must hold (or be a manager).
    ///   - gate: for approvals, the caller must hold the gate's role.
    func workflow(
        _ call: VarlinkCall, _ caller: Caller, _ reference: IncidentReference, _ version: Int?, _ action: Action,
        task: String? = nil, gate: Bool = false,
        _ command: @escaping @Sendable (Incident, CaseState, Playbook) -> Result<WorkflowCommand, WorkflowRefusal>
    ) async throws -> VarlinkReply {
        let principal = settings.roles.principal(for: caller)
        let playbooks = self.playbooks
        let now = clock()
        do {
            let file = try await store.applyWorkflow(
                reference, expectedVersion: version, audit: AuditRecord(caller: caller, action: call.auditAction),
                adding: call.parameterBytes,
                resolve: { playbooks.resolve(digest: $0, source: $1) },
                authorize: { incident, state, playbook in
                    let facts = incident.accessFacts
                    guard AccessPolicy.decide(principal, .readIncident, incident: facts).isAllowed else { return .hidden(reference) }
                    if case .deny(let reason) = AccessPolicy.decide(principal, action, incident: facts) {
                        return .denied(reason: reason)
                    }
                    if let task, let plan = playbook.task(task), !principal.has(plan.role), !principal.has(.manager) {
                        return .denied(reason: "task \(task) is for a \(plan.role.rawValue)")
                    }
                    if gate, let role = playbook.plan(for: state.phase)?.gate, !principal.has(role) {
                        return .denied(reason: "the \(state.phase.rawValue) gate needs a \(role.rawValue)'s approval")
                    }
                    return nil
                },
                command: { incident, state, playbook in
                    command(incident, state, playbook).flatMap { command in
                        Workflow.apply(command, to: state, playbook: playbook, actor: caller.userName, now: now)
                    }
                }
            )
            return try VarlinkReply(encoding: file.reply(as: .full))
        } catch let refusal as ChangeRefusal {
            throw Self.varlinkError(for: refusal)
        } catch let refusal as WorkflowRefusal {
            throw Self.varlinkError(for: refusal)
        } catch let error as WorkflowStoreError {
            throw VarlinkError(name: "io.incidentd.MoveNotAllowed", parameters: [
                "reason": .string(error.description), "missingTasks": .array([]),
            ])
        }
    }

    static func varlinkError(for refusal: ChangeRefusal) -> VarlinkError {
        switch refusal {
        case .notFound(let reference), .hidden(let reference): return .noSuchIncident(reference)
        case .denied(let reason): return .permissionDenied(reason)
        case .conflict(let reference, let current):
            return VarlinkError(
                name: "io.incidentd.Conflict",
                parameters: ["reference": .string(reference.rawValue), "version": .integer(Int64(current))]
            )
        case .tooMuchData(let reference, let limit):
            return VarlinkError(
                name: "io.incidentd.TooMuchData", parameters: ["reference": .string(reference.rawValue), "limit": .integer(Int64(limit))]
            )
        }
    }

    static func varlinkError(for refusal: WorkflowRefusal) -> VarlinkError {
        switch refusal {
        case .missingCaptures(let task, let fields):
            return .invalidValue("captures", reason: "for \(task) must include \(fields.joined(separator: ", "))")
        case .invalidCapture(let field, let reason):
            return .invalidValue("captures.\(field)", reason: reason)
        case .unknownTask(let id):
            return .invalidValue("task", reason: "\(id) is not a task of this incident's playbook")
        case .reasonRequired, .lateReasonRequired:
            return .invalidValue("reason", reason: "is required: \(refusal)")
        case .notificationDetailsRequired:
            return .invalidValue("notification", reason: "is required: \(refusal)")
        case .blocked(_, let tasks, let gate):
            var parameters: [String: JSONValue] = [
                "reason": .string(refusal.description), "missingTasks": .array(tasks.map(JSONValue.string)),
            ]
            if let gate { parameters["gate"] = .string(gate.rawValue) }
            return VarlinkError(name: "io.incidentd.MoveNotAllowed", parameters: parameters)
        case .unknownRegime:
            return .invalidValue("regimes", reason: "name no such regime: \(refusal)")
        case .pauseNeedsEnd:
            return .invalidValue("until", reason: "is required: \(refusal)")
        case .pauseBeyondCap:
            return .invalidValue("until", reason: "is too late: \(refusal)")
        case .pauseEndNotAfterStart:
            return .invalidValue("until", reason: "must be in the future: \(refusal)")
        case .taskNotInCurrentPhase, .taskNotOpen, .noGate, .closed, .notClosed, .alreadyPaused, .notPaused, .closeToLeaveNotify,
            .closeOnlyFromNotify, .pauseNotAllowed:
            return VarlinkError(name: "io.incidentd.MoveNotAllowed", parameters: [
                "reason": .string(refusal.description), "missingTasks": .array([]),
            ])
        }
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
