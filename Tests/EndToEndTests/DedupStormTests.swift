import Foundation
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// Automated reporters don't flood the team: a storm of identical reports is one incident.
@Suite struct DedupStormTests {
    @Test(.timeLimit(.minutes(10)))
    func tenThousandIdenticalAutomatedReportsMakeOneIncidentAndOneNotification() async throws {
        let setup = try HookTests.Setup(
            hooks: """
                  - name: pager
                    exec: [/bin/true]
                    events: [incident.reported, report.folded]
                """,
            extra: "hookCoalesceSeconds: 3600"
        )
        defer { setup.directory.remove() }
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            let clients = 8
            let reportsPerClient = 1250
            let started = Date()
            let references = try await withThrowingTaskGroup(of: Set<String>.self) { group in
                for client in 0..<clients {
                    let socket = daemon.socketPath
                    group.addTask {
                        try await onThread {
                            let connection = try VarlinkClient(path: socket)
                            var seen = Set<String>()
                            for call in 0..<reportsPerClient {
                                let reply = try connection.call(
                                    VarlinkCall(
                                        method: Methods.Incidents.report.name,
                                        parameters: [
                                            "title": .string("DLP rule 42: card numbers in outbound mail"),
                                            "description": .string("Matched on mx1"), "severity": .string("high"),
                                            "peopleAffected": .integer(Int64(call + 1)),
                                            "idempotencyKey": .string("storm-\(client)-\(call)"),
                                            "dedupKey": .string("dlp-42/mx1"),
                                        ]
                                    )
                                )
                                if let error = reply.error {
                                    throw VarlinkError(name: error, parameters: reply.parameters)
                                }
                                if case .object(let incident)? = reply.parameters["incident"],
                                    let reference = incident["reference"]?.stringValue
                                {
                                    seen.insert(reference)
                                }
                            }
                            return seen
                        }
                    }
                }
                return try await group.reduce(into: Set<String>()) { $0.formUnion($1) }
            }
            let seconds = Date().timeIntervalSince(started)
            print(
                "dedup storm: \(clients * reportsPerClient) reports in \(String(format: "%.1f", seconds)) s "
                    + "(\(Int(Double(clients * reportsPerClient) / seconds))/s)"
            )
            #expect(references.count == 1, "every reply names the same incident: \(references)")
            let reference = try #require(references.first)

            let connection = try database.connect()
            defer { connection.close() }
            func count(_ sql: String) throws -> Int {
                try connection.query(PostgresQuery(unsafeSQL: sql)).first!.decode(Int.self, at: 0)
            }
            #expect(try count("SELECT count(*) FROM incidents") == 1)
            #expect(try count("SELECT report_count FROM incidents") == clients * reportsPerClient)
            #expect(
                try count("SELECT count(*) FROM events WHERE kind = 'report.folded'") == clients * reportsPerClient - 1
            )
            #expect(
                try count("SELECT count(*) FROM hook_deliveries WHERE event = 'incident.reported'") == 1,
                "one notification"
            )
            // 9,999 folds page the hook at most twice in the window (an hour here, however slow the
            // machine): the first, and one held back
            // that carries the latest count.
            let folded = try count("SELECT count(*) FROM hook_deliveries WHERE event = 'report.folded'")
            #expect((1...2).contains(folded), "folds coalesced into \(folded) deliveries")
            if folded == 2 {
                // The waiting one is held back a window past the first; created_at is when each
                // transaction began, and a fold that waited long on the incident's lock began early.
                #expect(
                    try count(
                        "SELECT (payload->'data'->>'count')::int FROM hook_deliveries WHERE event = 'report.folded' ORDER BY next_attempt_at DESC LIMIT 1"
                    ) == clients * reportsPerClient,
                    "the waiting one carries the latest count"
                )
            }
            #expect(
                try count("SELECT count(*) FROM audit_log WHERE action = 'Report' AND outcome = 'folded'") == clients
                    * reportsPerClient - 1
            )

            // A retry of a folded report is answered, not counted again.
            let retry = try await daemon.ctl([
                "report", "--title", "DLP rule 42", "--description", "again", "--idempotency-key", "storm-3-7",
                "--dedup-key", "dlp-42/mx1",
            ])
            #expect(
                retry.status == 0 && retry.stdout.contains("Folded into the open incident \(reference)"),
                "\(retry)"
            )
            #expect(try count("SELECT report_count FROM incidents") == clients * reportsPerClient)

            let show = try await daemon.ctl(["show", reference])
            #expect(show.stdout.contains("10,000 with dedup key dlp-42/mx1"), "\(show)")
            #expect(show.stdout.contains("Latest events (10 of ") && show.stdout.contains("report.folded"), "\(show)")

            // Once it is closed, the key files a new incident.
            let connectionForClose = try database.connect()
            defer { connectionForClose.close() }
            _ = try connectionForClose.execute("UPDATE incidents SET phase = 'closed', closed_at = now()")
            let fresh = try await daemon.ctl([
                "report", "--title", "DLP rule 42", "--description", "later", "--dedup-key", "dlp-42/mx1",
            ])
            #expect(fresh.status == 0 && fresh.stdout.contains("Reported INC-"), "\(fresh)")
            #expect(try count("SELECT count(*) FROM incidents") == 2)
        }
    }
}
