import Foundation
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// Several daemons on one database keep one unbroken chain that contains every call.
@Suite struct AuditChainEndToEndTests {
    @Test(.timeLimit(.minutes(10)))
    func twoDaemonsEightClientsOneChain() async throws {
        try await withTestDatabase { database in
            let first = try await DaemonProcess(database: database)
            defer { first.cleanUp() }
            try await first.waitUntilReady()
            let second = try await DaemonProcess(database: database)
            defer { second.cleanUp() }
            try await second.waitUntilReady()

            // 2,000 calls. Most of this test's time is spent decoding Status replies here, in the
            // test process: JSONValue's decoder tries each JSON type in turn and swift-testing
            // captures a backtrace for every error thrown (seen in gdb), so 4,000 calls took 580 to
            // 640 s beside the other suites, at the 10-minute limit.
            let clients = 8
            let callsPerClient = 250
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<clients {
                    let socket = client.isMultiple(of: 2) ? first.socketPath : second.socketPath
                    group.addTask {
                        try await onThread {
                            let connection = try VarlinkClient(path: socket)
                            for call in 0..<callsPerClient {
                                let reply: VarlinkReply
                                if call.isMultiple(of: 5) {
                                    reply = try connection.call(
                                        VarlinkCall(
                                            method: Methods.Incidents.report.name,
                                            parameters: [
                                                "title": .string("c\(client)-\(call)"), "description": .string("load"),
                                            ]
                                        )
                                    )
                                } else {
                                    reply = try connection.call(VarlinkCall(method: Methods.Incidents.status.name))
                                }
                                if let error = reply.error {
                                    throw VarlinkError(name: error, parameters: reply.parameters)
                                }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }

            let verify = try VarlinkClient(path: first.socketPath).call(VarlinkCall(method: Methods.Audit.verify.name))
            #expect(verify.error == nil, "\(verify)")
            #expect(verify.parameters["broken"] == nil, "\(verify)")
            let verified = try #require(verify.parameters["verified"]?.integerValue)
            #expect(verified >= Int64(clients * callsPerClient), "every call is in the chain")

            let connection = try database.connect()
            defer { connection.close() }
            let calls = try connection.query(
                "SELECT count(*) AS n FROM audit_log WHERE action IN ('Report', 'Status')"
            ).first!.decode(Int.self, "n")
            #expect(calls == clients * callsPerClient)
            let duplicates = try connection.query(
                "SELECT count(*) AS n FROM (SELECT seq FROM audit_seal GROUP BY seq HAVING count(*) > 1) d"
            ).first!.decode(Int.self, "n")
            #expect(duplicates == 0)
        }
    }

    @Test func auditVerifyNamesTheFirstBrokenRecordAndFails() async throws {
        try await withDaemon { daemon, database in
            for index in 0..<5 {
                #expect(try await daemon.ctl(["report", "--title", "r\(index)", "--description", "d"]).status == 0)
            }
            let intact = try await daemon.ctl(["audit", "verify"])
            #expect(intact.status == 0, "\(intact)")
            // The database superuser, bypassing the guards, rewrites one record's outcome.
            let connection = try database.connect()
            defer { connection.close() }
            try connection.execute(
                "SET session_replication_role = replica; UPDATE audit_log SET outcome = 'denied' WHERE seq = 3"
            )
            let broken = try await daemon.ctl(["audit", "verify"])
            #expect(broken.status == 1, "\(broken)")
            #expect(broken.stdout.contains("First broken record: seq 3"), "\(broken)")
            let json = try await daemon.ctl(["audit", "verify", "--json"])
            #expect(json.stdout.contains("\"seq\" : 3"), "\(json)")
        }
    }
}
