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
              incidentctl hooks retry 3f1c2a9e
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
        printOut(Output().deliveries(reply))
    }
}

extension Output {
    /// The `hooks` screen: the disabled hooks, then a row per delivery, its id shortened to
    /// the 8 characters `hooks retry` takes, as git shortens hashes. Where the row does not
    /// fit, the incident and the last error go on a line of their own under it.
    func deliveries(_ reply: HooksWire.DeliveriesReply) -> String {
        var lines = reply.disabled.map { hook in
            "Disabled: \(hook.name) since \(relative(hook.since)) — \(hook.reason)"
        }
        guard !reply.deliveries.isEmpty else { return (lines + ["No deliveries match."]).joined(separator: "\n") }
        func when(_ delivery: HooksWire.Delivery) -> String {
            relative(delivery.deliveredAt ?? delivery.nextAttempt ?? delivery.createdAt)
        }
        func id(_ delivery: HooksWire.Delivery) -> String { String(delivery.id.uuidString.lowercased().prefix(8)) }
        var rows: [[String]] = [["ID", "HOOK", "EVENT", "INCIDENT", "STATE", "TRIES", "WHEN", "LAST ERROR"]]
        for delivery in reply.deliveries {
            rows.append([
                id(delivery), delivery.hook, delivery.event, delivery.incident ?? "-", delivery.state,
                "\(delivery.attempts)/\(delivery.maxAttempts)", when(delivery), delivery.lastError ?? "",
            ])
        }
        let wide = columns(rows)
        if !wide.split(separator: "\n").contains(where: { DisplayWidth.of($0) > width }) {
            return (lines + [wide]).joined(separator: "\n")
        }
        let narrow = columns(rows.map { [$0[0], $0[1], $0[2], $0[4], $0[5], $0[6]] }).split(separator: "\n")
        lines.append(String(narrow[0]))
        for (index, delivery) in reply.deliveries.enumerated() {
            lines.append(String(narrow[index + 1]))
            let detail = [delivery.incident, delivery.lastError].compactMap { $0 }.joined(separator: " · ")
            if !detail.isEmpty { lines.append("          " + DisplayWidth.truncate(detail, to: max(12, width - 10))) }
        }
        return lines.joined(separator: "\n")
    }
}

struct HooksRetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Requeue a dead delivery (admins).",
        discussion: """
            The id may be shortened to its first characters, as 'incidentctl hooks' shows
            it, while only one dead delivery's id starts with them.

            Examples:
              incidentctl hooks retry 3f1c2a9e
              incidentctl hooks retry 3f1c2a9e-5b7d-4c1e-9a0f-2d6b8e4c7a10
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The delivery's id, or its first characters as 'incidentctl hooks' lists it.") var id: String

    func run() throws {
        var connection = global.connection()
        let full = try Self.resolve(id, on: &connection)
        _ = try connection.call(Methods.Hooks.retry, HooksWire.RetryParameters(id: full))
        printOut(global.json ? #"{"requeued": true}"# : "Requeued \(full).")
    }

    /// A whole id as given, or the one dead delivery whose id starts with `prefix`.
    static func resolve(_ prefix: String, on connection: inout DaemonConnection) throws -> String {
        let typed = prefix.lowercased()
        if UUID(uuidString: typed) != nil { return typed }
        guard typed.count >= 4, typed.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw CLIError(
                "\(prefix) is not a delivery id; give at least its first 4 characters as 'incidentctl hooks' lists them.",
                status: .usage
            )
        }
        let dead = try connection.call(
            Methods.Hooks.deliveries,
            HooksWire.DeliveriesParameters(state: "dead", limit: 1000),
            retries: 2
        )
        let matches = dead.deliveries.map { $0.id.uuidString.lowercased() }.filter { $0.hasPrefix(typed) }
        switch matches.count {
        case 1: return matches[0]
        case 0:
            throw CLIError(
                "No dead delivery's id starts with \(prefix); 'incidentctl hooks --state dead' lists them.",
                status: .notFound
            )
        default:
            throw CLIError(
                "\(prefix) starts \(matches.count) dead deliveries' ids (\(matches.prefix(3).joined(separator: ", "))); "
                    + "give more of it.",
                status: .usage
            )
        }
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
