import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Show hook deliveries, requeue dead ones and enable disabled hooks (admins).",
        discussion: """
            Examples:
              incidentctl hooks
              incidentctl hooks --state dead
              incidentctl hooks retry 3f1c2a9e-…
              incidentctl hooks enable chat
            """,
        subcommands: [HooksListCommand.self, HooksRetryCommand.self, HooksEnableCommand.self],
        defaultSubcommand: HooksListCommand.self
    )
}

struct HooksListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List deliveries, newest first, and the hooks their receivers disabled.",
        discussion: "Examples:\n  incidentctl hooks list\n  incidentctl hooks list --state dead"
    )
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Only pending, running, delivered or dead.") var state: String?
    @Option(name: .long, help: "At most this many (1 to 1000).") var limit: Int = 50

    func run() throws {
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Hooks.deliveries,
            HooksWire.DeliveriesParameters(state: state, limit: limit),
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        let output = Output()
        for hook in reply.disabled {
            printOut("Disabled: \(hook.name) since \(output.relative(hook.since)) — \(hook.reason)")
        }
        guard !reply.deliveries.isEmpty else {
            printOut("No deliveries match.")
            return
        }
        var rows: [[String]] = [["ID", "HOOK", "EVENT", "INCIDENT", "STATE", "ATTEMPTS", "WHEN", "LAST ERROR"]]
        for delivery in reply.deliveries {
            let when =
                delivery.deliveredAt.map { "delivered \(output.relative($0))" }
                ?? delivery.nextAttempt.map { "next \(output.relative($0))" } ?? output.relative(delivery.createdAt)
            rows.append([
                delivery.id.uuidString.lowercased(), delivery.hook, delivery.event, delivery.incident ?? "-",
                delivery.state,
                "\(delivery.attempts)/\(delivery.maxAttempts)", when, delivery.lastError ?? "",
            ])
        }
        printOut(output.columns(rows))
    }
}

struct HooksRetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Requeue a dead delivery (admins).",
        discussion: "Example:\n  incidentctl hooks retry 3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a10"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The delivery's id, as 'incidentctl hooks' lists it.") var id: String

    func run() throws {
        var connection = global.connection()
        _ = try connection.call(Methods.Hooks.retry, HooksWire.RetryParameters(id: id))
        printOut(global.json ? #"{"requeued": true}"# : "Requeued \(id).")
    }
}

struct HooksEnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Enable a hook its receiver disabled (admins); its held deliveries then go out.",
        discussion: """
            A webhook whose receiver answers 410 Gone is disabled on every daemon, and its
            deliveries wait. Fix the receiver, then enable it.

            Example:
              incidentctl hooks enable chat
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The hook's name, as 'incidentctl hooks' lists it.") var name: String

    func run() throws {
        var connection = global.connection()
        _ = try connection.call(Methods.Hooks.enable, HooksWire.EnableParameters(name: name))
        printOut(global.json ? #"{"enabled": true}"# : "Enabled \(name); its held deliveries go out now.")
    }
}
