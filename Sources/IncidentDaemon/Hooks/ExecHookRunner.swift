import Foundation
import Glibc
import IncidentCore
import Subprocess
import Synchronization
import SystemPackage

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

/// Runs exec hooks through swift-subprocess: no shell, a clean environment, the event as
/// JSON on standard input, a process group of its own so a timeout kills every process it
/// started, standard output and error together captured up to a limit.
///
/// A hook is not trusted (docs/security.md): it inherits no descriptor but its standard input,
/// output and error (swift-subprocess closes every other one in the child before `exec`,
/// whatever the daemon holds open — database connections, the listening socket, a socket
/// systemd passed — and resets the signal mask and dispositions), and when the daemon is root
/// it runs as an unprivileged user through `setpriv`.
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
                message:
                    "incidentd runs as root, so exec hooks run as the unprivileged user \(name), which does not exist; "
                    + "create it (the sysusers snippet creates incidentd) or set hookUser in the configuration"
            )
        }
        return Account(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// The command line that runs `argv` as `account`.
    func commandLine(_ argv: [String]) -> [String] {
        guard let account else { return argv }
        return ["/usr/bin/setpriv", "--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", "--"] + argv
    }

    func run(argv hookArgv: [String], environment: [String: String], input: String, timeout: Duration) async -> HookRun
    {
        let argv = commandLine(hookArgv)
        var options = PlatformOptions()
        // Its own process group, so a timeout reaches every process it started.
        options.processGroupID = 0
        let variables = Dictionary(
            uniqueKeysWithValues: environment.map { (Environment.Key(stringLiteral: $0.key), $0.value) }
        )
        guard let payload = Self.payloadFile(input) else {
            return HookRun(
                ending: .couldNotStart("cannot hold the payload: \(String(cString: strerror(errno)))"),
                output: ""
            )
        }
        let ran: ExecutionResult<HookOutput, SequenceOutput, SequenceOutput>
        do {
            // Standard output and error are read as they come, into one record of what it said.
            ran = try await Subprocess.run(
                .path(FilePath(argv[0])),
                arguments: Arguments(Array(argv.dropFirst())),
                environment: .custom(variables),
                platformOptions: options,
                input: .fileDescriptor(FileDescriptor(rawValue: payload), closeAfterSpawningProcess: true),
                output: .sequence,
                error: .sequence
            ) { execution in
                await Self.collect([execution.standardOutput, execution.standardError], timeout: timeout) {
                    try? execution.send(signal: .kill, toProcessGroup: true)
                }
            }
        } catch {
            return HookRun(ending: .couldNotStart("\(error)"), output: "")
        }
        // Nothing the hook started may outlive it.
        kill(-ran.processIdentifier.value, SIGKILL)
        let output = ran.closureResult
        if output.timedOut { return HookRun(ending: .timedOut, output: output.text) }
        switch ran.terminationStatus {
        case .exited(let status): return HookRun(ending: .exited(status), output: output.text)
        case .signaled(let signal): return HookRun(ending: .signalled(signal), output: output.text)
        }
    }

    /// glibc's `memfd_create` (2.27 and later), which Swift's Glibc module does not export:
    /// looked up once by name.
    private typealias MemfdCreate = @convention(c) (UnsafePointer<CChar>, UInt32) -> Int32
    private static let memfdCreate: MemfdCreate? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memfd_create") else { return nil }
        return unsafeBitCast(symbol, to: MemfdCreate.self)
    }()

    /// The payload in an anonymous file in memory, read from its start: the hook's standard
    /// input. A pipe written while the hook runs fails when a hook exits without reading it
    /// (which hooks may); a file never blocks and never breaks. Nil when none can be made.
    static func payloadFile(_ payload: String) -> Int32? {
        guard let memfdCreate else { return nil }
        let descriptor = memfdCreate("incidentd-hook-payload", 1)  // MFD_CLOEXEC, from <linux/memfd.h>
        guard descriptor >= 0 else { return nil }
        let bytes = Array(payload.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else {
                close(descriptor)
                return nil
            }
            offset += written
        }
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// What a hook printed, up to the limit, and whether its time ran out.
    struct HookOutput: Sendable {
        var text: String
        var timedOut: Bool
    }

    /// Reads every stream to its end, keeping up to the limit of what they say together in the
    /// order it comes; when `timeout` passes first, calls `kill` and reads on to the end the
    /// kill brings.
    static func collect(
        _ streams: [SubprocessOutputSequence],
        timeout: Duration,
        kill: @escaping @Sendable () -> Void
    ) async -> HookOutput {
        let kept = OutputRecord()
        let timedOut = await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                } catch {
                    return false
                }
                kill()
                return true
            }
            for stream in streams {
                group.addTask {
                    do {
                        for try await buffer in stream {
                            buffer.withUnsafeBytes { kept.append($0) }
                        }
                    } catch {}
                    return nil
                }
            }
            var readers = streams.count
            var timedOut = false
            while readers > 0, let result = await group.next() {
                if let result { timedOut = result } else { readers -= 1 }
            }
            group.cancelAll()
            while let result = await group.next() { if let result { timedOut = timedOut || result } }
            return timedOut
        }
        return HookOutput(text: kept.text, timedOut: timedOut)
    }
}

/// What a hook's streams said together, up to ``ExecHookRunner/outputLimit``.
final class OutputRecord: Sendable {
    private let bytes = Mutex<[UInt8]>([])

    func append(_ more: UnsafeRawBufferPointer) {
        bytes.withLock { $0 += more.prefix(max(0, ExecHookRunner.outputLimit - $0.count)) }
    }

    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}
