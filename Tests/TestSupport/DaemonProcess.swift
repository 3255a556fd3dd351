import Foundation
import Varlink

/// The real `incidentd` binary, started for one test on its own socket and database.
public final class DaemonProcess: Sendable {
    public let directory: TemporaryDirectory
    public let socketPath: String
    public let logPath: String
    private let program: RunningProgram

    /// Starts incidentd. With `database` nil it runs its embedded PostgreSQL in `state/`.
    /// `socketPath` lets a restarted daemon take over its predecessor's socket.
    public init(
        database: TestDatabase?,
        arguments: [String] = [],
        environment: [String: String]? = nil,
        socketPath: String? = nil
    ) async throws {
        directory = try TemporaryDirectory(prefix: "idd")
        self.socketPath = socketPath ?? directory.appending("incidentd.sock")
        logPath = directory.appending("incidentd.log")
        var allArguments = [
            "--socket", self.socketPath, "--state-dir", directory.appending("state"), "--log-level", "debug",
        ]
        if let database {
            allArguments += ["--database", database.conninfo]
            // Daemons on one database share its key file, as a restarted daemon would.
            if !arguments.contains("--state-dir"), !arguments.contains("--key-file") {
                allArguments += ["--key-file", database.keyFile]
            }
        }
        program = try await RunningProgram(
            Binaries.incidentd,
            allArguments + arguments,
            environment: environment,
            output: logPath,
            error: logPath
        )
    }

    public var pid: Int32 { program.pid }
    public var isRunning: Bool { program.isRunning }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the socket answers `GetInfo`; fails with the daemon's log if it does not.
    public func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !program.isRunning {
                throw TestSetupError(
                    "incidentd exited with status \(program.terminationStatus) during start-up:\n\(log)"
                )
            }
            if let client = try? VarlinkClient(path: socketPath),
                (try? client.call(VarlinkCall(method: "org.varlink.service.GetInfo")))?.error == nil
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("incidentd did not become ready within \(timeout):\n\(log)")
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    public func stop() async -> Int32 {
        program.send(SIGTERM)
        return await program.waitForExit()
    }

    /// `stop` for synchronous callers (clean-up in `defer`): sends SIGTERM and waits until the
    /// process has ended, watching /proc rather than the task that reaps it, so the wait never
    /// depends on a thread of the pool this may be blocking.
    public func stopBlocking() {
        program.send(SIGTERM)
        while program.isRunning, Self.isAlive(program.pid) { usleep(10_000) }
    }

    /// Alive and not a zombie waiting to be reaped.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// Stops the daemon and removes its directory.
    public func cleanUp() {
        stopBlocking()
        directory.remove()
    }

    /// Runs the built incidentctl against this daemon.
    public func ctl(
        _ arguments: [String],
        input: String? = nil,
        asUser user: String? = nil
    ) async throws -> CommandResult {
        try await runCommand(Binaries.incidentctl, arguments + ["--socket", socketPath], input: input, asUser: user)
    }
}

/// Starts a daemon on a fresh database, runs `body`, then stops both.
public func withDaemon<R>(
    arguments: [String] = [],
    _ body: (DaemonProcess, TestDatabase) async throws -> R
) async throws -> R {
    try await withTestDatabase { database in
        let daemon = try await DaemonProcess(database: database, arguments: arguments)
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady()
        return try await body(daemon, database)
    }
}

/// A long-running command (`incidentctl watch`, say) whose output is read while it runs.
public final class BackgroundCommand: Sendable {
    private let program: RunningProgram
    private let directory: TemporaryDirectory

    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws {
        directory = try TemporaryDirectory(prefix: "ibg")
        program = try await RunningProgram(
            executable,
            arguments,
            environment: environment,
            output: directory.appending("stdout"),
            error: directory.appending("stderr")
        )
    }

    public var stdout: String { (try? String(contentsOfFile: directory.appending("stdout"), encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: directory.appending("stderr"), encoding: .utf8)) ?? "" }
    public var isRunning: Bool { program.isRunning }

    /// Waits until `condition` holds of the output, up to `seconds`.
    public func waitFor(_ seconds: Double = 60, _ condition: (_ stdout: String, _ stderr: String) -> Bool) async -> Bool
    {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(stdout, stderr) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(stdout, stderr)
    }

    /// Kills it and whatever it started (not waited for: its task reaps it), and removes its
    /// output.
    public func stop() {
        program.sendToTree(SIGKILL)
        directory.remove()
    }
}
