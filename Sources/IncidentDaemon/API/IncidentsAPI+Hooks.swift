import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Logging
import Varlink

/// `io.incidentd.Hooks`: the outbox of hook deliveries, for operators.
extension IncidentsAPI {
    func registerHooks(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Hooks.deliveries, on: &router) { parameters, call, caller in
            try await authorize(.readHookDeliveries, call, caller)
            if let state = parameters.state, !["pending", "running", "delivered", "dead"].contains(state) {
                throw WireError.invalidValue(parameter: "state", reason: "must be pending, running, delivered or dead")
            }
            let limit = parameters.limit ?? 100
            guard (1...1000).contains(limit) else {
                throw WireError.invalidValue(parameter: "limit", reason: "must be 1 to 1000")
            }
            let rows = try await hookStore.list(
                state: parameters.state,
                limit: limit,
                audit: AuditRecord(caller: caller, action: call.auditAction)
            )
            return HooksWire.DeliveriesReply(deliveries: rows, disabled: try await hookStore.disabledHooks())
        }
        serve(Methods.Hooks.enable, on: &router) { parameters, call, caller in
            try await authorize(.retryHook, call, caller)
            let enabled = try await hookStore.enable(
                hook: parameters.name,
                audit: AuditRecord(caller: caller, action: call.auditAction)
            )
            guard enabled else { throw WireError.invalidValue(parameter: "name", reason: "names no disabled hook") }
            return HooksWire.EnableReply(enabled: true)
        }
        serve(Methods.Hooks.retry, on: &router) { parameters, call, caller in
            try await authorize(.retryHook, call, caller)
            guard let id = UUID(uuidString: parameters.id) else {
                throw WireError.invalidValue(parameter: "id", reason: "is not a delivery id")
            }
            let requeued = try await hookStore.retry(id, audit: AuditRecord(caller: caller, action: call.auditAction))
            guard requeued else { throw WireError.invalidValue(parameter: "id", reason: "names no dead delivery") }
            return HooksWire.RetryReply(requeued: true)
        }
    }
}
