import Foundation
import IncidentCore
import Postgres

/// Where events become hook deliveries: inside the transaction of the change that caused them.
public struct Outbox: Sendable {
    /// Which hooks hear an event, with what payload.
    public var route: @Sendable (_ event: String, _ data: [String: String], _ incident: Incident, _ playbook: Playbook?, _ actor: String?) -> [OutboxEntry]
    /// Called after a transaction that queued deliveries committed, to wake the local dispatcher.
    public var wake: @Sendable () -> Void

    public init(
        route: @escaping @Sendable (String, [String: String], Incident, Playbook?, String?) -> [OutboxEntry],
        wake: @escaping @Sendable () -> Void
    ) {
        self.route = route
        self.wake = wake
    }

    /// Queues the deliveries for `events`; returns how many.
    @discardableResult
    func enqueue(
        _ connection: PostgresConnection, incidentID: Int64, events: [(kind: String, data: [String: String])],
        incident: Incident, playbook: Playbook?, actor: String?
    ) throws -> Int {
        var queued = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        for event in events {
            for entry in route(event.kind, event.data, incident, playbook, actor) {
                let payload = PostgresJSON(text: String(decoding: try encoder.encode(entry.payload), as: UTF8.self))
                try connection.query(
                    """
                    INSERT INTO hook_deliveries (incident_id, hook, event, payload, max_attempts)
                    VALUES (\(incidentID), \(entry.hook), \(entry.event), \(payload), \(entry.maxAttempts))
                    """
                )
                queued += 1
            }
        }
        return queued
    }
}
