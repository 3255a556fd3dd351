import Foundation
import Subprocess
import SystemPackage

/// Foundation's `Process.run()` on Linux is not safe to call from several threads at once (a
/// parallel CI run crashed inside it, in `memcpy`); the suites start processes from many
/// threads, so every launch in the tests goes through this lock. Only the launch is serialised,
/// never the wait.
private let launchLock = NSLock()

extension Process {
    /// `run()`, one launch at a time across the test process.
    public func runSerially() throws {
        launchLock.lock()
        defer { launchLock.unlock() }
        try run()
    }
}

/// What a finished command printed and how it ended.
public struct CommandResult: Sendable, CustomStringConvertible {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var description: String {
        "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
    }
}

/// Finds the built executables: `$INCIDENTD_BIN_DIR`, else beside the running test bundle.
public enum Binaries {
    public static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["INCIDENTD_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = [
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        ]
        // The bundle may be nested (swift-testing helper); walk up a few levels.
        for _ in 0..<3 {
            candidates.append(candidates.last!.deletingLastPathComponent())
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        return candidates.first {
            FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("incidentd").path)
        }
            ?? candidates[0]
    }

    public static var incidentd: String { directory.appendingPathComponent("incidentd").path }
    public static var incidentctl: String { directory.appendingPathComponent("incidentctl").path }
}

/// Runs a program to completion through swift-subprocess, feeding `input` on standard input
/// (from an unlinked file, so a program that exits without reading it cannot break the pipe),
/// and keeps what it prints, up to 64 MiB of each.
public func runCommand(
    _ executable: String,
    _ arguments: [String],
    input: String? = nil,
    environment: [String: String]? = nil,
    asUser user: String? = nil
) async throws -> CommandResult {
    let (path, argv) =
        user.map { ("/usr/sbin/runuser", ["-u", $0, "--", executable] + arguments) } ?? (executable, arguments)
    // Each run keeps reports it could not send in a state directory of its own, so that one
    // test's saved report is never sent to another test's daemon.
    let variables =
        environment.map { environment in
            Environment.custom(
                Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })
            )
        } ?? Environment.inherit.updating(["XDG_STATE_HOME": "/tmp/incidentd-test-state-\(UUID().uuidString)"])
    if let input {
        let file = try InputFile(input)
        return try await run(path, argv, variables, .fileDescriptor(file.descriptor, closeAfterSpawningProcess: true))
    }
    return try await run(path, argv, variables, .none)
}

private func run(
    _ path: String,
    _ argv: [String],
    _ environment: Environment,
    _ input: some InputProtocol
) async throws -> CommandResult {
    let limit = 64 << 20
    let result = try await Subprocess.run(
        .path(FilePath(path)),
        arguments: Arguments(argv),
        environment: environment,
        input: input,
        output: .string(limit: limit),
        error: .string(limit: limit)
    )
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = code
    case .signaled(let signal): status = 128 + signal
    }
    return CommandResult(status: status, stdout: result.standardOutput, stderr: result.standardError)
}

/// A program's standard input, in a file unlinked at once: open for reading, at its start.
private struct InputFile {
    let descriptor: FileDescriptor

    init(_ text: String) throws {
        var template = Array("/tmp/incidentd-input-XXXXXX".utf8CString)
        let written = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard written >= 0 else { throw Errno(rawValue: errno) }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        unlink(path)
        let writer = FileDescriptor(rawValue: written)
        defer { try? writer.close() }
        _ = try writer.writeAll(Array(text.utf8))
        descriptor = try FileDescriptor.open(FilePath("/proc/self/fd/\(written)"), .readOnly)
    }
}

/// `runCommand` for synchronous callers (one-time set-up).
public func runCommandBlocking(
    _ executable: String,
    _ arguments: [String],
    input: String? = nil,
    environment: [String: String]? = nil,
    asUser user: String? = nil
) throws -> CommandResult {
    let process = Process()
    if let user {
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        process.arguments = ["-u", user, "--", executable] + arguments
    } else {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    }
    if let environment { process.environment = environment }
    let stdout = Pipe()
    let stderr = Pipe()
    let stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    try process.runSerially()
    if let input {
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
    }
    // Read both pipes at once so a chatty stderr cannot block the child.
    let errorData = LockedData()
    let reader = Thread { errorData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isSet { usleep(1000) }
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outputData, as: UTF8.self),
        stderr: String(decoding: errorData.get(), as: UTF8.self)
    )
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?

    func set(_ value: Data) {
        lock.lock()
        data = value
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return data != nil
    }

    func get() -> Data {
        lock.lock()
        defer { lock.unlock() }
        return data ?? Data()
    }
}

/// Runs blocking work (socket calls, waits) on a thread of its own, so tests running in
/// parallel never starve Swift's small concurrency pool.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
