import Foundation
import IncidentCore
import Postgres

/// Where events become hook deliveries: inside the transaction of the change that caused them.
public struct Outbox: Sendable {
    /// The configured hooks: ``HookRouting`` decides from them which hear an event, with
    /// what payload. A value, so the store asks nothing of the daemon inside its transaction.
    public var hooks: [HookDefinition]
    /// Called after a transaction that queued deliveries committed, to wake the local dispatcher.
    public var wake: @Sendable () -> Void
    /// Seals payloads that carry personal data (for hooks configured to receive it).
    public var cipher: CipherBox
    /// A hook hears a repeated event of one incident at most once in this window, with the
    /// latest data (see `coalescedEvents`).
    public var coalesceWindow: Duration

    /// Events that repeat in storms (a DLP rule filing the same report again and again): within
    /// the window, a new one replaces the one still waiting instead of being queued beside it.
    public static let coalescedEvents: Set<String> = [IncidentEvent.Kind.reportFolded.rawValue]

    public init(
        hooks: [HookDefinition],
        wake: @escaping @Sendable () -> Void,
        cipher: CipherBox = CipherBox(nil),
        coalesceWindow: Duration = .seconds(300)
    ) {
        self.hooks = hooks
        self.wake = wake
        self.cipher = cipher
        self.coalesceWindow = coalesceWindow
    }

    /// The context a sealed payload is bound to: its incident.
    public static func payloadContext(incidentID: Int64) -> String { "hook-payload:\(incidentID)" }

    /// Queues the deliveries for `events`; returns how many.
    @discardableResult
    func enqueue(
        _ connection: PostgresConnection,
        incidentID: Int64,
        events: [IncidentEvent],
        incident: Incident,
        playbook: Playbook?,
        actor: String?
    ) throws -> Int {
        var queued = 0
        var rows: [PostgresQuery] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        for event in events {
            let entries = HookRouting.route(
                event: event.kind.rawValue,
                data: event.data,
                incident: incident,
                playbook: playbook,
                actor: actor,
                hooks: hooks,
                now: Date()
            )
            for entry in entries {
                var text = String(decoding: try encoder.encode(entry.payload), as: UTF8.self)
                if entry.payload.incident.description != nil || entry.payload.data["text"] != nil, cipher.current != nil
                {
                    let sealed = cipher.seal(text, context: Self.payloadContext(incidentID: incidentID))
                    text = String(decoding: try encoder.encode(["sealed": sealed]), as: UTF8.self)
                }
                let payload = PostgresJSON(text: text)
                guard Self.coalescedEvents.contains(entry.event) else {
                    rows.append("(\(incidentID), \(entry.hook), \(entry.event), \(payload), \(entry.maxAttempts))")
                    continue
                }
                // The incident's row is locked by the change, so its deliveries are ours to look at.
                let replaced = try connection.query(
                    """
                    UPDATE hook_deliveries SET payload = \(payload)
                    WHERE incident_id = \(incidentID) AND hook = \(entry.hook) AND event = \(entry.event)
                      AND state = 'pending' AND attempts = 0
                    RETURNING id
                    """
                )
                guard replaced.isEmpty else { continue }
                // Nothing waiting: queue it, held back until the window since the last one passed.
                let window =
                    Double(coalesceWindow.components.seconds) + Double(coalesceWindow.components.attoseconds) / 1e18
                try connection.query(
                    """
                    INSERT INTO hook_deliveries (incident_id, hook, event, payload, max_attempts, next_attempt_at)
                    SELECT \(incidentID), \(entry.hook), \(entry.event), \(payload), \(entry.maxAttempts),
                           greatest(now(), coalesce(max(created_at) + make_interval(secs => \(window)), now()))
                    FROM hook_deliveries WHERE incident_id = \(incidentID) AND hook = \(entry.hook) AND event = \(entry.event)
                    """
                )
                queued += 1
            }
        }
        // Every delivery of the change but the coalesced ones, in one statement.
        if !rows.isEmpty {
            try connection.query(
                "INSERT INTO hook_deliveries (incident_id, hook, event, payload, max_attempts) VALUES \(PostgresQuery.list(rows))"
            )
        }
        return queued + rows.count
    }
}
