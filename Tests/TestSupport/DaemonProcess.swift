import Foundation
import Varlink

/// The real `incidentd` binary, started for one test on its own socket and database.
public final class DaemonProcess: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let socketPath: String
    public let logPath: String
    private let process: Process

    /// Starts incidentd. With `database` nil it runs its embedded PostgreSQL in `state/`.
    /// `socketPath` lets a restarted daemon take over its predecessor's socket.
    public init(
        database: TestDatabase?,
        arguments: [String] = [],
        environment: [String: String]? = nil,
        socketPath: String? = nil
    ) throws {
        directory = try TemporaryDirectory(prefix: "idd")
        self.socketPath = socketPath ?? directory.appending("incidentd.sock")
        logPath = directory.appending("incidentd.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.incidentd)
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
        process.arguments = allArguments + arguments
        if let environment { process.environment = environment }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.runSerially()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the socket answers `GetInfo`; fails with the daemon's log if it does not.
    public func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                throw TestSetupError(
                    "incidentd exited with status \(process.terminationStatus) during start-up:\n\(log)"
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
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.stopBlocking()) }.start()
        }
    }

    /// `stop` for synchronous callers (clean-up in `defer`).
    @discardableResult
    public func stopBlocking() -> Int32 {
        if process.isRunning {
            process.terminate()
            // Not waitUntilExit: on a plain thread it spins its run loop at full speed.
            while process.isRunning { usleep(10_000) }
        }
        return process.terminationStatus
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
        let daemon = try DaemonProcess(database: database, arguments: arguments)
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady()
        return try await body(daemon, database)
    }
}

/// A long-running command (`incidentctl watch`, say) whose output is read while it runs.
public final class BackgroundCommand: @unchecked Sendable {
    private let process = Process()
    private let directory: TemporaryDirectory

    public init(_ executable: String, _ arguments: [String]) throws {
        directory = try TemporaryDirectory(prefix: "ibg")
        for name in ["stdout", "stderr"] {
            _ = FileManager.default.createFile(atPath: directory.appending(name), contents: nil)
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.appending("stdout")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory.appending("stderr")))
        process.standardInput = FileHandle.nullDevice
        try process.runSerially()
    }

    public var stdout: String { (try? String(contentsOfFile: directory.appending("stdout"), encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: directory.appending("stderr"), encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }

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

    /// Kills it (not waited for: Foundation reaps it) and removes its output.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        directory.remove()
    }
}
