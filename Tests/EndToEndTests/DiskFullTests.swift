import Foundation
import Glibc
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// A disk fills while clients file (docs/operations.md, "A full disk"). PostgreSQL's data
/// directory is on a small tmpfs of its own; a filler file takes its last byte.
@Suite(.enabled(if: getuid() == 0, "mounts small tmpfs file systems; CI runs it as root"))
struct DiskFullTests {
    /// A tmpfs of `megabytes` at `path`, owned by `owner` (the user that writes to it).
    struct SmallDisk {
        let path: String

        init(at path: String, megabytes: Int, owner: String?) async throws {
            self.path = path
            mkdir(path, 0o700)
            var options = "size=\(megabytes)m,mode=0700"
            if let owner, let user = getpwnam(owner) {
                options += ",uid=\(user.pointee.pw_uid),gid=\(user.pointee.pw_gid)"
            }
            let mounted = try await runCommand("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path])
            guard mounted.status == 0 else { throw TestSetupError("cannot mount a tmpfs at \(path): \(mounted)") }
        }

        var filler: String { path + "/filler" }

        /// Writes a file that takes every byte left; returns how many it took.
        @discardableResult
        func fill() -> Int {
            let fd = open(filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            defer { close(fd) }
            let chunk = [UInt8](repeating: 0x5A, count: 64 * 1024)
            var total = 0
            while true {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                total += written
            }
            return total
        }

        func free() { unlink(filler) }

        func unmount() { _ = try? runCommandBlocking("/bin/umount", ["--lazy", path]) }
    }

    /// A server of its own whose data directory is on a small tmpfs (its WAL there too, or on
    /// the ordinary disk with `walElsewhere`), a daemon on it, and 8 clients filing reports
    /// with sealed descriptions of 2 KiB (they do not compress: the disk fills in seconds).
    /// After `body`, the clients stop, and every acknowledged report must be stored exactly
    /// once and the audit chain verify.
    func withFilingOnASmallDisk(
        _ name: String,
        megabytes: Int,
        walElsewhere: Bool,
        _ body: (PrivateServers, SmallDisk, String, DaemonProcess, FilingClients) async throws -> Void
    ) async throws {
        let servers = try PrivateServers(prefix: name, directories: ["s"])
        let disk = try await SmallDisk(
            at: servers.work.appending("disk"),
            megabytes: megabytes,
            owner: getuid() == 0 ? "postgres" : nil
        )
        let data = disk.path + "/data"
        defer {
            servers.kill(data)
            disk.unmount()
            servers.work.remove()
        }
        let wal = walElsewhere ? ["--waldir", servers.work.appending("wal")] : []
        try await servers.run(
            "initdb",
            ["--pgdata", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"] + wal
        )
        let socket = servers.work.appending("s")
        try await servers.start(data, socket: socket)
        _ = try servers.sql(socket, "CREATE DATABASE \(name)")
        let database = TestDatabase(name: name, host: "\(socket) user=postgres")
        let daemon = try await DaemonProcess(database: database)
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady()
        let clients = FilingClients(
            (0..<8).map {
                FilingClient(
                    index: $0,
                    socket: daemon.socketPath,
                    prefix: name,
                    retryable: [.storageFull, .databaseUnavailable],
                    description: String(repeating: "what leaked, and how; ", count: 100)
                )
            },
            patience: 240
        )
        #expect(try await clients.waitFor(40), "\(clients.failures)")
        do {
            try await body(servers, disk, data, daemon, clients)
        } catch {
            try? await clients.stop()
            throw error
        }
        try await clients.stop()
        #expect(clients.failures.isEmpty, "\(clients.failures)")
        let acknowledged = clients.acknowledged
        let stored = try servers.sql(
            socket,
            "SELECT idempotency_key, reference FROM incidents WHERE idempotency_key LIKE '\(name)-%'",
            database: name
        ).map { (try $0.decode(String.self, "idempotency_key"), try $0.decode(String.self, "reference")) }
        #expect(stored.count == acknowledged.count, "every acknowledged report exists exactly once")
        for (key, reference) in stored { #expect(acknowledged[key] == reference, "\(key)") }
        let verified = try await daemon.ctl(["audit", "verify"])
        #expect(verified.status == 0, "\(verified)")
    }

    /// With its WAL on another disk, PostgreSQL stays up when its data disk fills: writes fail
    /// with SQLSTATE 53100, which incidentd names StorageFull (retryable), reads whose audit
    /// record still fits are served, and filing resumes by itself once space is freed.
    @Test(.timeLimit(.minutes(5)))
    func aFullDataDiskRefusesWritesByNameAndFilingResumesOnceSpaceIsFreed() async throws {
        try await withFilingOnASmallDisk("full_data", megabytes: 64, walElsewhere: true) {
            _,
            disk,
            _,
            daemon,
            clients in
            let taken = disk.fill()
            let refusedByName = await HookTests().waitFor(60) {
                (clients.errors[WireError.Name.storageFull.rawValue] ?? 0) >= 8
            }
            #expect(refusedByName, "writes are refused as StorageFull: \(clients.errors) \(clients.failures)")
            let acknowledgedWhileFull = clients.count

            // While the disk is full: a read is served while its audit record still fits, and
            // is refused by the same name when not even that does — never shown without it.
            let reference = try #require(clients.acknowledged.values.sorted().first)
            let shown = try await daemon.ctl(["show", reference])
            #expect(
                shown.status == 0 || shown.stderr.contains("run out of disk space"),
                "a read is served or refused by name: \(shown)"
            )
            #expect(daemon.log.contains("disk is full"), "the log says why writes fail")

            disk.free()
            let freed = Date()
            #expect(
                try await clients.waitFor(acknowledgedWhileFull + 40),
                "filing resumes: \(clients.failures)"
            )
            let resumed = clients.acknowledgedAt.first { $0 > freed }
            let recovery = resumed.map { String(format: "%.2f", $0.timeIntervalSince(freed)) } ?? "?"
            print(
                "full disk: \(taken / 1_048_576) MiB filler; "
                    + "\(clients.errors[WireError.Name.storageFull.rawValue] ?? 0) calls refused as StorageFull; "
                    + "the read while full: \(shown.status == 0 ? "served" : "refused"); "
                    + "first report acknowledged \(recovery) s after space was freed"
            )
        }
    }

    /// With its WAL on the full disk too, PostgreSQL stops (a WAL write that fails is a PANIC,
    /// and recovery cannot write either). incidentd answers DatabaseUnavailable meanwhile; once
    /// space is freed and PostgreSQL started again, as its supervisor does, filing resumes
    /// without restarting the daemon.
    @Test(.timeLimit(.minutes(5)))
    func aFullDiskUnderTheWALStopsPostgreSQLAndTheDaemonWaitsForIt() async throws {
        try await withFilingOnASmallDisk("full_wal", megabytes: 96, walElsewhere: false) {
            servers,
            disk,
            data,
            _,
            clients in
            let socket = servers.work.appending("s")
            disk.fill()
            // Writes fail first where the data files must grow (StorageFull); PostgreSQL stops
            // at the first WAL segment it cannot create. Segment switches hasten that.
            let down = await HookTests().waitFor(90) {
                _ = try? servers.sql(socket, "SELECT pg_switch_wal()")
                return (try? servers.sql(socket, "SELECT 1")) == nil
            }
            #expect(down, "PostgreSQL stopped on the full WAL disk: \(clients.errors)")
            let unavailable = await HookTests().waitFor(60) {
                (clients.errors[WireError.Name.databaseUnavailable.rawValue] ?? 0) >= 8
            }
            #expect(unavailable, "calls are refused as DatabaseUnavailable while it is down: \(clients.errors)")
            servers.kill(data)
            let acknowledgedWhileDown = clients.count

            disk.free()
            let restarted = Date()
            try await servers.start(data, socket: socket)
            #expect(
                try await clients.waitFor(acknowledgedWhileDown + 40),
                "filing resumes: \(clients.failures)"
            )
            let resumed = clients.acknowledgedAt.first { $0 > restarted }
            print(
                "full WAL disk: calls refused \(clients.errors); first report acknowledged "
                    + "\(resumed.map { String(format: "%.2f", $0.timeIntervalSince(restarted)) } ?? "?") s after "
                    + "PostgreSQL was started on the freed disk"
            )
        }
    }

    /// The daemon's own state directory full: a first start cannot write its keys there and
    /// says so; a running daemon that cannot keep the signed head there logs it and
    /// keeps serving (the head is in the database too).
    @Test func aFullStateDirectoryIsSaidClearly() async throws {
        try await withTestDatabase { database in
            let work = try TemporaryDirectory(prefix: "statefull")
            let disk = try await SmallDisk(at: work.appending("state"), megabytes: 1, owner: nil)
            defer {
                disk.unmount()
                work.remove()
            }
            disk.fill()
            let refused = try await DaemonProcess(database: database, arguments: ["--state-dir", disk.path])
            defer { refused.cleanUp() }
            let failure = await #expect(throws: TestSetupError.self) { try await refused.waitUntilReady() }
            #expect(
                failure?.message.contains("cannot write \(disk.path)/") == true
                    && failure?.message.contains("No space left on device") == true,
                "\(refused.log)"
            )

            disk.free()
            let daemon = try await DaemonProcess(database: database, arguments: ["--state-dir", disk.path])
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            #expect(try await daemon.ctl(["report", "--title", "t", "--description", "d"]).status == 0)
            disk.fill()
            let checkpoint = try await daemon.ctl(["audit", "checkpoint"])
            #expect(checkpoint.status == 0, "the checkpoint is in the database: \(checkpoint)")
            #expect(daemon.log.contains("cannot keep the signed audit head in the state directory"), "\(daemon.log)")
            #expect(try await daemon.ctl(["report", "--title", "t2", "--description", "d"]).status == 0)
            disk.free()
            #expect(try await daemon.ctl(["audit", "verify"]).status == 0)
        }
    }
}
