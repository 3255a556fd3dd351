import Foundation
import Glibc
import IncidentProtocol
import Varlink

/// Finds the daemon's socket and makes calls to it, turning connection failures into
/// sentences that say how to fix them.
struct DaemonConnection {
    let path: String
    private var client: VarlinkClient?

    /// The daemon the last successful call of this process reached, so that reports saved
    /// earlier are sent once a command has reached it (``SavedReports/sendAfterSuccess()``).
    /// incidentctl runs one command, on one thread.
    nonisolated(unsafe) static var lastReached: String?

    /// `--socket`, else `$INCIDENTD_SOCKET`, else the user's own daemon
    /// (`$XDG_RUNTIME_DIR/incidentd.sock`) if one runs, else the system daemon.
    /// With `--host` (or `INCIDENTD_HOST`), the daemon on that machine over SSH
    /// (``RemoteTarget``), `--socket` then naming its socket there.
    static func socketPath(
        option: String?,
        host: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> String
    {
        if let host = host ?? environment["INCIDENTD_HOST"].flatMap({ $0.isEmpty ? nil : $0 }),
            var target = RemoteTarget(host)
        {
            if let option { target.socket = option }
            return target.path
        }
        if let option { return option }
        if let path = environment["INCIDENTD_SOCKET"], !path.isEmpty { return path }
        let personal = DefaultPaths.socket(uid: getuid(), environment: environment)
        if FileManager.default.fileExists(atPath: personal) { return personal }
        return DefaultPaths.systemSocket
    }

    init(path: String) {
        self.path = path
    }

    private mutating func connected() throws(CLIError) -> VarlinkClient {
        if let client { return client }
        do {
            let client = try Self.open(path)
            self.client = client
            return client
        } catch let error as VarlinkClient.ConnectionError {
            throw Self.explain(error)
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("cannot connect to \(path): \(error)", status: .unavailable)
        }
    }

    /// Connects to the daemon at `path`, first checking that a user's own socket lies in a
    /// directory only they control, then that whoever listens is root, incidentd's service
    /// account or the user themselves: nothing is sent to an impostor. Throws a
    /// ``VarlinkClient/ConnectionError`` when nothing answers, a ``CLIError`` for an impostor.
    static func open(
        _ path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws
        -> VarlinkClient
    {
        if let target = RemoteTarget(path: path) { return try target.connect(environment: environment) }
        let uid = getuid()
        if uid != 0, path == DefaultPaths.socket(uid: uid, environment: environment) {
            do {
                try PrivateDirectory.check((path as NSString).deletingLastPathComponent, owner: uid)
            } catch {
                throw CLIError("Refusing to use \(path): \(error.description).", status: .unavailable)
            }
        }
        let client = try VarlinkClient(path: path)
        let server = try client.peerCredentials()
        guard DefaultPaths.trustedServerUIDs(user: uid).contains(server.uid) else {
            client.close()
            let name = getpwuid(server.uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(server.uid)"
            throw CLIError(
                "Refusing to talk to \(path): it is served by \(name) (uid \(server.uid)), not by root, the "
                    + "\(DefaultPaths.serviceUser) account or you, so it may be impersonating incidentd; nothing was sent. "
                    + "Tell your administrator, and name the real socket with --socket.",
                status: .unavailable
            )
        }
        return client
    }

    /// Calls `method` and decodes its reply. With `retries`, a dropped connection or an
    /// unavailable database is retried — only safe for idempotent calls.
    mutating func call<P, R>(_ method: Method<P, R>, _ parameters: P, retries: Int = 0) throws(CLIError) -> R {
        var attempt = 0
        while true {
            do {
                let reply = try connected().call(try method.call(parameters)).terminalSafe()
                let decoded = try reply.decode(R.self)
                Self.lastReached = path
                return decoded
            } catch let error as VarlinkError {
                let error = WireError(error)
                if case .databaseUnavailable = error, attempt < retries {
                    attempt += 1
                    usleep(UInt32(200_000 * attempt))
                    continue
                }
                throw CLIError(error)
            } catch let error as VarlinkClient.ConnectionError {
                client = nil
                if error.code == .io, attempt < retries {
                    attempt += 1
                    let place = RemoteTarget(path: path).map { "\($0.destination) over SSH" } ?? path
                    printError(
                        Language.current.text(
                            "The connection to %s dropped before incidentd answered; sending it again (attempt %s of %s; it is safe to repeat).",
                            place,
                            String(attempt + 1),
                            String(retries + 1)
                        )
                    )
                    usleep(UInt32(200_000 * attempt))
                    continue
                }
                throw Self.explain(error)
            } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError("incidentd sent a reply incidentctl cannot read (\(error)); are both the same version?")
            }
        }
    }

    static func explain(_ error: VarlinkClient.ConnectionError) -> CLIError {
        if let target = RemoteTarget(path: error.path) { return RemoteTarget.explain(target, error) }
        switch error.code {
        case .notRunning:
            return CLIError(
                Language.current.text(
                    "incidentd is not running at %s; start it (%s) or name its socket with --socket.",
                    error.path,
                    "systemctl start incidentd, or run incidentd"
                ),
                status: .unavailable
            )
        case .permissionDenied:
            let language = Language.current
            var group = language.text("the socket's group")
            var info = stat()
            if stat(error.path, &info) == 0, let entry = getgrgid(info.st_gid) {
                group = language.text("group %s", String(cString: entry.pointee.gr_name))
            }
            return CLIError(
                language.text(
                    "You may not connect to %s; ask an administrator to add you to %s, then log in again.",
                    error.path,
                    group
                ),
                status: .permissionDenied
            )
        case .pathTooLong:
            return CLIError("The socket path \(error.path) is too long; use a shorter --socket.", status: .usage)
        case .io:
            return CLIError(
                Language.current.text(
                    "The connection to incidentd at %s broke (%s); check that the daemon is running.",
                    error.path,
                    "\(error)"
                ),
                status: .unavailable
            )
        }
    }
}

extension VarlinkReply {
    /// The reply with control characters replaced in every string (``TextParameters``), so
    /// nothing another user typed reaches this terminal raw — errors' reasons included.
    func terminalSafe() -> VarlinkReply {
        VarlinkReply(parameters: TextParameters.terminalSafe(parameters), error: error, continues: continues)
    }
}
