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

    /// Sends `signal` to its descendants, then to it: a wrapper such as runuser does not pass
    /// SIGKILL on, and would leave its child running as another user.
    public func sendToTree(_ signal: Int32) {
        guard isRunning else { return }
        for child in Self.descendants(of: pid).reversed() { kill(child, signal) }
        kill(pid, signal)
    }

    /// Every process whose chain of parents leads to `root`, parents first (from /proc).
    static func descendants(of root: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var parents: [pid_t: pid_t] = [:]
        for entry in entries {
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { parents[pid] = parent }
        }
        var found: [pid_t] = []
        var frontier = [root]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.value == next }.map(\.key)
            found += children
            frontier += children
        }
        return found
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
