import Foundation
import Glibc
import IncidentCore

/// The result of running a hook once.
struct HookRun: Sendable {
    enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
        case couldNotStart(String)
    }

    var ending: Ending
    /// Standard output and error, interleaved, up to the limit.
    var output: String

    var succeeded: Bool { ending == .exited(0) }

    var error: String {
        switch ending {
        case .exited(let status): return "exited with status \(status)"
        case .signalled(let signal): return "killed by signal \(signal)"
        case .timedOut: return "timed out; its process group was killed"
        case .couldNotStart(let reason): return "could not start: \(reason)"
        }
    }
}

/// Runs exec hooks: no shell, a clean environment, the event as JSON on standard input, a
/// process group of its own so a timeout kills every process it started, output captured up
/// to a limit. Blocking calls (waitpid, read) run on threads of their own, never on the
/// concurrency pool.
struct ExecHookRunner: Sendable {
    static let outputLimit = 64 * 1024

    /// A pipe whose ends are not inherited by other children (pipe2 is not exported to Swift).
    static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    func run(argv: [String], environment: [String: String], input: String, timeout: Duration) async -> HookRun {
        var inputPipe: [Int32] = [0, 0]
        var outputPipe: [Int32] = [0, 0]
        guard Self.makePipe(&inputPipe) else { return HookRun(ending: .couldNotStart("pipe failed"), output: "") }
        guard Self.makePipe(&outputPipe) else {
            close(inputPipe[0]); close(inputPipe[1])
            return HookRun(ending: .couldNotStart("pipe failed"), output: "")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (so a timeout reaches its children), default signal handling
        // and an empty signal mask, whatever the daemon itself traps.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT] { sigaddset(&defaults, signal) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        )
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, argv[0], &actions, &attributes, arguments, variables)
        close(inputPipe[0])
        close(outputPipe[1])
        guard status == 0 else {
            close(inputPipe[1]); close(outputPipe[0])
            return HookRun(ending: .couldNotStart(String(cString: strerror(status))), output: "")
        }
        let child = pid
        let timedOut = TimeoutFlag()
        let watchdog = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled {
                timedOut.set()
                kill(-child, SIGKILL)
            }
        }
        let inputFD = inputPipe[1]
        let outputFD = outputPipe[0]
        let result: (Int32, String) = await withCheckedContinuation { continuation in
            let thread = Thread {
                // Feed the payload; a hook that does not read it just gets EPIPE here, ignored.
                let bytes = Array(input.utf8)
                var offset = 0
                while offset < bytes.count {
                    let written = bytes[offset...].withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) }
                    if written <= 0 { break }
                    offset += written
                }
                close(inputFD)
                var output: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 16 * 1024)
                var waitStatus: Int32 = 0
                var exited = false
                while true {
                    let count = read(outputFD, &buffer, buffer.count)
                    if count > 0 {
                        if output.count < Self.outputLimit { output += buffer[..<min(count, Self.outputLimit - output.count)] }
                        continue
                    }
                    if count < 0, errno == EINTR { continue }
                    break
                }
                close(outputFD)
                while !exited {
                    if waitpid(child, &waitStatus, 0) == child { exited = true } else if errno != EINTR { break }
                }
                // Nothing the hook started may outlive it.
                kill(-child, SIGKILL)
                continuation.resume(returning: (waitStatus, String(decoding: output, as: UTF8.self)))
            }
            thread.start()
        }
        watchdog.cancel()
        let (waitStatus, output) = result
        if timedOut.isSet { return HookRun(ending: .timedOut, output: output) }
        let signal = waitStatus & 0x7f
        if signal != 0 { return HookRun(ending: .signalled(signal), output: output) }
        return HookRun(ending: .exited((waitStatus >> 8) & 0xff), output: output)
    }
}

final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
