import Foundation
import Glibc
import IncidentProtocol
import IncidentStore
import Logging
import NIOPosix
import Postgres
import Subprocess
import Synchronization
import SystemPackage

/// A private PostgreSQL cluster in the state directory, listening on a Unix socket only, so
/// a newcomer can run incidentd with nothing installed but PostgreSQL itself.
///
/// PostgreSQL refuses to run as root; when incidentd is root the cluster is created and run
/// as incidentd's own unprivileged service account through `setpriv`, not the distribution's
/// shared `postgres`. It admits only incidentd: `peer` authentication on its Unix socket for
/// the daemon's own OS user (mapped in `pg_ident.conf`), no TCP at all (`listen_addresses = ''`
/// in `postgresql.conf` itself), a socket directory only the cluster's user may enter.
public final class EmbeddedPostgres: Sendable {
    public struct StartError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    public let directory: URL
    public let databaseName = "incidentd"
    private let runAsUser: String?
    /// The OS user incidentd connects as (peer authentication maps it to the roles).
    private let clientUser: String
    /// The runtime role requests are served as; migrations run as the cluster's owner role.
    public static let runtimeRole = "incidentd_app"
    private let logger: Logger
    private let binaries: URL

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    /// `run/` beside the data: private to the cluster's user (0700), never in a shared
    /// directory another user could prepare first. When that path is too long for a Unix
    /// socket address (`sun_path` holds 107 bytes, and PostgreSQL appends `/.s.PGSQL.5432`),
    /// a fresh directory from `mkdtemp` under /tmp for this run instead (see ``start()``).
    private let socketDirectoryBox = Mutex<URL?>(nil)
    public var socketDirectory: URL {
        socketDirectoryBox.withLock { $0 } ?? directory.appendingPathComponent("run")
    }
    public var logFile: URL { directory.appendingPathComponent("postgres.log") }

    /// The connection parameters of the cluster's incidentd database as the owner role, which
    /// applies the migrations.
    public var ownerConnection: [String: String] {
        ["host": socketDirectory.path, "dbname": databaseName, "user": "incidentd"]
    }

    /// The same as the runtime role, which serves requests and may only append to the audit trail.
    public var runtimeConnection: [String: String] {
        ["host": socketDirectory.path, "dbname": databaseName, "user": Self.runtimeRole]
    }

    /// Where the runtime role connects, as libpq's keywords.
    public var runtimeTarget: PostgresTarget { .parameters(runtimeConnection) }
    /// Where the owner role, which migrates, connects.
    public var ownerTarget: PostgresTarget { .parameters(ownerConnection) }

    /// - Parameters:
    ///   - directory: Holds `data/`, `run/` and `postgres.log`.
    ///   - runAsUser: The user to run PostgreSQL as when this process is root.
    public init(directory: URL, runAsUser: String, logger: Logger) async throws(StartError) {
        self.directory = directory
        self.runAsUser = getuid() == 0 ? runAsUser : nil
        self.clientUser = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? String(geteuid())
        self.logger = logger
        guard let binaries = await Self.findBinaries() else {
            throw StartError(
                message: "no PostgreSQL server programs (initdb, postgres) were found; install them with "
                    + "'apt-get install postgresql', or point incidentd at a server with --database"
            )
        }
        self.binaries = binaries
    }

    /// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then `PATH`.
    static func findBinaries() async -> URL? {
        func hasServer(_ directory: String) -> Bool {
            FileManager.default.isExecutableFile(atPath: directory + "/initdb")
                && FileManager.default.isExecutableFile(atPath: directory + "/postgres")
        }
        if let output = try? await run("/usr/bin/env", ["pg_config", "--bindir"]),
            case let path = output.trimmingCharacters(in: .whitespacesAndNewlines), hasServer(path)
        {
            return URL(fileURLWithPath: path)
        }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) })
        where hasServer("/usr/lib/postgresql/\(version)/bin") {
            return URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin")
        }
        for path in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where hasServer(String(path)) {
            return URL(fileURLWithPath: String(path))
        }
        return nil
    }

    /// Creates the cluster if needed, starts it (or adopts one left running by a previous
    /// incidentd that was killed), and waits until it accepts connections.
    public func start() async throws {
        try await prepareDirectories()
        if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            logger.notice(
                "creating the embedded PostgreSQL cluster",
                metadata: ["postgres.data": "\(dataDirectory.path)"]
            )
            do {
                try await runAsPostgres(
                    binaries.appendingPathComponent("initdb").path,
                    [
                        "-D", dataDirectory.path, "-U", "incidentd", "--auth-local=peer", "--auth-host=reject", "-E",
                        "UTF8",
                        "--no-instructions",
                    ]
                )
            } catch {
                throw StartError(message: "initdb failed for \(dataDirectory.path): \(error)")
            }
        }
        try writeAccessFiles()
        if let running = try adoptablePostmaster() {
            logger.notice(
                "adopting the embedded PostgreSQL that is already running",
                metadata: ["postgres.pid": "\(running)"]
            )
            kill(running, SIGHUP)  // re-read pg_hba.conf and pg_ident.conf as just written
        } else {
            try chooseSocketDirectory()
            try launch()
            try await waitUntilReady()
        }
        try await createDatabaseIfNeeded()
    }

    /// Who may connect, rewritten at every start so a cluster created by an older incidentd
    /// (trust authentication) is closed too: only peer authentication on the Unix socket, for
    /// the daemon's own OS user as the owner and runtime roles; no host lines.
    private func writeAccessFiles() throws {
        let hba = """
            # Written by incidentd at every start: only incidentd's own OS user, over the Unix socket.
            local all all peer map=incidentd

            """
        let ident = """
            # Written by incidentd at every start.
            incidentd \(clientUser) incidentd
            incidentd \(clientUser) \(Self.runtimeRole)

            """
        let settings = """
            listen_addresses = ''
            unix_socket_permissions = 0700
            password_encryption = 'scram-sha-256'

            """
        try writePrivate(hba, to: dataDirectory.appendingPathComponent("pg_hba.conf"))
        try writePrivate(ident, to: dataDirectory.appendingPathComponent("pg_ident.conf"))
        // In postgresql.conf itself (through an include it names), not only on the command
        // line: a cluster started by hand from this directory listens on no TCP port either.
        try writePrivate(settings, to: dataDirectory.appendingPathComponent("incidentd.conf"))
        let main = dataDirectory.appendingPathComponent("postgresql.conf")
        let text = (try? String(contentsOf: main, encoding: .utf8)) ?? ""
        if !text.contains("include = 'incidentd.conf'") {
            try writePrivate(
                text + "\n# incidentd's own settings, last so they win:\ninclude = 'incidentd.conf'\n",
                to: main
            )
        }
    }

    /// Writes a file of the cluster's: mode 0600, owned by the cluster's user, renamed into place.
    private func writePrivate(_ text: String, to url: URL) throws {
        if case .failure(let problem) = SecretFile.write(text, to: url.path, exclusive: false, owner: runAsAccount) {
            throw StartError(message: problem.description)
        }
    }

    /// A postmaster left running by an incidentd that was killed is adopted only when its
    /// `postmaster.pid` is inside our own data directory, names that directory, its process is
    /// alive, and its socket directory is private to the cluster's user.
    private func adoptablePostmaster() throws -> pid_t? {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        var info = stat()
        guard lstat(pidFile.path, &info) == 0 else { return nil }
        guard info.st_mode & S_IFMT == S_IFREG, info.st_uid == clusterUID else {
            throw StartError(message: "\(pidFile.path) is not a file of the cluster's user; remove it and start again")
        }
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 5, let pid = pid_t(lines[0]), kill(pid, 0) == 0 else { return nil }
        let ours = dataDirectory.resolvingSymlinksInPath().path
        guard URL(fileURLWithPath: lines[1]).resolvingSymlinksInPath().path == ours else { return nil }
        let socket = URL(fileURLWithPath: lines[4])
        guard Self.isPrivateDirectory(socket.path, owner: clusterUID) else {
            throw StartError(
                message:
                    "the running embedded PostgreSQL (pid \(pid)) uses the socket directory \(socket.path), which is not "
                    + "private to its user; stop it (kill \(pid)) and start incidentd again"
            )
        }
        socketDirectoryBox.withLock { $0 = socket }
        return pid
    }

    /// `run/` in our directory when it is short enough for a socket address; else a new
    /// directory from `mkdtemp`, never one that already exists.
    private func chooseSocketDirectory() throws {
        let preferred = directory.appendingPathComponent("run")
        if preferred.path.utf8.count + 15 < 100 {
            try ensurePrivateDirectory(preferred)
            socketDirectoryBox.withLock { $0 = preferred }
            return
        }
        var template = Array("/tmp/incidentd-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw StartError(
                message: "cannot create a socket directory under /tmp: \(String(cString: strerror(errno)))"
            )
        }
        let path = String(cString: made)
        if let account = runAsAccount { lchown(path, account.uid, account.gid) }
        guard Self.isPrivateDirectory(path, owner: clusterUID) else {
            throw StartError(message: "the socket directory \(path) is not private to the cluster's user")
        }
        socketDirectoryBox.withLock { $0 = URL(fileURLWithPath: path) }
    }

    /// The uid the cluster runs as.
    private var clusterUID: UInt32 { runAsAccount?.uid ?? geteuid() }

    private var runAsAccount: (uid: UInt32, gid: UInt32)? {
        guard let runAsUser, let entry = getpwnam(runAsUser) else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// A real directory (not a link) owned by `owner` that no one else may enter.
    static func isPrivateDirectory(_ path: String, owner: UInt32) -> Bool {
        (try? PrivateDirectory.check(path, owners: [owner], closed: 0o077)) != nil
    }

    /// Creates `url` (0700) if missing and gives it to the cluster's user; an existing one must
    /// be a real directory of ours or of the cluster's user, or the start is refused.
    private func ensurePrivateDirectory(_ url: URL) throws {
        if mkdir(url.path, 0o700) != 0, errno != EEXIST {
            throw StartError(message: "cannot create \(url.path): \(String(cString: strerror(errno)))")
        }
        // Ours or the cluster's user's, whatever its mode: it is closed below.
        do {
            try PrivateDirectory.check(url.path, owners: [geteuid(), clusterUID], closed: 0)
        } catch {
            throw StartError(
                message:
                    "\(error.description); someone may have prepared it to intercept the database: remove it and start again"
            )
        }
        if let account = runAsAccount {
            // lchown: never follow a link someone planted since the check.
            lchown(url.path, account.uid, account.gid)
        }
        chmod(url.path, 0o700)
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

    private func prepareDirectories() async throws {
        // The state directory stays traversable (0755) so the cluster's own user can reach its
        // directory below it; the cluster's directory itself is private (0700).
        try FileManager.default.createDirectory(
            at: directory.deletingLastPathComponent(),
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        if let runAsUser, runAsAccount == nil {
            throw StartError(
                message: "incidentd runs as root, so the embedded PostgreSQL must run as an unprivileged user, "
                    + "but user \(runAsUser) does not exist; create it (the sysusers snippet creates incidentd: "
                    + "systemd-sysusers, or useradd --system incidentd) or set embeddedPostgresUser"
            )
        }
        try ensurePrivateDirectory(directory)
        var info = stat()
        if lstat(dataDirectory.path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw StartError(message: "\(dataDirectory.path) is not a directory; remove it and start again")
            }
            if let account = runAsAccount, info.st_uid != account.uid {
                // A cluster created under another account (older incidentd: postgres) moves to ours.
                try await Self.run("/bin/chown", ["-R", "-P", "\(account.uid):\(account.gid)", dataDirectory.path])
            }
        }
        let fd = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            if let account = runAsAccount { fchown(fd, account.uid, account.gid) }
            close(fd)
        }
    }

    private func launch() throws {
        // A lock file left by a cluster that died with its parent would stop the start.
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        if let pid = postmasterPID(), kill(pid, 0) != 0 {
            try? FileManager.default.removeItem(at: pidFile)
        }
        let log = try FileHandle(forWritingTo: logFile)
        log.seekToEndOfFile()
        // The server outlives this call (and, by design, a killed incidentd, which adopts it on
        // its next start), so it is launched and left running, not run to its end as
        // swift-subprocess runs the cluster's other programs: started once, alone, at start-up.
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
        var parameters = ownerConnection
        parameters["dbname"] = database
        parameters["connect_timeout"] = "2"
        // libpq blocks: on NIO's blocking pool, never on Swift's cooperative pool.
        return try await NIOThreadPool.singleton.runIfActive { [parameters] in
            ClusterSetup.acceptsConnections(parameters)
        }
    }

    /// The incidentd database and the runtime role: a login role that is no superuser and owns
    /// nothing, so it cannot rewrite the audit trail (the migrator grants it what it may do).
    private func createDatabaseIfNeeded() async throws {
        var parameters = ownerConnection
        parameters["dbname"] = "postgres"
        let (name, role) = (databaseName, Self.runtimeRole)
        try await NIOThreadPool.singleton.runIfActive { [parameters] in
            try ClusterSetup.createDatabase(name, runtimeRole: role, connectingWith: parameters)
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
        return (
            "/usr/bin/setpriv",
            ["--reuid=\(runAsUser)", "--regid=\(runAsUser)", "--init-groups", executable] + arguments
        )
    }

    private func runAsPostgres(_ executable: String, _ arguments: [String]) async throws {
        let (command, commandArguments) = commandLine(executable, arguments)
        _ = try await Self.run(command, commandArguments)
    }

    /// Runs a program to completion (swift-subprocess); throws with its output when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let result = try await Subprocess.run(
            .path(FilePath(executable)),
            arguments: Arguments(arguments),
            input: .none,
            output: .string(limit: 1 << 20),
            error: .combinedWithOutput
        )
        let text = result.standardOutput
        guard case .exited(0) = result.terminationStatus else {
            throw StartError(message: "\(executable) ended with \(result.terminationStatus): \(text)")
        }
        return text
    }
}
