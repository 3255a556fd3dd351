import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Logging
import Varlink

/// `io.incidentd.Playbooks`: the running set of playbooks, and reloading it.
extension IncidentsAPI {
    func registerPlaybooks(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Playbooks.list, on: &router) { parameters, call, caller in
            let running = playbooks.current
            backgroundAudit.record(
                AuditRecord(caller: caller, action: call.auditAction, detail: "\(running.count) playbooks")
            )
            return PlaybooksWire.ListReply(playbooks: running.map(PlaybooksWire.Summary.init))
        }
        serve(Methods.Playbooks.get, on: &router) { parameters, call, caller in
            let playbook = playbooks.current.first { $0.name == parameters.name }
            backgroundAudit.record(
                AuditRecord(
                    caller: caller,
                    action: call.auditAction,
                    outcome: playbook == nil ? .notFound : .ok,
                    detail: parameters.name
                )
            )
            guard let playbook else {
                throw WireError.invalidValue(parameter: "name", reason: "names no playbook in the running set")
            }
            return PlaybooksWire.GetReply(playbook: .init(playbook), source: playbook.source)
        }
        serve(Methods.Playbooks.reload, on: &router) { parameters, call, caller in
            try await authorize(.reloadPlaybooks, call, caller)
            switch Result(catching: { () throws(PlaybookSetError) in try playbooks.reload() }) {
            case .success(let loaded):
                logger.notice("playbooks reloaded", metadata: ["playbooks.count": "\(loaded.count)"])
                await Self.audit(
                    store: store,
                    logger: logger,
                    AuditRecord(caller: caller, action: call.auditAction, detail: "\(loaded.count) playbooks")
                )
                return PlaybooksWire.ListReply(playbooks: loaded.map(PlaybooksWire.Summary.init))
            case .failure(let error):
                logger.error("playbook reload refused; keeping the running set", metadata: ["error": "\(error)"])
                await Self.audit(
                    store: store,
                    logger: logger,
                    AuditRecord(
                        caller: caller,
                        action: call.auditAction,
                        outcome: .invalid,
                        detail: "\(error.problems.count) problems"
                    )
                )
                throw WireError.playbookProblems(error.problems.map(\.description))
            }
        }
    }
}
