import Foundation
import IncidentCore
import IncidentStore
import Logging
import Postgres
import TestSupport
import Testing

@Suite struct AuditChainTests {
    let auditor = Caller(uid: 1003, gid: 1003, pid: 7, userName: "audrey")
    static let key = AuditSigningKey.generate()

    func withAudit<R>(_ body: (AuditStore, PostgresPool, TestDatabase) async throws -> R) async throws -> R {
        try await withMigratedPool { pool, database in try await body(AuditStore(pool: pool), pool, database) }
    }

    func append(_ pool: PostgresPool, _ count: Int, action: String = "Get") async throws {
        try await pool.transaction { connection in
            for index in 0..<count {
                try connection.query(
                    AuditRecordInsert.query(uid: 1000 + index, name: "user\(index)", action: action)
                )
            }
        }
    }

    /// As the database superuser, with triggers off: what an attacker with full access does.
    func tamper(_ database: TestDatabase, _ sql: String) throws {
        let connection = try database.connect()
        defer { connection.close() }
        try connection.execute("SET session_replication_role = replica; \(sql)")
    }

    func verify(_ store: AuditStore) async throws -> AuditVerification {
        try await store.verify(key: Self.key, audit: AuditRecord(caller: auditor, action: "AuditVerify"))
    }

    @Test func anUntouchedChainVerifies() async throws {
        try await withAudit { store, pool, _ in
            try await append(pool, 25)
            #expect(try await store.seal() == 25)
            #expect(try await store.seal() == 0)
            let result = try await verify(store)
            #expect(result.broken == nil)
            // verify itself is audited: it seals that record on its next run.
            #expect(result.verified == 25)
            #expect(try await verify(store).verified == 26)
        }
    }

    @Test func aRecordCommittedLateIsStillSealedExactlyOnce() async throws {
        try await withAudit { store, pool, database in
            let slow = try database.connect()
            defer { slow.close() }
            try slow.execute("BEGIN")
            try slow.query(AuditRecordInsert.query(uid: 1, name: "slow", action: "Report"))  // takes the lower seq
            try await append(pool, 3)
            #expect(try await store.seal() == 3, "the uncommitted record is not visible yet")
            try slow.execute("COMMIT")
            #expect(try await store.seal() == 1)
            let result = try await verify(store)
            #expect(result.broken == nil)
            #expect(result.verified == 4)
            let unsealed = try await pool.withConnection { connection in
                try connection.query(
                    "SELECT count(*) AS n FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.seq = a.seq)"
                ).first!.decode(Int.self, "n")
            }
            #expect(unsealed == 1, "only the verify call's own record, written after its seal")
        }
    }

    @Test(arguments: [
        ("changed", "UPDATE audit_log SET outcome = 'ok', detail = 'nothing to see' WHERE seq = 5", Int64(5)),
        ("deleted", "DELETE FROM audit_log WHERE seq = 7", Int64(7)),
        (
            "swapped",
            """
            UPDATE audit_log a SET user_name = b.user_name, uid = b.uid
            FROM audit_log b WHERE (a.seq, b.seq) IN ((4, 9), (9, 4))
            """, Int64(4)
        ),
        ("seal deleted", "DELETE FROM audit_seal WHERE seq = 6", Int64(7)),
        ("seal forged", "UPDATE audit_seal SET hash = sha256('x') WHERE seq = 3", Int64(3)),
    ])
    func tamperingIsFoundAtTheFirstBrokenRecord(kind: String, sql: String, firstBroken: Int64) async throws {
        try await withAudit { store, pool, database in
            try await append(pool, 10)
            try await store.seal()
            try tamper(database, sql)
            let result = try await verify(store)
            let broken = try #require(result.broken, "\(kind) went unnoticed")
            #expect(broken.seq == firstBroken, "\(kind): \(broken.reason)")
        }
    }

    /// The daemon recomputes what the database's `audit_canonical` encodes, byte for byte,
    /// for text that needs escaping, non-ASCII and a null reference.
    @Test func theCanonicalEncodingIsTheDatabasesOwn() async throws {
        try await withAudit { store, pool, _ in
            let awkward = ["plain", "quote \" and backslash \\", "tab\tnew\nline\r", "ctrl \u{01}\u{1F}", "中文 ü €", ""]
            try await pool.transaction { connection in
                for (index, text) in awkward.enumerated() {
                    try connection.query(
                        """
                        INSERT INTO audit_log (uid, user_name, pid, action, incident_ref, outcome, detail)
                        VALUES (\(index), \(text), \(Int32(index) - 2), 'Get', \(index % 2 == 0 ? "INC-2026-000001" : nil), 'ok', \(text))
                        """
                    )
                }
            }
            let rows = try await pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT a.seq, (extract(epoch FROM a.at) * 1000000)::bigint AS at_us, a.uid, a.user_name, a.pid, a.action,
                           a.incident_ref, a.outcome, a.detail, audit_canonical(a) AS canonical
                    FROM audit_log a ORDER BY seq
                    """
                ).map { row throws(PostgresError) in
                    (
                        AuditChain.Record(
                            seq: try row.decode(Int64.self, "seq"),
                            atMicroseconds: try row.decode(Int64.self, "at_us"),
                            uid: try row.decode(Int64.self, "uid"),
                            userName: try row.decode(String.self, "user_name"),
                            pid: try row.decode(Int32.self, "pid"),
                            action: try row.decode(String.self, "action"),
                            incidentReference: try row.decode(String?.self, "incident_ref"),
                            outcome: try row.decode(String.self, "outcome"),
                            detail: try row.decode(String.self, "detail")
                        ), try row.decode(PostgresBytes.self, "canonical").bytes
                    )
                }
            }
            #expect(rows.count == awkward.count)
            for (record, canonical) in rows {
                #expect(AuditChain.canonical(record) == canonical, "\(String(decoding: canonical, as: UTF8.self))")
            }
            _ = store
        }
    }

    @Test func aRecordSlippedPastTheQueueIsReported() async throws {
        try await withAudit { store, pool, database in
            try await append(pool, 3)
            try tamper(database, AuditRecordInsert.sql(uid: 9, name: "ghost", action: "Get"))
            let result = try await verify(store)
            #expect(result.broken?.reason.contains("neither sealed nor waiting") == true)
        }
    }

    @Test func concurrentSealersNeverSealTwice() async throws {
        try await withAudit { store, pool, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<20 {
                            try await append(pool, 5)
                            try await store.seal(batch: 7)
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await store.seal()
            let result = try await verify(store)
            #expect(result.broken == nil)
            #expect(result.verified == 400)
        }
    }

    @Test func queriesFilterByIncidentUserActionAndTime() async throws {
        try await withAudit { store, pool, _ in
            try await append(pool, 3, action: "Get")
            try await append(pool, 2, action: "Report")
            try await store.seal()
            let audit = AuditRecord(caller: auditor, action: "AuditQuery")
            let reports = try await store.query(AuditFilter(action: "Report"), audit: audit)
            #expect(reports.count == 2)
            #expect(reports.allSatisfy { $0.chainPosition != nil })
            let user = try await store.query(AuditFilter(userName: "user1"), audit: audit)
            #expect(user.map(\.action) == ["Get", "Report"])
            let paged = try await store.query(AuditFilter(limit: 2, after: 2), audit: audit)
            #expect(paged.map(\.seq) == [3, 4])
            let future = try await store.query(AuditFilter(since: Date().addingTimeInterval(60)), audit: audit)
            #expect(future.isEmpty)
        }
    }
}

/// Raw audit inserts for tests.
enum AuditRecordInsert {
    static func query(uid: Int, name: String, action: String) -> PostgresQuery {
        "INSERT INTO audit_log (uid, user_name, pid, action, outcome) VALUES (\(uid), \(name), 1, \(action), 'ok')"
    }

    static func sql(uid: Int, name: String, action: String) -> String {
        "INSERT INTO audit_log (uid, user_name, pid, action, outcome) VALUES (\(uid), '\(name)', 1, '\(action)', 'ok')"
    }
}
