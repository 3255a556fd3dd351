import IncidentStore
import Logging
import Postgres
import ServiceLifecycle

/// Turns the store's notifications into wake-ups: queued deliveries ring the hook
/// dispatcher's doorbell, new events the watches' bell, whichever daemon's commit it was.
/// While it cannot listen, both fall back to polling.
struct WakeUpListener: Service, CustomStringConvertible {
    let target: PostgresTarget
    let doorbell: Doorbell
    let events: EventBell
    let logger: Logger

    var description: String { "WakeUpListener" }

    func run() async throws {
        let listener = PostgresListener(
            target: target,
            channels: WakeUpChannel.allCases.map(\.rawValue),
            applicationName: "incidentd listener",
            logger: logger
        )
        await cancelWhenGracefulShutdown {
            await listener.run { [doorbell, events] channels in
                if channels.contains(WakeUpChannel.deliveries.rawValue) { doorbell.ringSoon() }
                if channels.contains(WakeUpChannel.events.rawValue) { events.ringSoon() }
            }
        }
    }
}
