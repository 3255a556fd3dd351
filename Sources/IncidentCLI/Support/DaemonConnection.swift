import Foundation
import Glibc
import IncidentProtocol
import Varlink

/// Finds the daemon's socket and makes calls to it, turning connection failures into
/// sentences that say how to fix them.
struct DaemonConnection {
    let path: String
    private var client: VarlinkClient?

    /// `--socket`, else `$INCIDENTD_SOCKET`, else the user's own daemon
    /// (`$XDG_RUNTIME_DIR/incidentd.sock`) if one runs, else the system daemon.
    static func socketPath(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
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
            let client = try VarlinkClient(path: path)
            self.client = client
            return client
        } catch {
            throw Self.explain(error)
        }
    }

    /// Calls `method` and decodes its reply. With `retries`, a dropped connection or an
    /// unavailable database is retried — only safe for idempotent calls.
    mutating func call<P: Encodable, R: Decodable>(
        _ method: String, _ parameters: P, as result: R.Type, retries: Int = 0
    ) throws(CLIError) -> R {
        var attempt = 0
        while true {
            do {
                return try connected().call(method, parameters, as: R.self)
            } catch let error as VarlinkError {
                if error.name == "io.incidentd.DatabaseUnavailable", attempt < retries {
                    attempt += 1
                    usleep(UInt32(200_000 * attempt))
                    continue
                }
                throw CLIError(error)
            } catch let error as VarlinkClient.ConnectionError {
                client = nil
                if error.code == .io, attempt < retries {
                    attempt += 1
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
        switch error.code {
        case .notRunning:
            return CLIError(
                "incidentd is not running at \(error.path); start it (systemctl start incidentd, or run incidentd) "
                    + "or name its socket with --socket.",
                status: .unavailable
            )
        case .permissionDenied:
            var group = "the socket's group"
            var info = stat()
            if stat(error.path, &info) == 0, let entry = getgrgid(info.st_gid) {
                group = "group \(String(cString: entry.pointee.gr_name))"
            }
            return CLIError(
                "You may not connect to \(error.path); ask an administrator to add you to \(group), then log in again.",
                status: .permissionDenied
            )
        case .pathTooLong:
            return CLIError("The socket path \(error.path) is too long; use a shorter --socket.", status: .usage)
        case .io:
            return CLIError(
                "The connection to incidentd at \(error.path) broke (\(error)); check that the daemon is running.",
                status: .unavailable
            )
        }
    }
}
