import Foundation
import IncidentCore
import IncidentStore
import Postgres
import Testing

/// `Stats` on a live database: medians and percentiles from known timings.
@Suite struct StatisticsTests {
    let alice = Caller(uid: 1001, gid: 1001, pid: 42, userName: "alice")

    @Test func timesToAcknowledgeContainAndNotifyAndDeadlinesMet() async throws {
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool)
            var filed: [Int64] = []
            for (title, severity) in [("one", Severity.high), ("two", .high), ("three", .low)] {
                let draft = try ReportDraft(title: title, description: "d", severity: severity).validated(now: Date())
                let reference = try await store.report(draft, by: alice).incident.reference.rawValue
                filed.append(
                    try await pool.withConnection {
                        try $0.query("SELECT id FROM incidents WHERE reference = \(reference)").first!.decode(
                            Int64.self,
                            at: 0
                        )
                    }
                )
            }
            let ids = filed
            let reported = Date().addingTimeInterval(-30 * 86_400)
            let aware = reported.addingTimeInterval(-3600)
            let epoch = aware.timeIntervalSince1970
            try await pool.transaction { connection in
                for id in ids {
                    try connection.query(
                        "UPDATE incidents SET reported_at = \(reported), aware_at = \(aware) WHERE id = \(id)"
                    )
                }
                // One: acknowledged (instant) 30 min after the report, contained 2 h after awareness,
                // the authority told after 24 h, one deadline met.
                let acknowledged = reported.addingTimeInterval(1800).timeIntervalSince1970
                try connection.query(
                    """
                    UPDATE incidents SET playbook_name = 'customer-data-breach',
                        instants = jsonb_build_object('acknowledged', \(acknowledged)::float8, 'contained', \(epoch + 7200)::float8)
                    WHERE id = \(ids[0])
                    """
                )
                // Two: acknowledged by assignment 90 min after the report, contained after 4 h,
                // the authority told after 48 h and the people after 72 h; one deadline missed.
                try connection.query(
                    """
                    UPDATE incidents SET playbook_name = 'customer-data-breach',
                        instants = jsonb_build_object('contained', \(epoch + 14_400)::float8)
                    WHERE id = \(ids[1])
                    """
                )
                try connection.query(
                    "INSERT INTO events (incident_id, kind, at) VALUES (\(ids[1]), 'incident.assigned', \(reported.addingTimeInterval(5400)))"
                )
                for (id, kind, hours) in [
                    (ids[0], "authority", 24.0), (ids[1], "authority", 48.0), (ids[1], "individuals", 72.0),
                ] {
                    try connection.query(
                        """
                        INSERT INTO notifications (incident_id, task, kind, recipient, channel, sent_at, sent_by)
                        VALUES (\(id), 't', \(kind), 'The supervisory authority', 'portal', \(aware.addingTimeInterval(hours * 3600)), 'alice')
                        """
                    )
                }
                try connection.query(
                    """
                    INSERT INTO tasks (incident_id, key, phase, status, due_at, completed_at) VALUES
                        (\(ids[0]), 'a', 'report', 'done', \(reported.addingTimeInterval(3600)), \(reported.addingTimeInterval(1800))),
                        (\(ids[1]), 'a', 'report', 'done', \(reported.addingTimeInterval(3600)), \(reported.addingTimeInterval(7200))),
                        (\(ids[2]), 'a', 'report', 'open', \(reported.addingTimeInterval(3600)), NULL),
                        (\(ids[2]), 'b', 'report', 'open', \(Date().addingTimeInterval(86_400)), NULL),
                        (\(ids[2]), 'c', 'report', 'skipped', \(reported.addingTimeInterval(3600)), NULL)
                    """
                )
            }
            let audit = AuditRecord(caller: alice, action: "Stats")
            let rows = try await store.statistics(
                since: reported.addingTimeInterval(-60),
                until: Date(),
                visibleTo: .all,
                audit: audit
            )
            let all = try #require(rows.first)
            #expect(all.group == .all && all.incidents == 3)
            #expect(all.acknowledge == .init(median: 3600, p90: 5040, count: 2))
            #expect(all.contain == .init(median: 10_800, p90: 13_680, count: 2))
            #expect(all.notifyAuthority.median == 36 * 3600 && all.notifyAuthority.count == 2)
            #expect(all.notifyIndividuals == .init(median: 72 * 3600, p90: 72 * 3600, count: 1))
            #expect(
                all.deadlinesMet == 1 && all.deadlinesMissed == 2,
                "late, and open past due; skipped and not yet due don't count"
            )
            #expect(rows.filter { $0.group == .playbook }.map(\.key) == ["-", "customer-data-breach"])
            #expect(rows.first { $0.group == .playbook && $0.key == "customer-data-breach" }?.incidents == 2)
            #expect(rows.filter { $0.group == .severity }.map { "\($0.key!)=\($0.incidents)" } == ["high=2", "low=1"])

            let before = try await store.statistics(
                since: reported.addingTimeInterval(-86_400),
                until: reported.addingTimeInterval(-60),
                visibleTo: .all,
                audit: audit
            )
            #expect(before.count == 1 && before[0].incidents == 0, "an empty period has one row, of nothing")
            let reporterScope = VisibilityScope(
                everything: false,
                unrestricted: false,
                assignedTo: nil,
                reportedBy: 4242
            )
            let hidden = try await store.statistics(
                since: reported.addingTimeInterval(-60),
                until: Date(),
                visibleTo: reporterScope,
                audit: audit
            )
            #expect(hidden.first?.incidents == 0, "only what the caller may see")
        }
    }
}
