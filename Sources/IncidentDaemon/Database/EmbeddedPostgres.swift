import Foundation
import Logging
import Postgres

/// A private PostgreSQL cluster in the state directory, listening on a Unix socket only, so
/// a newcomer can run incidentd with nothing installed but PostgreSQL itself.
///
/// PostgreSQL refuses to run as root; when incidentd is root the cluster is created and run
/// as an unprivileged system user (`postgres` by default) through `setpriv`.
public final class EmbeddedPostgres: Sendable {
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    public let directory: URL
    public let databaseName = "incidentd"
    private let runAsUser: String?
    private let logger: Logger
    private let binaries: URL

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    /// `run/` beside the data, unless that path is too long for a Unix socket address
    /// (`sun_path` holds 107 bytes, and PostgreSQL appends `/.s.PGSQL.5432`): then a short
    /// private directory under /tmp.
    public var socketDirectory: URL {
        let preferred = directory.appendingPathComponent("run")
        if preferred.path.utf8.count + 15 < 100 { return preferred }
        var hash: UInt64 = 14_695_981_039_346_656_037
        for byte in directory.path.utf8 { hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211 }
        return URL(fileURLWithPath: "/tmp/incidentd-pg-\(String(hash, radix: 36))")
    }
    public var logFile: URL { directory.appendingPathComponent("postgres.log") }

    /// The conninfo for the cluster's incidentd database.
    public var conninfo: String {
        "host='\(socketDirectory.path)' dbname=\(databaseName) user=incidentd"
    }

    /// - Parameters:
    ///   - directory: Holds `data/`, `run/` and `postgres.log`.
    ///   - runAsUser: The user to run PostgreSQL as when this process is root.
    public init(directory: URL, runAsUser: String, logger: Logger) throws(StartError) {
        self.directory = directory
        self.runAsUser = getuid() == 0 ? runAsUser : nil
        self.logger = logger
        guard let binaries = Self.findBinaries() else {
            throw StartError(
                message: "no PostgreSQL server programs (initdb, postgres) were found; install them with "
                    + "'apt-get install postgresql', or point incidentd at a server with --database"
            )
        }
        self.binaries = binaries
    }

    /// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then `PATH`.
    static func findBinaries() -> URL? {
        func hasServer(_ directory: String) -> Bool {
            FileManager.default.isExecutableFile(atPath: directory + "/initdb")
                && FileManager.default.isExecutableFile(atPath: directory + "/postgres")
        }
        if let output = try? run("/usr/bin/env", ["pg_config", "--bindir"]),
            case let path = output.trimmingCharacters(in: .whitespacesAndNewlines), hasServer(path)
        {
            return URL(fileURLWithPath: path)
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) })
        where hasServer("/usr/lib/postgresql/\(version)/bin") {
            return URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
        }
        for path in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where hasServer(String(path)) {
            return URL(fileURLWithPath: String(path))
        }
        return nil
    }

    /// Creates the cluster if needed, starts it (or adopts one left running by a previous
    /// incidentd that was killed), and waits until it accepts connections.
    public func start() async throws {
        try prepareDirectories()
        if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.notice("creating the embedded PostgreSQL cluster", metadata: ["postgres.data": "\(dataDirectory.path)"])
            do {
                try runAsPostgres(
                    binaries.appendingPathComponent("initdb").path,
                    ["-D", dataDirectory.path, "-U", "incidentd", "--auth=trust", "-E", "UTF8", "--no-instructions"]
                )
            } catch {
                throw StartError(message: "initdb failed for \(dataDirectory.path): \(error)")
            }
        }
        if try await isAcceptingConnections(database: "postgres") {
            logger.notice("adopting the embedded PostgreSQL that is already running")
        } else {
            try launch()
            try await waitUntilReady()
        }
        try await createDatabaseIfNeeded()
    }

    /// Stops the cluster with a fast shutdown and waits for it to exit.
    public func stop() async {
        guard let pid = postmasterPID() else { return }
        logger.info("stopping the embedded PostgreSQL", metadata: ["postgres.pid": "\(pid)"])
        kill(pid, SIGINT)
        for _ in 0..<300 {
            if kill(pid, 0) != 0 { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    private func prepareDirectories() throws {
        let manager = FileManager.default
        // The state directory stays traversable (0755) so the cluster's own user can reach its
        // directory below it; the cluster's directory itself is private (0700).
        try manager.createDirectory(
            at: directory.deletingLastPathComponent(), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        for url in [directory, socketDirectory] where !manager.fileExists(atPath: url.path) {
            try manager.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        if let runAsUser {
            // The cluster's files belong to the unprivileged user that runs it.
            guard let account = getpwnam(runAsUser) else {
                throw StartError(
                    message: "incidentd runs as root, so the embedded PostgreSQL must run as an unprivileged user, "
                        + "but user \(runAsUser) does not exist; create it (apt-get install postgresql does) "
                        + "or set embeddedPostgresUser"
                )
            }
            for url in [directory, socketDirectory] {
                chown(url.path, account.pointee.pw_uid, account.pointee.pw_gid)
            }
            if manager.fileExists(atPath: dataDirectory.path) {
                chown(dataDirectory.path, account.pointee.pw_uid, account.pointee.pw_gid)
            }
            if !manager.fileExists(atPath: logFile.path) {
                _ = manager.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            chown(logFile.path, account.pointee.pw_uid, account.pointee.pw_gid)
        }
    }

    private func launch() throws {
        // A lock file left by a cluster that died with its parent would stop the start.
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        if let pid = postmasterPID(), kill(pid, 0) != 0 {
            try? FileManager.default.removeItem(at: pidFile)
        }
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        let process = Process()
        let (executable, arguments) = commandLine(
            binaries.appendingPathComponent("postgres").path,
            [
                "-D", dataDirectory.path, "-k", socketDirectory.path,
                "-c", "listen_addresses=", "-c", "unix_socket_permissions=0700",
                "-c", "max_connections=100", "-c", "shared_buffers=32MB",
                // No JIT: it needs writable executable memory, which the hardened unit forbids.
                "-c", "jit=off",
            ]
        )
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw StartError(message: "cannot start \(executable): \(error.localizedDescription)")
        }
        logger.info("started the embedded PostgreSQL", metadata: ["postgres.pid": "\(process.processIdentifier)"])
    }

    private func waitUntilReady() async throws {
        for _ in 0..<300 {
            if try await isAcceptingConnections(database: "postgres") { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StartError(message: "the embedded PostgreSQL did not start within 30 s; see \(logFile.path)")
    }

    private func isAcceptingConnections(database: String) async throws -> Bool {
        let conninfo = "host='\(socketDirectory.path)' dbname=\(database) user=incidentd connect_timeout=2"
        do {
            _ = try PostgresConnection(conninfo: conninfo)
            return true
        } catch {
            return false
        }
    }

    private func createDatabaseIfNeeded() async throws {
        let connection = try PostgresConnection(
            conninfo: "host='\(socketDirectory.path)' dbname=postgres user=incidentd"
        )
        defer { connection.close() }
        let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = \(databaseName)")
        if exists.isEmpty {
            try connection.execute("CREATE DATABASE \(databaseName)")
        }
    }

    private func postmasterPID() -> pid_t? {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first)
        else { return nil }
        return pid
    }

    private func commandLine(_ executable: String, _ arguments: [String]) -> (String, [String]) {
        guard let runAsUser else { return (executable, arguments) }
        return ("/usr/bin/setpriv", ["--reuid=\(runAsUser)", "--regid=\(runAsUser)", "--init-groups", executable] + arguments)
    }

    private func runAsPostgres(_ executable: String, _ arguments: [String]) throws {
        let (command, commandArguments) = commandLine(executable, arguments)
        _ = try Self.run(command, commandArguments)
    }

    /// Runs a program to completion; throws with its output when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw StartError(message: "\(executable) exited with status \(process.terminationStatus): \(text)")
        }
        return text
    }
}
