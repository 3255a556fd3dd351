import Foundation
import IncidentStore
import Logging
import Postgres
import Synchronization
import TestSupport
import Testing

@Suite struct PostgresBindingTests {
    func withConnection<R>(_ body: (PostgresConnection) throws -> R) async throws -> R {
        try await withTestDatabase { database in
            let connection = try database.connect()
            defer { connection.close() }
            return try body(connection)
        }
    }

    @Test func everyTypeRoundTrips() async throws {
        try await withConnection { connection in
            let instant = Date(timeIntervalSince1970: 1_780_000_000.123456)
            let id = UUID()
            let json = PostgresJSON(text: #"{"a": [1, 2, {"b": null}]}"#)
            let rows = try connection.query(
                """
                SELECT \("héllo ' \" \\ world")::text AS text, \(Int32.max)::int AS int,
                       \(Int64.min)::bigint AS bigint, \(true)::bool AS yes, \(false)::bool AS no,
                       \(instant)::timestamptz AS instant, \(id)::uuid AS id, \(json)::jsonb AS json,
                       \(["a", "b c", "d,e", "\"q\"", "NULL", ""])::text[] AS texts,
                       \([Int64(1), -2, 3])::bigint[] AS numbers, \(2.5)::float8 AS real,
                       \(PostgresBytes([0, 1, 254, 255]))::bytea AS bytes, \([String]())::text[] AS empty
                """
            )
            let row = try #require(rows.first)
            #expect(try row.decode(String.self, "text") == "héllo ' \" \\ world")
            #expect(try row.decode(Int32.self, "int") == Int32.max)
            #expect(try row.decode(Int64.self, "bigint") == Int64.min)
            #expect(try row.decode(Bool.self, "yes") == true)
            #expect(try row.decode(Bool.self, "no") == false)
            #expect(abs(try row.decode(Date.self, "instant").timeIntervalSince(instant)) < 0.000_001)
            #expect(try row.decode(UUID.self, "id") == id)
            #expect(try row.decode(PostgresJSON.self, "json").text == #"{"a": [1, 2, {"b": null}]}"#)
            #expect(try row.decode([String].self, "texts") == ["a", "b c", "d,e", "\"q\"", "NULL", ""])
            #expect(try row.decode([Int64].self, "numbers") == [1, -2, 3])
            #expect(try row.decode(Double.self, "real") == 2.5)
            #expect(try row.decode(PostgresBytes.self, "bytes").bytes == [0, 1, 254, 255])
            #expect(try row.decode([String].self, "empty") == [])
        }
    }

    /// The parameters of one statement travel to libpq in one buffer: hundreds of them, NULL,
    /// empty, non-ASCII and long ones side by side, each arrive whole and in their own place.
    @Test func hundredsOfParametersOfEveryLengthArriveIntact() async throws {
        try await withConnection { connection in
            let values: [String?] = (0..<600).map { index in
                switch index % 5 {
                case 0: nil
                case 1: ""
                case 2: "个人信息泄露 \(index)"
                case 3: String(repeating: "x", count: index * 7)
                default: "'\(index)' \"\\"
                }
            }
            let columns = PostgresQuery.list(
                values.enumerated().map { index, value in "\(value)::text AS \(unsafeSQL: "c\(index)")" }
            )
            let row = try #require(try connection.query("SELECT \(columns)").first)
            let back = try values.indices.map { try row.decode(String?.self, "c\($0)") }
            #expect(back == values)
        }
    }

    @Test func timestampsBeforeTheEpochAndWithOffsetsDecode() async throws {
        try await withConnection { connection in
            let row = try #require(
                try connection.query(
                    "SELECT '1969-07-20 20:17:40+00'::timestamptz AS moon, '2026-03-01 12:00:00+05:30'::timestamptz::text AS text"
                ).first
            )
            #expect(try row.decode(Date.self, "moon") == Date(timeIntervalSince1970: -14_182_940))
            #expect(try row.decode(String.self, "text") == "2026-03-01 06:30:00+00")
        }
    }

    @Test func nullsDecodeAsNilAndRefuseNonOptionals() async throws {
        try await withConnection { connection in
            let text: String? = nil
            let row = try #require(try connection.query("SELECT \(text)::text AS missing").first)
            #expect(try row.isNull("missing"))
            #expect(try row.decode(String?.self, "missing") == nil)
            #expect(throws: PostgresError.self) { try row.decode(String.self, "missing") }
            #expect(throws: PostgresError.self) { try row.decode(String.self, "no_such_column") }
        }
    }

    @Test func interpolatedValuesCannotInjectSQL() async throws {
        try await withConnection { connection in
            try connection.execute("CREATE TABLE t (v text)")
            let hostile = "x'); DROP TABLE t; --"
            try connection.query("INSERT INTO t VALUES (\(hostile))")
            let rows = try connection.query("SELECT v FROM t")
            #expect(try rows.first?.decode(String.self, "v") == hostile)
        }
    }

    @Test func fragmentsRenumberTheirParameters() async throws {
        try await withConnection { connection in
            let condition: PostgresQuery = "x = \(2) OR x = \(3)"
            let query: PostgresQuery =
                "SELECT x FROM generate_series(\(1)::int, \(10)::int) AS x WHERE \(condition) ORDER BY x"
            #expect(
                query.sql == "SELECT x FROM generate_series($1::int, $2::int) AS x WHERE x = $3 OR x = $4 ORDER BY x"
            )
            let values = try connection.query(query).map { try $0.decode(Int.self, "x") }
            #expect(values == [2, 3])
        }
    }

    @Test func renumberingLeavesOtherDollarsAndLongerNumbersAlone() {
        // Twelve parameters, so $1 and $12 must not be confused; `$.` and `$0` are not parameters.
        let many = PostgresQuery(unsafeSQL: "f($1, $12, '$.a', $0, $$x$$)", binds: (1...12).map { String($0) })
        let joined: PostgresQuery = "SELECT \(1), \(many), \(PostgresQuery(unsafeSQL: "no parameters"))"
        #expect(joined.sql == "SELECT $1, f($2, $13, '$.a', $0, $$x$$), no parameters")
        #expect(joined.binds.count == 13)
        let rows = PostgresQuery.list((1...3).map { "(\($0), \("row \($0)"))" })
        #expect(rows.sql == "($1, $2), ($3, $4), ($5, $6)")
        #expect(rows.binds == ["1", "row 1", "2", "row 2", "3", "row 3"])
    }

    /// Statements are prepared once per connection; one whose table changes shape under it
    /// (a migration by another daemon) fails once, and is prepared afresh on the next call.
    @Test func aPreparedStatementSurvivesItsTableChangingShape() async throws {
        try await withTestDatabase { database in
            let connection = try database.connect()
            defer { connection.close() }
            let other = try database.connect()
            defer { other.close() }
            try connection.execute("CREATE TABLE shape (a int); INSERT INTO shape VALUES (1)")
            let query: PostgresQuery = "SELECT * FROM shape WHERE a = \(1)"
            for _ in 0..<3 { #expect(try connection.query(query).count == 1) }
            try other.execute("ALTER TABLE shape ADD COLUMN b int")
            do {
                _ = try connection.query(query)
            } catch {
                #expect((error as? PostgresError)?.sqlState == .featureNotSupported, "\(error)")
            }
            let rows = try connection.query(query)
            #expect(rows.count == 1)
            #expect(rows.columns == ["a", "b"], "prepared again, with the new column")
        }
    }

    @Test func errorsCarryTheirSQLState() async throws {
        try await withConnection { connection in
            try connection.execute("CREATE TABLE u (id int PRIMARY KEY)")
            try connection.query("INSERT INTO u VALUES (\(1))")
            do {
                try connection.query("INSERT INTO u VALUES (\(1))")
                Issue.record("a duplicate key was accepted")
            } catch let error as PostgresError {
                #expect(error.code == .server)
                #expect(error.sqlState == .uniqueViolation)
                #expect(error.constraint == "u_pkey")
                #expect(!error.isRetryable)
                #expect(!error.description.contains("(id)=(1)"), "descriptions never quote values")
            }
            #expect(throws: PostgresError.self) { try connection.execute("SELEC 1") }
            do {
                try connection.execute("SELECT * FROM no_such_table")
            } catch let error as PostgresError {
                #expect(error.sqlState == .undefinedTable)
            }
        }
    }

    /// A full disk (SQLSTATE 53100, as the server raises it when it cannot extend a file)
    /// changed nothing and is worth retrying once space is freed; the store names it apart.
    @Test func aFullDiskIsRetryableAndNamedApart() async throws {
        try await withConnection { connection in
            do {
                try connection.execute("DO $$ BEGIN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$")
                Issue.record("the exception was not raised")
            } catch let error as PostgresError {
                #expect(error.sqlState == .diskFull)
                #expect(error.isRetryable)
                guard case .storageFull? = StoreFailure(error) else {
                    Issue.record("not a full disk to the store: \(String(describing: StoreFailure(error)))")
                    return
                }
            }
        }
    }

    @Test func aNULCharacterIsRefusedNotTruncated() async throws {
        try await withConnection { connection in
            do {
                try connection.query("SELECT \("before\u{0}after")::text")
                Issue.record("a NUL was sent")
            } catch let error as PostgresError {
                #expect(error.code == .invalidValue)
            }
        }
    }

    @Test func transactionsRollBackOnAnyError() async throws {
        struct Abort: Error {}
        try await withConnection { connection in
            try connection.execute("CREATE TABLE r (v int)")
            #expect(throws: Abort.self) {
                try connection.transaction { connection in
                    try connection.query("INSERT INTO r VALUES (\(1))")
                    throw Abort()
                }
            }
            #expect(throws: PostgresError.self) {
                try connection.transaction { connection in
                    try connection.query("INSERT INTO r VALUES (\(2))")
                    try connection.execute("SELECT 1/0")
                }
            }
            try connection.transaction { connection in
                try connection.query("INSERT INTO r VALUES (\(3))")
            }
            let values = try connection.query("SELECT v FROM r").map { try $0.decode(Int.self, "v") }
            #expect(values == [3])
            #expect(!connection.isInTransaction)
        }
    }

    @Test func badConninfoFailsToConnect() {
        do {
            _ = try PostgresConnection(conninfo: "host=/nonexistent/socket/dir connect_timeout=1")
            Issue.record("connected to nothing")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.isRetryable)
        }
    }

    @Test func poolTransactionsCommitOrRollBack() async throws {
        try await withTestDatabase { database in
            let pool = PostgresPool(
                configuration: .init(conninfo: database.conninfo, maximumConnections: 4),
                logger: Logger(label: "test")
            )
            try await pool.transaction { try $0.execute("CREATE TABLE p (v int)") }
            await #expect(throws: PostgresError.self) {
                try await pool.transaction { connection in
                    try connection.query("INSERT INTO p VALUES (\(1))")
                    try connection.execute("SELECT 1/0")
                }
            }
            // Many concurrent transactions share four connections.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for value in 0..<40 {
                    group.addTask {
                        _ = try await pool.transaction { connection in
                            try connection.query("INSERT INTO p VALUES (\(value))")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await pool.transaction {
                try $0.query("SELECT count(*) AS n FROM p").first!.decode(Int.self, "n")
            }
            #expect(count == 40)
            let backends = try await pool.withConnection { connection in
                try connection.query(
                    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()"
                ).first!.decode(Int.self, "n")
            }
            #expect(backends <= 4)
            await pool.shutdown()
            await #expect(throws: (any Error).self) { try await pool.transaction { _ in 1 } }
        }
    }
}

/// The listener behind the daemon's wake-ups.
@Suite struct PostgresListenerTests {
    final class Heard: Sendable {
        let channels = Mutex<[Set<String>]>([])
        func count(of channel: String) -> Int { channels.withLock { $0.filter { $0.contains(channel) }.count } }
    }

    @Test func notificationsArriveAndSurviveALostConnection() async throws {
        try await withTestDatabase { database in
            let listener = PostgresListener(
                target: .conninfo(database.conninfo),
                channels: ["wake_a", "wake_b"],
                applicationName: "listener test",
                logger: Logger(label: "test")
            )
            let heard = Heard()
            let task = Task { await listener.run { channels in heard.channels.withLock { $0.append(channels) } } }
            defer { task.cancel() }
            func waitUntil(_ condition: () -> Bool) async -> Bool {
                for _ in 0..<600 {
                    if condition() { return true }
                    try? await Task.sleep(for: .milliseconds(50))
                }
                return condition()
            }
            // Connecting reports every channel once: whatever came before was not heard.
            #expect(await waitUntil { heard.count(of: "wake_a") == 1 && heard.count(of: "wake_b") == 1 })
            let connection = try database.connect()
            defer { connection.close() }
            // Two notifications in one transaction are one; it arrives at commit.
            _ = try connection.transaction { connection in
                try connection.execute("NOTIFY wake_a; NOTIFY wake_a")
            }
            #expect(await waitUntil { heard.count(of: "wake_a") == 2 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(heard.count(of: "wake_a") == 2)
            #expect(heard.count(of: "wake_b") == 1)
            // The server ends the listening session: the listener reconnects and says so.
            try connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'listener test'"
            )
            #expect(await waitUntil { heard.count(of: "wake_b") == 2 }, "reconnected, every channel reported")
            try connection.execute("NOTIFY wake_b")
            #expect(await waitUntil { heard.count(of: "wake_b") == 3 })
            #expect(heard.count(of: "unknown") == 0)
            task.cancel()
            await task.value
        }
    }
}
