import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import ServiceLifecycle
import Varlink

extension IncidentsAPI {
    /// `Watch`: streams events on the incidents the caller may see, filtered as `List` is,
    /// until the caller leaves or the daemon stops. Reads the event log whenever the event bell
    /// rings (any daemon's commit of events notifies), and at the poll interval otherwise, with
    /// a cursor with gaps so a transaction that commits late is not missed; sends a keep-alive
    /// while nothing happens, so the connection's idle timeout does not end a quiet watch.
    func watch(
        _ parameters: IncidentsWire.WatchParameters,
        _ call: VarlinkCall,
        _ caller: Caller,
        _ send: (IncidentsWire.WatchReply) async throws -> Void
    ) async throws -> IncidentsWire.WatchReply {
        try await authorize(.listIncidents, call, caller)
        let filter = try await validate(call, caller) { () throws(ValidationError) in
            try parameters.filter.validated()
        }
        if let after = parameters.after, after < 0 {
            throw WireError.invalidValue(parameter: "after", reason: "must be an event id, 0 or more")
        }
        let start: Int64
        if let after = parameters.after { start = after } else { start = try await store.latestEventID() }
        var cursor = EventCursor(position: start)
        // The watch is audited once, when it starts; the events it shows are not each a read.
        try await store.recordAudit(AuditRecord(caller: caller, action: call.auditAction, outcome: .ok))
        try await send(IncidentsWire.WatchReply(events: [], position: cursor.position))
        let batch = 500
        var lastSent = ContinuousClock.now
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            // Roles may be reloaded while a watch runs: decide what the caller sees each time.
            let principal = settings.roles.principal(for: caller)
            let rings = await self.events.rings
            let scope = AccessPolicy.visibility(of: principal)
            let read = try await store.events(after: cursor, matching: filter, visibleTo: scope, limit: batch)
            let fresh = cursor.advance(over: read.ids, now: clock())
            // The scope admits the incident; the view decides how much of each event shows.
            let events: [WatchEvent] = read.matching.filter { fresh.contains($0.event.id) }.compactMap {
                entry -> WatchEvent? in
                guard case .allow(let view) = AccessPolicy.decide(principal, .readIncident, incident: entry.access)
                else { return nil }
                return entry.event.seen(as: view)
            }
            if !events.isEmpty || lastSent.duration(to: .now) >= watchKeepAlive {
                try await send(IncidentsWire.WatchReply(events: events, position: cursor.position))
                lastSent = .now
            }
            if read.ids.count < batch {
                try await waitForEvents(after: rings, lastSent: &lastSent) {
                    try await send(IncidentsWire.WatchReply(events: [], position: cursor.position))
                }
            }
        }
        throw WireError.shuttingDown
    }

    /// Waits until the event bell has rung since `rings`, or the poll interval has passed, or
    /// the daemon stops; sends a keep-alive through `keepAlive` whenever one is due meanwhile.
    private func waitForEvents(
        after rings: Int,
        lastSent: inout ContinuousClock.Instant,
        keepAlive: () async throws -> Void
    ) async throws {
        let pollDue = ContinuousClock.now + watchPollInterval
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let keepAliveDue = lastSent + watchKeepAlive
            let until = min(pollDue, keepAliveDue)
            await cancelWhenGracefulShutdown {
                await self.events.wait(after: rings, timeout: ContinuousClock.now.duration(to: until))
            }
            if await self.events.rings != rings || ContinuousClock.now >= pollDue { return }
            if ContinuousClock.now >= keepAliveDue {
                try await keepAlive()
                lastSent = .now
            }
        }
    }
}
