import Foundation
import IncidentCore
import IncidentStore
import Logging
import Postgres
import Testing
import TestSupport

@Suite struct IncidentStoreTests {
    let logger = Logger(label: "test")
    let alice = Caller(uid: 1001, gid: 1001, pid: 42, userName: "alice")
    let bob = Caller(uid: 1002, gid: 1002, pid: 43, userName: "bob")

    func withStore<R>(_ body: (IncidentStore, PostgresPool) async throws -> R) async throws -> R {
        try await withTestDatabase { database in
            let pool = PostgresPool(configuration: .init(conninfo: database.conninfo, maximumConnections: 4), logger: logger)
            try await Migrator(pool: pool, logger: logger).migrate(try Migration.load(from: Migration.defaultDirectory()))
            let result = try await body(IncidentStore(pool: pool), pool)
            await pool.shutdown()
            return result
        }
    }

    func draft(_ title: String = "Laptop stolen", key: String? = nil, severity: Severity = .untriaged) throws -> ReportDraft {
        try ReportDraft(
            title: title, description: "Unencrypted laptop stolen from a car", severity: severity,
            dataCategories: [.identity, .contact], peopleAffected: 1200, jurisdictions: [.eu], idempotencyKey: key
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
            #expect(incident.reference.rawValue.hasPrefix("INC-\(Calendar(identifier: .gregorian).component(.year, from: Date()))-"))
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
            let read = try await store.incident(filed.reference, audit: AuditRecord(caller: bob, action: "Get"))
            #expect(read == filed)
            let missing = IncidentReference(year: 2026, number: 999_999)
            #expect(try await store.incident(missing, audit: AuditRecord(caller: bob, action: "Get")) == nil)
            #expect(try await count(pool, "SELECT count(*) FROM audit_log WHERE action = 'Get' AND outcome = 'ok'") == 1)
            #expect(try await count(pool, "SELECT count(*) FROM audit_log WHERE action = 'Get' AND outcome = 'not-found'") == 1)
        }
    }

    @Test func listIsNewestFirstFilteredAndPaged() async throws {
        try await withStore { store, pool in
            var filed: [IncidentReference] = []
            for index in 0..<7 {
                let severity: Severity = index.isMultiple(of: 2) ? .high : .low
                filed.append(try await store.report(try draft("Incident \(index)", severity: severity), by: alice).incident.reference)
            }
            try await pool.transaction { try $0.execute("UPDATE incidents SET phase = 'closed' WHERE title = 'Incident 6'") }
            let audit = AuditRecord(caller: alice, action: "List")
            let all = try await store.list(IncidentFilter(limit: 100), audit: audit)
            #expect(all.map(\.reference) == filed.reversed())

            let firstPage = try await store.list(IncidentFilter(limit: 3), audit: audit)
            let secondPage = try await store.list(IncidentFilter(limit: 3, after: firstPage.last!.reference), audit: audit)
            #expect((firstPage + secondPage).map(\.reference) == Array(filed.reversed().prefix(6)))

            let high = try await store.list(IncidentFilter(severities: [.high], limit: 100), audit: audit)
            #expect(high.count == 4)
            let open = try await store.list(IncidentFilter(openOnly: true, limit: 100), audit: audit)
            #expect(open.count == 6)
            let closed = try await store.list(IncidentFilter(phases: [.closed], limit: 100), audit: audit)
            #expect(closed.map(\.title) == ["Incident 6"])
            let future = try await store.list(IncidentFilter(since: Date().addingTimeInterval(3600), limit: 100), audit: audit)
            #expect(future.isEmpty)
        }
    }

    @Test func statusCountsOpenIncidentsByPhaseAndSeverity() async throws {
        try await withStore { store, pool in
            let audit = AuditRecord(caller: alice, action: "Status")
            let empty = try await store.status(audit: audit)
            #expect(empty.openTotal == 0)
            #expect(empty.oldestOpen == nil)
            let first = try await store.report(try draft("first", severity: .critical), by: alice).incident
            _ = try await store.report(try draft("second", severity: .critical), by: alice)
            _ = try await store.report(try draft("third", severity: .low), by: bob)
            try await pool.transaction { try $0.execute("UPDATE incidents SET phase = 'closed' WHERE title = 'third'") }
            let status = try await store.status(audit: audit)
            #expect(status.openTotal == 2)
            #expect(status.openByPhase == [.report: 2])
            #expect(status.openBySeverity == [.critical: 2])
            #expect(status.oldestOpen?.reference == first.reference)
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
