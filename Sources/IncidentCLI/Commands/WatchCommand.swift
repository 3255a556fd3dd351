import ArgumentParser
import Foundation
import Glibc
import IncidentCore
import IncidentProtocol
import Varlink

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Show events as they happen, on the incidents you may see, until stopped.",
        discussion: """
            Filters are those of 'incidentctl list'. If the daemon restarts or the
            connection breaks, watch says so, reconnects, and resumes after the last event
            it showed. With --json, each event is one JSON object on a line of its own.

            Examples:
              incidentctl watch
              incidentctl watch --severity high --severity critical
              incidentctl watch --assignee mia --json | jq .kind
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: FilterOptions

    @Option(name: .long, help: "Start after this event id (printed with --json) instead of with new events.")
    var after: Int64?

    func run() throws {
        let path = global.target
        let filter = try self.filter.parameters()
        var position = after
        var lost: String?
        var firstConnection = true
        var wait: UInt32 = 250_000
        while true {
            do {
                let client = try DaemonConnection.open(path)
                let parameters = IncidentsWire.WatchParameters(filter: filter, after: position)
                var reply = try client.call(try Methods.Incidents.watch.call(parameters, more: true)).terminalSafe()
                while true {
                    if let name = reply.error {
                        let error = WireError(VarlinkError(name: name, parameters: reply.parameters))
                        guard error == .shuttingDown else { throw CLIError(error) }
                        throw Interrupted(reason: Language.current.text("the daemon restarted"))
                    }
                    let batch = try reply.decode(IncidentsWire.WatchReply.self)
                    if let reason = lost {
                        printError(
                            Language.current.text(
                                "Reconnected to incidentd after %s; resuming after event %s.",
                                reason,
                                String(batch.position)
                            )
                        )
                        lost = nil
                    } else if firstConnection, !global.json {
                        printError(Language.current.text("Watching events at %s; press Ctrl-C to stop.", path))
                    }
                    firstConnection = false
                    wait = 250_000
                    try show(batch.events)
                    position = batch.position
                    guard reply.continues else { break }
                    reply = try client.nextReply().terminalSafe()
                }
            } catch let interruption as Interrupted {
                if lost == nil {
                    lost = interruption.reason
                    printError(
                        Language.current.text(
                            "Lost the connection to incidentd (%s); reconnecting…",
                            interruption.reason
                        )
                    )
                }
            } catch let error as VarlinkClient.ConnectionError {
                if error.code == .permissionDenied || error.code == .pathTooLong {
                    throw DaemonConnection.explain(error)
                }
                if firstConnection, error.code == .notRunning { throw DaemonConnection.explain(error) }
                if lost == nil {
                    lost = Language.current.text(
                        error.code == .notRunning ? "the daemon stopped" : "the connection broke"
                    )
                    printError(Language.current.text("Lost the connection to incidentd (%s); reconnecting…", lost!))
                }
            }
            usleep(wait)
            wait = min(wait * 2, 5_000_000)
        }
    }

    /// The daemon ended the stream because it is stopping.
    private struct Interrupted: Error {
        var reason: String
    }

    private func show(_ events: [WatchEvent]) throws {
        guard !events.isEmpty else { return }
        if global.json {
            let encoder = VarlinkJSON.encoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for event in events { print(String(decoding: try encoder.encode(event), as: UTF8.self)) }
        } else {
            let output = Output()
            for event in events { print(output.event(event)) }
        }
        fflush(nil)
    }
}
