import Foundation
import IncidentCore
import IncidentStore
import Logging
import Postgres
import TestSupport
import Testing

@Suite struct IncidentStoreTests {
    let alice = Caller(uid: 1001, gid: 1001, pid: 42, userName: "alice")
    let bob = Caller(uid: 1002, gid: 1002, pid: 43, userName: "bob")

    func withStore<R>(_ body: (IncidentStore, PostgresPool) async throws -> R) async throws -> R {
        try await withMigratedPool { pool, _ in try await body(IncidentStore(pool: pool), pool) }
    }

    func draft(
        _ title: String = "Laptop stolen",
        key: String? = nil,
        severity: Severity = .untriaged
    ) throws -> ReportDraft {
        try ReportDraft(
            title: title,
            description: "Unencrypted laptop stolen from a car",
            severity: severity,
            dataCategories: [.identity, .contact],
            peopleAffected: 1200,
            jurisdictions: [.eu],
            idempotencyKey: key
        ).validated(now: Date())
    }

    func count(_ pool: PostgresPool, _ sql: String) async throws -> Int {
        try await pool.withConnection { try $0.query(PostgresQuery(unsafeSQL: sql)).first!.decode(Int.self, at: 0) }
    }

    @Test func reportStoresTheIncidentItsEventAndItsAudit() async throws {
        try await withStore { store, pool in
            let result = try await store.report(try draft(), by: alice)
            #expect(result.created)
            let incident = result.incident
            #expect(
                incident.reference.rawValue.hasPrefix(
                    "INC-\(Calendar(identifier: .gregorian).component(.year, from: Date()))-"
                )
            )
            #expect(incident.phase == .report)
            #expect(incident.reporter == .init(uid: 1001, name: "alice"))
            #expect(incident.dataCategories == [.identity, .contact])
            #expect(incident.jurisdictions == [.eu])
            #expect(incident.peopleAffected == 1200)
            #expect(incident.version == 1)
            #expect(try await count(pool, "SELECT count(*) FROM events WHERE kind = 'incident.reported'") == 1)
            let audit = try await pool.withConnection { connection in
                try connection.query("SELECT uid, user_name, pid, action, incident_ref, outcome FROM audit_log").first!
            }
            #expect(try audit.decode(Int.self, "uid") == 1001)
            #expect(try audit.decode(String.self, "user_name") == "alice")
            #expect(try audit.decode(Int.self, "pid") == 42)
            #expect(try audit.decode(String.self, "action") == "Report")
            #expect(try audit.decode(String.self, "incident_ref") == incident.reference.rawValue)
            #expect(try audit.decode(String.self, "outcome") == "created")
        }
    }

    @Test func theSameIdempotencyKeyNeverFilesTwice() async throws {
        try await withStore { store, pool in
            let first = try await store.report(try draft(key: "k-1"), by: alice)
            let again = try await store.report(try draft("Different title", key: "k-1"), by: alice)
            #expect(!again.created)
            #expect(again.incident == first.incident)
            // The key belongs to its reporter: bob's k-1 is a different report.
            let bobs = try await store.report(try draft(key: "k-1"), by: bob)
            #expect(bobs.created)
            #expect(try await count(pool, "SELECT count(*) FROM incidents") == 2)
            #expect(try await count(pool, "SELECT count(*) FROM audit_log WHERE outcome = 'duplicate'") == 1)
        }
    }

    @Test func concurrentRetriesWithOneKeyFileOneIncident() async throws {
        try await withStore { store, pool in
            let references = try await withThrowingTaskGroup(of: IncidentReference.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await store.report(try draft(key: "storm"), by: alice).incident.reference }
                }
                return try await group.reduce(into: Set<IncidentReference>()) { $0.insert($1) }
            }
            #expect(references.count == 1)
            #expect(try await count(pool, "SELECT count(*) FROM incidents") == 1)
        }
    }

    @Test func getReturnsTheIncidentOrNilAndAuditsBoth() async throws {
        try await withStore { store, pool in
            let filed = try await store.report(try draft(), by: alice).incident
            let read = try await store.incident(
                filed.reference,
                audit: AuditRecord(caller: bob, action: "Get"),
                access: .full
            )
            #expect(read?.0 == filed)
            let missing = IncidentReference(year: 2026, number: 999_999)
            #expect(
                try await store.incident(missing, audit: AuditRecord(caller: bob, action: "Get"), access: .full)
                    == nil
            )
            // Bob, a reporter, may not read what Alice filed; the store says why and audits it.
            let reporter = ReadAccess(Principal(caller: bob, roles: [.reporter]))
            guard case .deny(let reason) = reporter.decide(filed) else {
                Issue.record("a reporter reads only what they filed")
                return
            }
            let denied = try await store.incident(
                filed.reference,
                audit: AuditRecord(caller: bob, action: "Get"),
                access: reporter
            )
            #expect(denied?.1 == .deny(reason: reason))
            #expect(
                try await count(pool, "SELECT count(*) FROM audit_log WHERE action = 'Get' AND outcome = 'ok'") == 1
            )
            #expect(
                try await count(pool, "SELECT count(*) FROM audit_log WHERE action = 'Get' AND outcome = 'not-found'")
                    == 1
            )
            #expect(
                try await count(
                    pool,
                    "SELECT count(*) FROM audit_log WHERE action = 'Get' AND outcome = 'denied' AND detail = '\(reason)'"
                ) == 1
            )
        }
    }

    @Test func listIsNewestFirstFilteredAndPaged() async throws {
        try await withStore { store, pool in
            var filed: [IncidentReference] = []
            for index in 0..<7 {
                let severity: Severity = index.isMultiple(of: 2) ? .high : .low
                filed.append(
                    try await store.report(try draft("Incident \(index)", severity: severity), by: alice).incident
                        .reference
                )
            }
            try await pool.transaction {
                try $0.execute("UPDATE incidents SET phase = 'closed' WHERE title = 'Incident 6'")
            }
            let audit = AuditRecord(caller: alice, action: "List")
            let all = try await store.list(IncidentFilter(limit: 100), visibleTo: .all, audit: audit)
            #expect(all.map(\.reference) == filed.reversed())

            let firstPage = try await store.list(IncidentFilter(limit: 3), visibleTo: .all, audit: audit)
            let secondPage = try await store.list(
                IncidentFilter(limit: 3, after: firstPage.last!.reference),
                visibleTo: .all,
                audit: audit
            )
            #expect((firstPage + secondPage).map(\.reference) == Array(filed.reversed().prefix(6)))

            let high = try await store.list(
                IncidentFilter(severities: [.high], limit: 100),
                visibleTo: .all,
                audit: audit
            )
            #expect(high.count == 4)
            let open = try await store.list(IncidentFilter(openOnly: true, limit: 100), visibleTo: .all, audit: audit)
            #expect(open.count == 6)
            let closed = try await store.list(
                IncidentFilter(phases: [.closed], limit: 100),
                visibleTo: .all,
                audit: audit
            )
            #expect(closed.map(\.title) == ["Incident 6"])
            let future = try await store.list(
                IncidentFilter(since: Date().addingTimeInterval(3600), limit: 100),
                visibleTo: .all,
                audit: audit
            )
            #expect(future.isEmpty)
        }
    }

    @Test func listFiltersByAssigneePlaybookJurisdictionTextAndOverdueAndSorts() async throws {
        try await withStore { store, pool in
            var filed: [String: IncidentReference] = [:]
            for (title, severity) in [
                ("Payroll export_v2 leaked", Severity.low), ("CRM 100% exposed", .critical), ("Lost phone", .medium),
            ] {
                filed[title] = try await store.report(try draft(title, severity: severity), by: alice).incident
                    .reference
            }
            let crm = filed["CRM 100% exposed"]!.rawValue
            let phone = filed["Lost phone"]!.rawValue
            try await pool.transaction { connection in
                try connection.query(
                    "UPDATE incidents SET assignee = 'mia', jurisdictions = '{DE,EU}', playbook_name = 'vendor' WHERE reference = \(crm)"
                )
                let id = try connection.query("SELECT id FROM incidents WHERE reference = \(phone)").first!.decode(
                    Int64.self,
                    at: 0
                )
                try connection.query(
                    "INSERT INTO tasks (incident_id, key, phase, status, due_at) VALUES (\(id), 'contain', 'report', 'open', now() - interval '1 hour')"
                )
            }
            let audit = AuditRecord(caller: alice, action: "List")
            func titles(_ filter: IncidentFilter) async throws -> [String] {
                try await store.list(filter, visibleTo: .all, audit: audit).map(\.title)
            }
            #expect(try await titles(IncidentFilter(assignee: "mia")) == ["CRM 100% exposed"])
            #expect(try await titles(IncidentFilter(playbook: "vendor")) == ["CRM 100% exposed"])
            #expect(
                try await titles(IncidentFilter(jurisdiction: Jurisdiction(rawValue: "de"))) == ["CRM 100% exposed"]
            )
            #expect(try await titles(IncidentFilter(text: "PAYROLL")) == ["Payroll export_v2 leaked"])
            #expect(try await titles(IncidentFilter(text: "100%")) == ["CRM 100% exposed"], "% is matched literally")
            #expect(
                try await titles(IncidentFilter(text: "e_p")).isEmpty,
                "_ is matched literally, not as any character"
            )
            #expect(try await titles(IncidentFilter(overdue: true)) == ["Lost phone"])
            #expect(
                try await titles(IncidentFilter(sort: .oldest)) == [
                    "Payroll export_v2 leaked", "CRM 100% exposed", "Lost phone",
                ]
            )
            #expect(
                try await titles(IncidentFilter(sort: .severity)) == [
                    "CRM 100% exposed", "Lost phone", "Payroll export_v2 leaked",
                ]
            )
            let first = try await store.list(IncidentFilter(sort: .severity, limit: 2), visibleTo: .all, audit: audit)
            let rest = try await titles(IncidentFilter(sort: .severity, limit: 2, after: first.last!.reference))
            #expect(rest == ["Payroll export_v2 leaked"], "paging follows the sort")
            let oldestFirst = try await store.list(
                IncidentFilter(sort: .oldest, limit: 1),
                visibleTo: .all,
                audit: audit
            )
            #expect(
                try await titles(IncidentFilter(sort: .oldest, limit: 5, after: oldestFirst[0].reference)) == [
                    "CRM 100% exposed", "Lost phone",
                ]
            )
        }
    }

    @Test func statusCountsOpenIncidentsByPhaseAndSeverity() async throws {
        try await withStore { store, pool in
            let audit = AuditRecord(caller: alice, action: "Status")
            let empty = try await store.status(visibleTo: .all, audit: audit)
            #expect(empty.openTotal == 0)
            #expect(empty.oldestOpen == nil)
            let first = try await store.report(try draft("first", severity: .critical), by: alice).incident
            _ = try await store.report(try draft("second", severity: .critical), by: alice)
            _ = try await store.report(try draft("third", severity: .low), by: bob)
            try await pool.transaction { try $0.execute("UPDATE incidents SET phase = 'closed' WHERE title = 'third'") }
            let status = try await store.status(visibleTo: .all, audit: audit)
            #expect(status.openTotal == 2)
            #expect(status.openByPhase == [.report: 2])
            #expect(status.openBySeverity == [.critical: 2])
            #expect(status.oldestOpen?.reference == first.reference)
        }
    }

    /// Status reads trigger-kept counts; they must equal counting the rows, through reports,
    /// triage, restriction, closing and reopening, with folds in between and beside writers.
    @Test func statusCountsStayExactThroughChangesAndFolds() async throws {
        try await withStore { store, pool in
            let audit = AuditRecord(caller: alice, action: "Status")
            func counted() async throws -> (phases: [Phase: Int], severities: [Severity: Int]) {
                try await pool.withConnection { connection in
                    var phases: [Phase: Int] = [:]
                    var severities: [Severity: Int] = [:]
                    for row in try connection.query(
                        "SELECT phase, severity, count(*)::bigint AS n FROM incidents WHERE phase <> 'closed' GROUP BY 1, 2"
                    ) {
                        let n = try row.decode(Int.self, "n")
                        phases[Phase(rawValue: try row.decode(String.self, "phase"))!, default: 0] += n
                        severities[Severity(rawValue: try row.decode(String.self, "severity"))!, default: 0] += n
                    }
                    return (phases, severities)
                }
            }
            func check(_ moment: String) async throws {
                let status = try await store.status(visibleTo: .all, audit: audit)
                let truth = try await counted()
                #expect(status.openByPhase == truth.phases, "\(moment)")
                #expect(status.openBySeverity == truth.severities, "\(moment)")
            }
            // Writers and folds at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<25 {
                            _ = try await store.report(
                                try draft(
                                    "w\(writer)-\(index)",
                                    severity: Severity.allCases[index % Severity.allCases.count]
                                ),
                                by: alice
                            )
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<20 {
                        try await store.foldOpenCounts()
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                try await group.waitForAll()
            }
            try await check("after concurrent reports and folds")
            let changes = [
                "UPDATE incidents SET severity = 'high' WHERE id % 3 = 0",
                "UPDATE incidents SET restricted = true WHERE id % 4 = 0",
                "UPDATE incidents SET phase = 'investigate' WHERE id % 5 = 0",
                "UPDATE incidents SET phase = 'closed', closed_at = now() WHERE id % 2 = 0",
                "UPDATE incidents SET title = title || '!'",  // no counted column changes
                "UPDATE incidents SET phase = 'notify', closed_at = NULL WHERE id % 4 = 0",  // reopened
                "UPDATE incidents SET severity = severity",
            ]
            for (index, change) in changes.enumerated() {
                try await pool.transaction { try $0.execute(change) }
                try await check("after \(change)")
                if index.isMultiple(of: 2) {
                    try await store.foldOpenCounts()
                    try await check("after folding, following \(change)")
                }
            }
            try await store.foldOpenCounts()
            let rows = try await count(pool, "SELECT count(*) FROM open_incident_counts")
            #expect(
                rows <= Phase.allCases.count * Severity.allCases.count * 2,
                "folded to one row per phase, severity and restriction"
            )
            // A bulk load adds a delta row per (phase, severity, restricted), not one per incident.
            try await pool.transaction {
                try $0.execute(
                    """
                    INSERT INTO incidents (reference, title, description, reporter_uid, reporter_name, aware_at, phase, severity)
                    SELECT 'INC-1999-' || lpad(g::text, 6, '0'), 'bulk', 'd', 0, 'bulk', now(),
                           (ARRAY['report', 'investigate', 'closed'])[1 + g % 3], (ARRAY['low', 'high'])[1 + g % 2]
                    FROM generate_series(1, 600) g
                    """
                )
            }
            try await check("after a bulk load")
            #expect(try await count(pool, "SELECT count(*) FROM open_incident_counts") <= rows + 4)
        }
    }

    @Test func databaseConstraintsBackTheDomainRules() async throws {
        try await withStore { _, pool in
            await #expect(throws: PostgresError.self) {
                try await pool.transaction { connection in
                    try connection.execute(
                        """
                        INSERT INTO incidents (reference, title, description, severity, reporter_uid, reporter_name, aware_at)
                        VALUES ('INC-2026-000001', 't', 'd', 'apocalyptic', 1, 'x', now())
                        """
                    )
                }
            }
        }
    }
}

@Suite struct VisibilityAndChangeTests {
    let alice = Caller(uid: 1001, gid: 1001, pid: 42, userName: "alice")
    let bob = Caller(uid: 1002, gid: 1002, pid: 43, userName: "bob")

    func withStore<R>(_ body: (IncidentStore, PostgresPool) async throws -> R) async throws -> R {
        try await withMigratedPool { pool, _ in try await body(IncidentStore(pool: pool), pool) }
    }

    func file(_ store: IncidentStore, _ title: String, by caller: Caller) async throws -> Incident {
        try await store.report(try ReportDraft(title: title, description: "d").validated(now: Date()), by: caller)
            .incident
    }

    @Test func theSQLScopeMatchesThePolicy() async throws {
        try await withStore { store, _ in
            let alicesOpen = try await file(store, "alice open", by: alice)
            let alicesRestricted = try await file(store, "alice restricted", by: alice)
            let bobsAssignedToAlice = try await file(store, "bob assigned to alice", by: bob)
            let bobsRestricted = try await file(store, "bob restricted", by: bob)
            let audit = AuditRecord(caller: alice, action: "Change")
            for (reference, assignee, restricted) in [
                (alicesRestricted.reference, "carol", true),
                (bobsAssignedToAlice.reference, "alice", true),
                (bobsRestricted.reference, nil, true),
            ] as [(IncidentReference, String?, Bool)] {
                _ = try await store.change(reference, audit: audit) {
                    $0.assignee = assignee
                    $0.restricted = restricted
                    return []
                }
            }
            let all = try await store.list(IncidentFilter(limit: 100), visibleTo: .all, audit: audit)
            for roles in [
                Set<Role>([.reporter]), [.investigator], [.admin], [.reporter, .investigator], [.auditor], [],
            ] {
                let principal = Principal(caller: alice, roles: roles)
                let scope = AccessPolicy.visibility(of: principal)
                let listed = Set(
                    try await store.list(IncidentFilter(limit: 100), visibleTo: scope, audit: audit).map(\.reference)
                )
                var expected = Set<IncidentReference>()
                for summary in all {
                    let incident = try #require(
                        try await store.incident(summary.reference, audit: audit, access: .full)?.0
                    )
                    if AccessPolicy.decide(principal, .readIncident, incident: incident.accessFacts).isAllowed {
                        expected.insert(summary.reference)
                    }
                }
                #expect(listed == expected, "\(roles.sorted())")
                let status = try await store.status(visibleTo: scope, audit: audit)
                #expect(status.openTotal == expected.count, "\(roles.sorted())")
                let watched = try await store.events(
                    after: EventCursor(position: 0),
                    matching: IncidentFilter(),
                    visibleTo: scope,
                    limit: 500
                )
                #expect(
                    Set(watched.matching.map(\.event.reference)) == expected,
                    "watch shows what list shows: \(roles.sorted())"
                )
                #expect(watched.ids.count >= all.count, "every event is read, for the cursor, whatever is shown")
            }
            _ = alicesOpen
        }
    }

    @Test func aChangeDecidedOnAnOldVersionIsNotWritten() async throws {
        try await withStore { store, pool in
            let incident = try await file(store, "to assign", by: alice)
            let audit = AuditRecord(caller: bob, action: "Assign")
            let basis = try #require(try await store.incidentForChange(incident.reference))
            func assign(_ name: String) async throws -> Written<Incident> {
                var changed = basis.incident
                changed.assignee = name
                return try await store.write(
                    changed,
                    events: [IncidentEvent(.incidentAssigned, ["to": name])],
                    on: basis,
                    audit: audit
                )
            }
            guard case .written(let assigned) = try await assign("bob") else {
                Issue.record("the first change is written")
                return
            }
            #expect(assigned.version == 2)
            #expect(assigned.assignee == "bob")
            // A second change decided on what the first one read finds the incident moved on.
            guard case .moved = try await assign("mallory") else {
                Issue.record("a change on a stale read is not written")
                return
            }
            let after = try await store.incidentForChange(incident.reference)
            #expect(after?.incident.assignee == "bob", "the stale change changed nothing")
            #expect(after?.incident.version == 2)
            let outcomes = try await pool.withConnection { connection in
                try connection.query("SELECT outcome FROM audit_log WHERE action = 'Assign' ORDER BY seq").map {
                    try $0.decode(String.self, "outcome")
                }
            }
            #expect(outcomes == ["ok"], "only what was written is audited by the write")
            let events = try await pool.withConnection { connection in
                try connection.query("SELECT count(*) AS n FROM events WHERE kind = 'incident.assigned'").first!.decode(
                    Int.self,
                    "n"
                )
            }
            #expect(events == 1)
        }
    }
}
