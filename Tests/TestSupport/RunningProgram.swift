import Foundation
import Subprocess
import Synchronization
import SystemPackage

/// A program started through swift-subprocess that runs until it ends or is stopped (a daemon,
/// a watch), its standard output and error appended to files, its input empty. A task of its
/// own waits for the exit, so a test can ask whether it runs, signal it, and read how it ended.
public final class RunningProgram: Sendable {
    public let pid: pid_t
    private let ended: Ending
    private let monitor: Task<Void, Never>

    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        output: String,
        error: String
    ) async throws {
        let out = try FileDescriptor.open(
            FilePath(output),
            .writeOnly,
            options: [.append, .create],
            permissions: .ownerReadWrite
        )
        let err = try FileDescriptor.open(
            FilePath(error),
            .writeOnly,
            options: [.append, .create],
            permissions: .ownerReadWrite
        )
        let variables = environment.map { environment in
            Environment.custom(
                Dictionary(uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) })
            )
        }
        let (started, announce) = AsyncStream<Result<pid_t, any Swift.Error>>.makeStream()
        let ended = Ending()
        monitor = Task {
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)),
                    arguments: Arguments(arguments),
                    environment: variables ?? .inherit,
                    input: .none,
                    output: .fileDescriptor(out, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(err, closeAfterSpawningProcess: true)
                ) { execution in
                    announce.yield(.success(execution.processIdentifier.value))
                }
                let status: Int32
                switch result.terminationStatus {
                case .exited(let code): status = code
                case .signaled(let signal): status = 128 + signal
                }
                ended.status.withLock { $0 = status }
            } catch {
                ended.status.withLock { $0 = -1 }
                announce.yield(.failure(error))
            }
            announce.finish()
        }
        var first: Result<pid_t, any Swift.Error>?
        for await announced in started {
            first = announced
            break
        }
        guard let first else { throw TestSetupError("\(executable) did not start") }
        pid = try first.get()
        self.ended = ended
    }

    public var isRunning: Bool { ended.status.withLock { $0 == nil } }

    /// The exit status, or 128 + the signal that ended it; -1 while it runs.
    public var terminationStatus: Int32 { ended.status.withLock { $0 } ?? -1 }

    /// Sends `signal`, unless it has ended.
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for it to end, and returns how.
    @discardableResult
    public func waitForExit() async -> Int32 {
        await monitor.value
        return terminationStatus
    }
}

/// How a program ended, once it has: its exit status, or 128 + its signal.
private final class Ending: Sendable {
    let status = Mutex<Int32?>(nil)
}
