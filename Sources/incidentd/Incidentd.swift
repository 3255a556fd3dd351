import ArgumentParser
import Foundation
import IncidentCore
import IncidentDaemon
import IncidentProtocol
import IncidentStore
import Logging
import Postgres
import Varlink

/// The incidentd daemon: keeps the case file of every data-breach incident.
@main
struct Incidentd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidentd",
        abstract: "Keep the case file of every data-breach incident, served over a Varlink socket.",
        discussion: """
            With no database configured (no --database, no 'database' in the config file, no PG* \
            variables) incidentd runs a private PostgreSQL cluster in its state directory.

            Example:
              incidentd --socket /tmp/incidentd.sock --state-dir /tmp/incidentd-state
            """,
        version: IncidentdVersion.current,
        subcommands: [Keys.self, Purge.self]
    )

    @Option(name: .long, help: "The YAML config file (default /etc/incidentd/incidentd.yaml when it exists).")
    var config: String?

    @Option(name: .long, help: "The Varlink socket to create.")
    var socket: String?

    @Option(name: .long, help: "The group that owns the socket; its members may connect.")
    var socketGroup: String?

    @Option(name: .long, help: "A libpq conninfo string or URI, e.g. postgresql:///incidentd.")
    var database: String?

    @Option(name: .long, help: "Where the embedded PostgreSQL and other state live.")
    var stateDir: String?

    @Option(name: .long, help: "The data-encryption key file (default: STATE-DIR/keys).")
    var keyFile: String?

    @Option(name: .long, help: "The directory of SQL migrations.")
    var migrationsDir: String?

    @Option(name: .long, help: "The directory of playbooks (YAML).")
    var playbooksDir: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Flag(name: .long, help: "Check the configuration, print what would be used, and exit.")
    var checkConfig = false

    func resolvedConfiguration() throws -> Configuration {
        let environment = ProcessInfo.processInfo.environment
        var configuration = Configuration.defaults(environment: environment)
        let file = config ?? environment["INCIDENTD_CONFIG"]
        if let file {
            configuration = try configuration.applying(file: file)
        } else if FileManager.default.fileExists(atPath: "/etc/incidentd/incidentd.yaml") {
            configuration = try configuration.applying(file: "/etc/incidentd/incidentd.yaml")
        }
        if let socket { configuration.socketPath = socket }
        if let socketGroup { configuration.socketGroup = socketGroup }
        if let database { configuration.database = database }
        if let stateDir { configuration.stateDirectory = stateDir }
        if let migrationsDir { configuration.migrationsDirectory = migrationsDir }
        if let keyFile { configuration.keyFile = keyFile }
        if let playbooksDir { configuration.playbooksDirectory = playbooksDir }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
            }
            configuration.logLevel = level
        }
        return configuration
    }

    func run() async throws {
        let configuration: Configuration
        do {
            configuration = try resolvedConfiguration()
        } catch let error as ConfigurationError {
            printError("incidentd: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            print("socket: \(configuration.socketPath)")
            print("state directory: \(configuration.stateDirectory)")
            print("database: \(configuration.database == nil ? "embedded or PG* environment" : "configured")")
            let directory =
                configuration.playbooksDirectory.map { URL(fileURLWithPath: $0) }
                ?? PlaybookRegistry.defaultDirectory()
            switch PlaybookLoader.loadDirectory(directory, knownHooks: Set(configuration.hooks.map(\.name))) {
            case .success(let playbooks):
                print("playbooks: \(playbooks.count) valid in \(directory.path)")
                // The same regime is included by many playbooks: say each gap once.
                var seen = Set<String>()
                for gap in playbooks.flatMap({ $0.profileGaps(configuration.profile) })
                where seen.insert(gap.description).inserted {
                    print("warning: \(gap); set it under profile: in the configuration")
                }
            case .failure(let error):
                for problem in error.problems { printError(problem.description) }
                printError("incidentd: the playbooks in \(directory.path) have \(error.problems.count) problem(s)")
                throw ExitCode(78)
            }
            print("hooks: \(configuration.hooks.map(\.name).joined(separator: ", "))")
            if let database = configuration.database {
                // The role that would serve requests must not be able to rewrite the audit trail.
                let pool = PostgresPool(
                    configuration: .init(conninfo: database, maximumConnections: 1),
                    logger: Logger(label: "check")
                )
                do {
                    for problem in try await RuntimeGrants.problems(pool: pool) { print("warning: \(problem)") }
                } catch {
                    print("warning: cannot reach the database to check its role: \(error)")
                }
                await pool.shutdown()
            }
            print("configuration is valid")
            return
        }
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "incidentd")
        do {
            let command = self
            try await Daemon(
                configuration: configuration,
                logger: logger,
                reload: { try command.resolvedConfiguration() }
            ).run()
        } catch {
            logger.critical("incidentd cannot start: \(error)")
            printError("incidentd: \(error)")
            throw ExitCode.failure
        }
    }
}

/// `incidentd keys`: the data-encryption key file.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the data-encryption key file.",
        subcommands: [Rotate.self]
    )

    /// The daemon's options (--config, --state-dir), which say where the key file is.
    @ParentCommand var daemon: Incidentd

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a new key that encrypts new values; older values are re-encrypted in the background.",
            discussion: """
                Adds a key to the key file (the older keys stay: they open what they sealed until
                the daemon has re-encrypted it). Then reload the daemon so it takes the new key;
                it re-encrypts every older value in batches while it keeps serving, and resumes
                after a restart. Every daemon on the database needs the new key file.

                The key file is --key-file, else keyFile in the config, else STATE-DIR/keys.

                Example:
                  incidentd keys rotate && systemctl reload incidentd
                """
        )

        @ParentCommand var keys: Keys

        func run() async throws {
            var configuration: Configuration
            do {
                configuration = try keys.daemon.resolvedConfiguration()
            } catch {
                printError("incidentd: \(error)")
                throw ExitCode(78)
            }
            let path = configuration.keyFilePath
            guard FileManager.default.fileExists(atPath: path) else {
                printError(
                    "incidentd: there is no key file at \(path) to rotate; incidentd creates it when it first starts"
                )
                throw ExitCode.failure
            }
            do {
                let key = try KeyFile.rotate(path: path)
                print("Added key \(key.id) to \(path).")
                print("Reload incidentd (systemctl reload incidentd, or send it SIGHUP) to encrypt with it;")
                print("it then re-encrypts older values in the background. Back up the key file now.")
            } catch {
                printError("incidentd: \(error)")
                throw ExitCode.failure
            }
        }
    }
}

/// `incidentd purge`: asks the running daemon to purge personal data past retention now.
struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove personal data from closed incidents past retention, now (admins).",
        discussion: """
            The running daemon does this once a day by itself. Closed incidents past their
            playbook's retentionDays (else the configured retentionDays) keep their skeleton —
            dates, phases, counts, decisions without reasons — so statistics still work; those
            on legal hold (incidentctl hold) are kept whole. Every purge is audited.

            Examples:
              incidentd purge --dry-run
              incidentd purge
            """
    )

    @ParentCommand var daemon: Incidentd

    @Flag(name: .long, help: "Only list what would be purged.") var dryRun = false

    func run() async throws {
        let socket: String
        do {
            socket = try daemon.resolvedConfiguration().socketPath
        } catch {
            printError("incidentd: \(error)")
            throw ExitCode(78)
        }
        do {
            let client = try VarlinkClient(path: socket)
            let reply = try client.call(
                Methods.Incidents.purge,
                IncidentsWire.PurgeParameters(dryRun: dryRun)
            )
            if reply.incidents.isEmpty {
                print(dryRun ? "Nothing is past retention." : "Nothing was past retention; nothing purged.")
            }
            for incident in reply.incidents {
                let closed = incident.closed.formatted(Date.ISO8601FormatStyle().year().month().day())
                print(
                    "\(dryRun ? "would purge" : "purged")  \(incident.reference)  closed \(closed)  "
                        + "\(incident.playbook ?? "-")  retention \(incident.retentionDays) days"
                )
            }
        } catch {
            printError("incidentd: cannot purge through \(socket): \(error)")
            throw ExitCode.failure
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
