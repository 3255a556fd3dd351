import Foundation
import TestSupport
import Testing

/// What incidentd acknowledges is durable on the server it wrote to; it survives that
/// server's loss only with a synchronous standby. `synchronousStandby` makes the daemon check
/// at start (docs/operations.md).
@Suite struct ReplicationTests {
    @Test func aMissingSynchronousStandbyIsRefusedOrWarnedAbout() async throws {
        let directory = try TemporaryDirectory(prefix: "sync")
        defer { directory.remove() }
        try await withTestDatabase { database in
            let require = directory.appending("require.yaml")
            try "synchronousStandby: require\n".write(toFile: require, atomically: true, encoding: .utf8)
            let refused = try await DaemonProcess(database: database, arguments: ["--config", require])
            defer { refused.cleanUp() }
            let failure = await #expect(throws: TestSetupError.self) { try await refused.waitUntilReady() }
            #expect(
                failure?.message.contains(
                    "synchronousStandby is require, but the database server names no synchronous standby"
                )
                    == true,
                "\(refused.log)"
            )

            let warn = directory.appending("warn.yaml")
            try "synchronousStandby: warn\n".write(toFile: warn, atomically: true, encoding: .utf8)
            let warned = try await DaemonProcess(database: database, arguments: ["--config", warn])
            defer { warned.cleanUp() }
            try await warned.waitUntilReady()
            #expect(warned.log.contains("names no synchronous standby"), "\(warned.log)")
            #expect(try await warned.ctl(["report", "--title", "t", "--description", "d"]).status == 0)

            let bad = directory.appending("bad.yaml")
            try "synchronousStandby: yes\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let check = try await runCommand(Binaries.incidentd, ["--check-config", "--config", bad])
            #expect(
                check.status == 78 && check.stderr.contains("synchronousStandby must be off, warn or require"),
                "\(check)"
            )
        }
    }
}
