import Foundation
import IncidentCore
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// incidentctl --host through a real OpenSSH server on a loopback port (Debian's
/// openssh-server, which `scripts/install-deps.sh` installs as root): reports are the remote
/// account's, and an account restricted to `incidentctl bridge` reports but gets no shell.
@Suite(.enabled(if: getuid() == 0, "starts sshd and creates system users; CI runs it as root"))
struct SSHTests {
    static let reporter = "idt-ssh1"
    static let restricted = "idt-ssh2"

    /// Two accounts with a shell (sshd runs the command through it), in the socket's group.
    static let accounts: Result<Void, TestSetupError> = {
        if case .failure(let error) = AccessControlTests.accounts { return .failure(error) }
        for user in [reporter, restricted] {
            if (try? runCommandBlocking("/usr/bin/id", [user]).status) != 0 {
                let made = try? runCommandBlocking(
                    "/usr/sbin/useradd",
                    ["-M", "-N", "-s", "/bin/sh", "-g", AccessControlTests.clients, user]
                )
                guard made?.status == 0 else {
                    return .failure(TestSetupError("cannot create user \(user) with useradd"))
                }
            }
            // No password, but not locked: sshd refuses a locked account even with a key.
            _ = try? runCommandBlocking("/usr/sbin/usermod", ["-p", "*", user])
        }
        return .success(())
    }()

    /// A real sshd on a free loopback port, its host key and one client key that the reporter
    /// accepts plainly and the restricted account only for `incidentctl bridge`, and an ssh
    /// wrapper (`INCIDENTD_SSH`) that uses them; runs `body` with the wrapper's path and the
    /// environment for incidentctl, then stops the server.
    func withSSHServer(
        daemon: DaemonProcess,
        _ body: (_ ssh: String, _ environment: [String: String], _ directory: TemporaryDirectory) async throws -> Void
    ) async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            throw TestSetupError("this test needs OpenSSH's server: apt-get install openssh-server (make test does)")
        }
        let directory = try TemporaryDirectory(prefix: "issh")
        defer { directory.remove() }
        chmod(directory.path, 0o755)
        for key in ["host", "client"] {
            let made = try await runCommand(
                "/usr/bin/ssh-keygen",
                ["-q", "-t", "ed25519", "-N", "", "-f", directory.appending(key)]
            )
            #expect(made.status == 0, "\(made)")
        }
        let publicKey = try String(contentsOfFile: directory.appending("client.pub"), encoding: .utf8)
        let keys = directory.appending("authorized")
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        chmod(keys, 0o755)
        try publicKey.write(toFile: keys + "/" + Self.reporter, atomically: true, encoding: .utf8)
        try ("command=\"incidentctl bridge\",restrict " + publicKey)
            .write(toFile: keys + "/" + Self.restricted, atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        let config = directory.appending("sshd_config")
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(directory.appending("host"))
        AuthorizedKeysFile \(keys)/%u
        StrictModes no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        PidFile none
        SetEnv PATH=\(Binaries.directory.path):/usr/bin:/bin INCIDENTD_SOCKET=\(daemon.socketPath)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let sshd = try await BackgroundCommand("/usr/sbin/sshd", ["-D", "-e", "-f", config])
        defer { sshd.stop() }
        #expect(await sshd.waitFor(30) { _, stderr in stderr.contains("listening on") }, "\(sshd.stderr)")

        let ssh = directory.appending("ssh")
        try """
        #!/bin/sh
        exec /usr/bin/ssh -p \(port) -i \(directory.appending("client")) -o BatchMode=yes \\
            -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$@"
        """.write(toFile: ssh, atomically: true, encoding: .utf8)
        chmod(ssh, 0o755)
        let environment = [
            "INCIDENTD_SSH": ssh, "PATH": "/usr/bin:/bin", "HOME": directory.path,
            "XDG_STATE_HOME": directory.appending("state"),
        ]
        try await body(ssh, environment, directory)
    }

    /// A port nothing listens on now: the kernel's choice for a socket bound to port 0.
    func freeLoopbackPort() throws -> Int {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(probe, $0, length) == 0 && getsockname(probe, $0, &length) == 0
            }
        }
        guard bound else { throw TestSetupError("cannot find a free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func report(_ title: String, as user: String, _ environment: [String: String]) async throws -> CommandResult {
        try await runCommand(
            Binaries.incidentctl,
            ["--host", "\(user)@127.0.0.1", "report", "--title", title, "--description", "d", "--json"],
            environment: environment
        )
    }

    @Test func staffReportOverSSHAsTheirOwnAccountAndARestrictedOneGetsNoShell() async throws {
        try Self.accounts.get()
        try await withDaemon(arguments: ["--socket-group", AccessControlTests.clients]) { daemon, _ in
            try await withSSHServer(daemon: daemon) { ssh, environment, _ in
                for user in [Self.reporter, Self.restricted] {
                    let filed = try await report("Seen by \(user)", as: user, environment)
                    #expect(filed.status == 0, "\(user): \(filed)")
                    let reply = try? VarlinkJSON.decoder().decode(
                        IncidentsWire.ReportReply.self,
                        from: Data(filed.stdout.utf8)
                    )
                    #expect(reply?.incident.reporter.name == user, "the daemon sees the account logged in as")
                }
                // The restricted account runs the bridge whatever it asks for: no shell, no id.
                let shell = try await runCommand(
                    ssh,
                    ["\(Self.restricted)@127.0.0.1", "id"],
                    input: "",
                    environment: environment
                )
                #expect(!shell.stdout.contains("uid="), "a restricted account has no shell: \(shell)")
                let own = try await runCommand(
                    Binaries.incidentctl,
                    ["--host", "\(Self.reporter)@127.0.0.1", "list", "--json"],
                    environment: environment
                )
                let list = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(own.stdout.utf8))
                #expect(list.incidents.map(\.title) == ["Seen by \(Self.reporter)"], "a reporter sees only their own")
            }
        }
    }

    /// `watch` streams over SSH as over the socket: the event of a report filed afterwards,
    /// through another SSH connection, arrives.
    @Test func watchOverSSHReceivesEvents() async throws {
        try Self.accounts.get()
        try await withDaemon(arguments: ["--socket-group", AccessControlTests.clients]) { daemon, _ in
            try await withSSHServer(daemon: daemon) { _, environment, _ in
                let watch = try await BackgroundCommand(
                    Binaries.incidentctl,
                    ["--host", "\(Self.reporter)@127.0.0.1", "watch"],
                    environment: environment
                )
                defer { watch.stop() }
                #expect(await watch.waitFor(30) { _, stderr in stderr.contains("Watching events") }, "\(watch.stderr)")
                let filed = try await report("Watched over SSH", as: Self.reporter, environment)
                #expect(filed.status == 0, "\(filed)")
                let reference = try VarlinkJSON.decoder().decode(
                    IncidentsWire.ReportReply.self,
                    from: Data(filed.stdout.utf8)
                ).incident.reference.rawValue
                #expect(
                    await watch.waitFor(30) { stdout, _ in stdout.contains(reference) },
                    "watch over SSH shows the new report: \(watch.stdout) \(watch.stderr)"
                )
            }
        }
    }

    /// The SSH connection dies after the daemon has the report but before its answer arrives:
    /// incidentctl says so, sends the report again with the same idempotency key, and one
    /// incident results.
    @Test func aReportWhoseConnectionDropsIsRetriedAndFiledOnce() async throws {
        try Self.accounts.get()
        try await withDaemon(arguments: ["--socket-group", AccessControlTests.clients]) { daemon, database in
            try await withSSHServer(daemon: daemon) { ssh, environment, directory in
                // The first connection swallows the daemon's answer and dies; later ones pass.
                let dropping = directory.appending("dropping-ssh")
                let once = directory.appending("dropped")
                let swallowed = directory.appending("swallowed")
                try """
                #!/bin/sh
                if [ ! -e \(once) ]; then
                    : > \(once)
                    # sh gives a background job /dev/null as its input: pass the pipe as fd 3.
                    exec 3<&0
                    \(ssh) "$@" <&3 > \(swallowed) &
                    n=0
                    while [ ! -s \(swallowed) ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
                    kill $!
                    exit 255
                fi
                exec \(ssh) "$@"
                """.write(toFile: dropping, atomically: true, encoding: .utf8)
                chmod(dropping, 0o755)
                var dropped = environment
                dropped["INCIDENTD_SSH"] = dropping
                let filed = try await report("Filed through a dying connection", as: Self.reporter, dropped)
                #expect(filed.status == 0, "\(filed)")
                #expect(filed.stderr.contains("sending it again"), "the drop is reported: \(filed.stderr)")
                #expect(FileManager.default.fileExists(atPath: once), "the first connection was the dropping one")
                let connection = try database.connect()
                defer { connection.close() }
                let count = try connection.query(
                    "SELECT count(*) AS n FROM incidents WHERE reporter_name = \(Self.reporter)"
                ).first?.decode(Int.self, "n")
                #expect(count == 1, "exactly one incident after the retry")
            }
        }
    }
}
