import Foundation
import Postgres
import TestSupport

/// PostgreSQL servers of a test's own (a restored copy, a primary and its standby), their data
/// and sockets in one temporary directory. PostgreSQL refuses to run as root: as root, they
/// are made and run by the postgres user.
struct PrivateServers {
    static var bindir: String {
        ProcessInfo.processInfo.environment["INCIDENTD_TEST_PG_BINDIR"] ?? "/usr/lib/postgresql/15/bin"
    }

    let work: TemporaryDirectory
    let asOwner: [String]
    var bindir: String { Self.bindir }

    /// The directory, with `directories` in it for sockets, owned by whoever runs the servers.
    init(prefix: String, directories: [String] = []) throws {
        work = try TemporaryDirectory(prefix: prefix)
        asOwner = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        for directory in [work.path] + directories.map(work.appending) {
            mkdir(directory, 0o755)
            if getuid() == 0, let user = getpwnam("postgres") {
                chown(directory, user.pointee.pw_uid, user.pointee.pw_gid)
            }
        }
    }

    /// Runs one of PostgreSQL's programs (`pg_ctl`, `pg_basebackup`) as the servers' owner;
    /// throws with its output when it fails.
    @discardableResult
    func run(_ program: String, _ arguments: [String]) async throws -> CommandResult {
        let command = asOwner + ["\(bindir)/\(program)"] + arguments
        let result = try await runCommand(command[0], Array(command.dropFirst()))
        guard result.status == 0 else { throw TestSetupError("\(program) failed: \(result)") }
        return result
    }

    /// Starts the server in `data`, listening only on a socket in `socket`.
    func start(_ data: String, socket: String, extra: String = "") async throws {
        try await run(
            "pg_ctl",
            [
                "--pgdata", data, "--log", data + ".log", "--wait", "--options",
                "-k \(socket) -c listen_addresses= -c max_connections=100 \(extra)", "start",
            ]
        )
    }

    /// Stops the server in `data` at once (`-m immediate`), as a crash would.
    func kill(_ data: String) {
        let command = asOwner + ["\(bindir)/pg_ctl", "--pgdata", data, "-m", "immediate", "stop"]
        _ = try? runCommandBlocking(command[0], Array(command.dropFirst()))
    }

    func sql(_ socket: String, _ query: String, database: String = "postgres") throws -> [PostgresRow] {
        let connection = try PostgresConnection(conninfo: "host=\(socket) dbname=\(database) user=postgres")
        defer { connection.close() }
        return Array(try connection.query(PostgresQuery(unsafeSQL: query)))
    }
}
