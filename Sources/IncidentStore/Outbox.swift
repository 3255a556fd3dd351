import Foundation
import IncidentCore
import Postgres

/// Where events become hook deliveries: inside the transaction of the change that caused them.
public struct Outbox: Sendable {
    /// Which hooks hear an event, with what payload.
    public var route: @Sendable (_ event: String, _ data: [String: String], _ incident: Incident, _ playbook: Playbook?, _ actor: String?) -> [OutboxEntry]
    /// Called after a transaction that queued deliveries committed, to wake the local dispatcher.
    public var wake: @Sendable () -> Void
    /// Seals payloads that carry personal data (for hooks configured to receive it).
    public var cipher: CipherBox

    public init(
        route: @escaping @Sendable (String, [String: String], Incident, Playbook?, String?) -> [OutboxEntry],
        wake: @escaping @Sendable () -> Void, cipher: CipherBox = CipherBox(nil)
    ) {
        self.route = route
        self.wake = wake
        self.cipher = cipher
    }

    /// The context a sealed payload is bound to: its incident.
    public static func payloadContext(incidentID: Int64) -> String { "hook-payload:\(incidentID)" }

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
                var text = String(decoding: try encoder.encode(entry.payload), as: UTF8.self)
                if entry.payload.incident.description != nil || entry.payload.data["text"] != nil, cipher.current != nil {
                    let sealed = cipher.seal(text, context: Self.payloadContext(incidentID: incidentID))
                    text = String(decoding: try encoder.encode(["sealed": sealed]), as: UTF8.self)
                }
                let payload = PostgresJSON(text: text)
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
