import Foundation
import IncidentCore
import IncidentProtocol
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

    @Test func staffReportOverSSHAsTheirOwnAccountAndARestrictedOneGetsNoShell() async throws {
        try Self.accounts.get()
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
            throw TestSetupError("this test needs OpenSSH's server: apt-get install openssh-server (make test does)")
        }
        let directory = try TemporaryDirectory(prefix: "issh")
        defer { directory.remove() }
        chmod(directory.path, 0o755)
        try await withDaemon(arguments: ["--socket-group", AccessControlTests.clients]) { daemon, _ in
            // Keys: the server's, and one client key both accounts accept.
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
            let port = 20_000 + Int(getpid() % 20_000)
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
            exec /usr/bin/ssh -p \(port) -i \(directory.appending("client")) -o BatchMode=yes \
                -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$@"
            """.write(toFile: ssh, atomically: true, encoding: .utf8)
            chmod(ssh, 0o755)
            let environment = [
                "INCIDENTD_SSH": ssh, "PATH": "/usr/bin:/bin", "HOME": directory.path,
                "XDG_STATE_HOME": directory.appending("state"),
            ]
            for user in [Self.reporter, Self.restricted] {
                let filed = try await runCommand(
                    Binaries.incidentctl,
                    [
                        "--host", "\(user)@127.0.0.1", "report", "--title", "Seen by \(user)", "--description", "d",
                        "--json",
                    ],
                    environment: environment
                )
                #expect(filed.status == 0, "\(user): \(filed)\n\(sshd.stderr.suffix(1500))")
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
