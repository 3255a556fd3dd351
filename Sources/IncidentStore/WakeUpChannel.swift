/// The PostgreSQL notification channels the store's triggers notify (migration 0017), at the
/// commit of any transaction, from any daemon.
public enum WakeUpChannel: String, CaseIterable, Sendable {
    /// Hook deliveries were queued.
    case deliveries = "incidentd_deliveries"
    /// Timeline events were added.
    case events = "incidentd_events"
}
