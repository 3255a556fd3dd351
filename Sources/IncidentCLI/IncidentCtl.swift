import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

/// incidentctl: the command-line client of incidentd.
public struct IncidentCtl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "incidentctl",
        abstract: "Report and work data-breach incidents kept by incidentd.",
        discussion: """
            Exit status: 0 success, 1 error, 2 usage or invalid value, 3 no such incident,
            4 permission denied, 5 conflict, 69 incidentd unavailable.
            """,
        version: "0.1.0",
        subcommands: [
            ReportCommand.self, ShowCommand.self, ListCommand.self, StatusCommand.self, WatchCommand.self,
            StatsCommand.self,
            ExportCommand.self, RegisterCommand.self, BoardCommand.self, HoldCommand.self, ReleaseCommand.self,
            TimelineCommand.self,
            UpdateCommand.self, AssignCommand.self, RestrictCommand.self, NoteCommand.self, TaskCommand.self,
            ApproveCommand.self, AdvanceCommand.self, PauseCommand.self, ResumeCommand.self, CloseCommand.self,
            ReopenCommand.self, NoticeCommand.self, EvidenceCommand.self, PlaybookCommand.self, HooksCommand.self,
            AuditCommand.self, BridgeCommand.self,
        ]
    )

    public init() {}

    /// Parses `arguments`, runs the command, and returns the process exit status; what the
    /// command prints goes to standard output, errors to standard error.
    public static func run(arguments: [String]) -> Int32 {
        do {
            let arguments = GlobalOptions.hoisted(arguments)
            if let refusal = unknownCommand(arguments) { throw refusal }
            var command = try parseAsRoot(arguments)
            try command.run()
            // `report` sends what was saved itself, on standard output.
            if !(command is ReportCommand) { SavedReports.sendAfterSuccess() }
            return 0
        } catch let error as CLIError {
            printError("incidentctl: \(error.message)")
            return error.status.rawValue
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                return 0
            }
            printError(message)
            return code == .validationFailure ? CLIError.ExitStatus.usage.rawValue : code.rawValue
        }
    }
}

extension IncidentCtl {
    /// `'shwo' is not an incidentctl command; did you mean show?`, when the first word is not a
    /// command; nil when it is, or is an option.
    static func unknownCommand(_ arguments: [String]) -> CLIError? {
        guard let word = arguments.first, !word.hasPrefix("-"), word != "help" else { return nil }
        var names: [String] = []
        for command in configuration.subcommands {
            if let name = command.configuration.commandName { names.append(name) }
        }
        if names.contains(word) { return nil }
        let hint = Suggestions.sentence(for: word, in: names)
        return CLIError(
            "'\(word)' is not an incidentctl command\(hint.isEmpty ? ";" : hint) 'incidentctl --help' lists them.",
            status: .usage
        )
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "The incidentd socket (default: $INCIDENTD_SOCKET, your own daemon's, or the system one)."
    )
    var socket: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Option(
        name: .long,
        help: "Reach incidentd on [USER@]HOST[:SOCKET] over SSH (default: $INCIDENTD_HOST, else this machine)."
    )
    var host: String?

    func validate() throws {
        let given = host ?? ProcessInfo.processInfo.environment["INCIDENTD_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        if let given, RemoteTarget(given) == nil {
            throw ValidationError(
                "\(host == nil ? "INCIDENTD_HOST" : "--host") \(given) is not [USER@]HOST[:SOCKET], "
                    + "such as alice@incidents.example.com or incidents.example.com:/run/incidentd/incidentd.sock."
            )
        }
    }

    /// Where the daemon is: a socket here, or a host over SSH.
    var target: String { DaemonConnection.socketPath(option: socket, host: host) }

    func connection() -> DaemonConnection {
        DaemonConnection(path: target)
    }

    /// `incidentctl --socket PATH --json status` as `incidentctl status --socket PATH --json`,
    /// as git, systemctl and kubectl take them: the options every command takes, given before
    /// the command, are moved to just after its name (`task done`, `notice check`).
    static func hoisted(_ arguments: [String]) -> [String] {
        var global: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if first == "--json" || first.hasPrefix("--socket=") || first.hasPrefix("--host=") {
                global.append(first)
                rest = rest.dropFirst()
            } else if first == "--socket" || first == "--host", rest.count >= 2 {
                global += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        guard !global.isEmpty else { return arguments }
        var path: [String] = []
        var commands = IncidentCtl.configuration.subcommands
        while let word = rest.first,
            let command = commands.first(where: { $0.configuration.commandName == word })
        {
            path.append(word)
            rest = rest.dropFirst()
            commands = command.configuration.subcommands
        }
        return path + global + rest
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func printOut(_ text: String) {
    print(text)
}
