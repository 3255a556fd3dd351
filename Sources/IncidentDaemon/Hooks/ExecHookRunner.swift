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
///
/// A hook is not trusted (docs/security.md): it inherits no descriptor but its standard input,
/// output and error (every other one is closed in the child before `exec`, whatever the
/// daemon holds open — database connections, the listening socket, a socket systemd passed),
/// and when the daemon is root it runs as an unprivileged user through `setpriv`.
struct ExecHookRunner: Sendable {
    static let outputLimit = 64 * 1024

    /// Whom hooks run as: nil runs them as the daemon's own user.
    struct Account: Sendable, Equatable {
        var name: String
        var uid: UInt32
        var gid: UInt32
    }

    var account: Account?

    /// The account for `name` when this process is root; nil when it is not root (hooks run as
    /// the daemon's user) or when `name` is root itself (an explicit choice).
    static func account(named name: String) throws -> Account? {
        guard geteuid() == 0, name != "root" else { return nil }
        guard let entry = getpwnam(name) else {
            throw DaemonError(
                message: "incidentd runs as root, so exec hooks run as the unprivileged user \(name), which does not exist; "
                    + "create it (the sysusers snippet creates incidentd) or set hookUser in the configuration"
            )
        }
        return Account(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not export: looked up once by name.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            return nil
        }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// Closes every descriptor from 3 up in the child: in one action where glibc has it, else
    /// each descriptor open now (`/proc/self/fd`) — every descriptor the daemon opens itself is
    /// close-on-exec as well, so one opened meanwhile does not cross either.
    static func closeEverythingFrom3(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom = addCloseFrom, addCloseFrom(&actions, 3) == 0 { return }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    /// The command line that runs `argv` as `account`.
    func commandLine(_ argv: [String]) -> [String] {
        guard let account else { return argv }
        return ["/usr/bin/setpriv", "--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", "--"] + argv
    }

    /// A pipe whose ends are not inherited by other children (pipe2 is not exported to Swift).
    static func makePipe(_ ends: inout [Int32]) -> Bool {
        guard pipe(&ends) == 0 else { return false }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return true
    }

    func run(argv hookArgv: [String], environment: [String: String], input: String, timeout: Duration) async -> HookRun {
        let argv = commandLine(hookArgv)
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
        // Nothing else of the daemon's crosses into the hook, close-on-exec or not.
        Self.closeEverythingFrom3(&actions)
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
