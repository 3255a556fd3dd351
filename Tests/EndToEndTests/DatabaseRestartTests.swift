import Foundation
import Glibc
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// PostgreSQL restarts (fast, then immediate) under load: incidentd stays up, calls in flight
/// fail with a named, retryable error, service resumes, nothing acknowledged is lost, and no
/// connection leaks. The test runs a private cluster, so restarting it disturbs no other test.
@Suite struct DatabaseRestartTests {
    /// A throwaway PostgreSQL cluster on a Unix socket in its own directory.
    final class Cluster: @unchecked Sendable {
        let directory: TemporaryDirectory
        let bin: String
        let owner: String?

        init() async throws {
            directory = try TemporaryDirectory(prefix: "ipgr")
            chmod(directory.path, 0o755)
            owner = getuid() == 0 ? "postgres" : nil
            if owner != nil { _ = try await runCommand("/bin/chown", ["postgres:", directory.path]) }
            let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
                .sorted {
                    (Int($0) ?? 0) > (Int($1) ?? 0)
                }
            guard let version = candidates.first else {
                throw TestSetupError("no PostgreSQL server programs in /usr/lib/postgresql")
            }
            bin = "/usr/lib/postgresql/\(version)/bin"
            let initdb = try await runCommand(
                "\(bin)/initdb",
                ["-D", data, "-U", "postgres", "--auth=trust", "--no-instructions"],
                asUser: owner
            )
            guard initdb.status == 0 else { throw TestSetupError("initdb failed: \(initdb)") }
            try await pgctl([
                "start", "-w", "-l", directory.appending("log"), "-o", "-k \(directory.path) -c listen_addresses=''",
            ])
            let admin = try PostgresConnection(conninfo: "host=\(directory.path) dbname=postgres user=postgres")
            defer { admin.close() }
            _ = try admin.execute("CREATE DATABASE incidents")
        }

        var data: String { directory.appending("data") }
        var conninfo: String { "host=\(directory.path) dbname=incidents user=postgres" }

        /// pg_ctl through a process that closes every inherited descriptor first: the server
        /// it starts must not hold the pipes this test reads to their end.
        func pgctl(_ arguments: [String]) async throws {
            let detach =
                "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:], close_fds=True, stdin=subprocess.DEVNULL).returncode)"
            let command =
                (owner.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + ["\(bin)/pg_ctl", "-D", data] + arguments
            let result = try await runCommand("/usr/bin/env", ["python3", "-c", detach] + command)
            guard result.status == 0 else { throw TestSetupError("pg_ctl \(arguments) failed: \(result)") }
        }

        func stop() {
            _ = try? runCommandBlocking("\(bin)/pg_ctl", ["-D", data, "-m", "immediate", "stop"], asUser: owner)
            directory.remove()
        }
    }

    final class Tally: @unchecked Sendable {
        let lock = NSLock()
        var acknowledged: [String] = []
        var errors: [String: Int] = [:]
        var stop = false
        func ack(_ key: String) { lock.withLock { acknowledged.append(key) } }
        func error(_ name: String) { lock.withLock { errors[name, default: 0] += 1 } }
        var stopped: Bool { lock.withLock { stop } }
    }

    @Test(.timeLimit(.minutes(10)))
    func incidentdSurvivesFastAndImmediateRestartsUnderLoad() async throws {
        let cluster = try await Cluster()
        defer { cluster.stop() }
        let daemon = try await DaemonProcess(database: nil, arguments: ["--database", cluster.conninfo])
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady()
        let tally = Tally()
        let socket = daemon.socketPath
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<4 {
                    group.addTask {
                        try await onThread {
                            var index = 0
                            var connection: VarlinkClient?
                            while !tally.stopped {
                                let key = "restart-\(client)-\(index)"
                                do {
                                    let active = try connection ?? VarlinkClient(path: socket)
                                    connection = active
                                    let reply = try active.call(
                                        VarlinkCall(
                                            method: Methods.Incidents.report.name,
                                            parameters: [
                                                "title": .string("Under restart"), "description": .string("d"),
                                                "idempotencyKey": .string(key),
                                            ]
                                        )
                                    )
                                    if let error = reply.error {
                                        tally.error(error)
                                        usleep(50_000)
                                        continue  // retry the same key
                                    }
                                    tally.ack(key)
                                    index += 1
                                } catch {
                                    tally.error("connection: \(error)")
                                    connection = nil
                                    usleep(50_000)
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        func acknowledgedCount() -> Int { tally.lock.withLock { tally.acknowledged.count } }
        var recoveries: [Double] = []
        for mode in ["fast", "immediate"] {
            try await Task.sleep(for: .seconds(1))
            try await cluster.pgctl([
                "restart", "-w", "-m", mode, "-l", cluster.directory.appending("log"),
                "-o", "-k \(cluster.directory.path) -c listen_addresses=''",
            ])
            let restarted = Date()
            let before = acknowledgedCount()
            while acknowledgedCount() == before, Date().timeIntervalSince(restarted) < 60 {
                try await Task.sleep(for: .milliseconds(20))
            }
            recoveries.append(Date().timeIntervalSince(restarted))
            #expect(acknowledgedCount() > before, "reports are acknowledged again after the \(mode) restart")
            #expect(daemon.isRunning, "incidentd stays up through a \(mode) restart")
        }
        try await Task.sleep(for: .seconds(1))
        tally.lock.withLock { tally.stop = true }
        try await load.value

        let acknowledged = tally.lock.withLock { tally.acknowledged }
        let errors = tally.lock.withLock { tally.errors }
        print(
            "database restarts: \(acknowledged.count) reports acknowledged; recovery after fast \(String(format: "%.2f", recoveries[0])) s, "
                + "immediate \(String(format: "%.2f", recoveries[1])) s; errors seen: \(errors)"
        )
        let unnamed = errors.keys.filter {
            !$0.hasPrefix("io.incidentd.DatabaseUnavailable") && !$0.hasPrefix("connection")
        }
        #expect(
            unnamed.isEmpty,
            "calls in flight fail with the named, retryable error: \(errors)\n\(daemon.log.split(separator: "\n").filter { $0.contains(" error incidentd:") || $0.contains(" critical incidentd:") }.suffix(10).joined(separator: "\n"))"
        )

        let check = try PostgresConnection(conninfo: cluster.conninfo)
        defer { check.close() }
        let stored = Set(
            try check.query("SELECT idempotency_key FROM incidents").map {
                try $0.decode(String.self, "idempotency_key")
            }
        )
        #expect(Set(acknowledged).isSubset(of: stored), "every acknowledged report is stored")
        let rows = try check.query("SELECT count(*) AS n FROM incidents").first!.decode(Int.self, "n")
        #expect(rows == stored.count, "none twice")
        let connections = try check.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'incidents' AND pid <> pg_backend_pid()"
        ).first!.decode(Int.self, "n")
        #expect(connections <= 8, "no leaked connections: \(connections) open, the pool holds at most 8")
        #expect(try await daemon.ctl(["audit", "verify"]).status == 0)
    }
}
