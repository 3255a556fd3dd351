import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Logging
import Varlink

extension IncidentsAPI {
    /// The retention in force: each playbook's, else the configured default.
    var retentionPolicy: RetentionPolicy {
        var days: [String: Int] = [:]
        for playbook in playbooks.current {
            if let retention = playbook.retentionDays { days[playbook.name] = retention }
        }
        return RetentionPolicy(defaultDays: settings.retentionDays, playbookDays: days)
    }

    func registerRetention(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Incidents.hold, on: &router) { parameters, call, caller in
            try await authorize(.purge, call, caller)
            guard let reason = parameters.reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty
            else {
                throw WireError.invalidValue(
                    parameter: "reason",
                    reason: "say why the incident is held (a litigation, an inquiry)"
                )
            }
            return try await hold(parameters.reference, true, reason, call, caller)
        }
        serve(Methods.Incidents.release, on: &router) { parameters, call, caller in
            try await authorize(.purge, call, caller)
            return try await hold(parameters.reference, false, nil, call, caller)
        }
        serve(Methods.Incidents.purge, on: &router) { parameters, call, caller in
            try await authorize(.purge, call, caller)
            let dryRun = parameters.dryRun ?? false
            let purged = try await store.purge(
                policy: retentionPolicy,
                dryRun: dryRun,
                audit: AuditRecord(caller: caller, action: call.auditAction)
            )
            if !dryRun, !purged.isEmpty {
                logger.notice(
                    "personal data purged past retention",
                    metadata: ["incidents.count": "\(purged.count)", "peer.uid": "\(caller.uid)"]
                )
            }
            return IncidentsWire.PurgeReply(incidents: purged, dryRun: dryRun)
        }
    }

    private func hold(
        _ reference: IncidentReference,
        _ hold: Bool,
        _ reason: String?,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> IncidentsWire.GetReply {
        let audit = AuditRecord(caller: caller, action: call.auditAction)
        guard let incident = try await store.setLegalHold(reference, hold: hold, reason: reason, audit: audit) else {
            throw WireError.noSuchIncident(reference: reference.rawValue)
        }
        return IncidentsWire.GetReply(incident: incident)
    }
}
