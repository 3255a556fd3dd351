import Postgres

/// The check value of every key a database's values were sealed under: the key file is
/// checked against them at start-up, so a wrong or missing key stops the daemon before it
/// seals anything under it.
public struct EncryptionKeyStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The keys this database knows, oldest first.
    public func checkValues() async throws -> [(id: String, checkValue: String)] {
        try await pool.withConnection { connection in
            try connection.query("SELECT id, check_value FROM encryption_keys ORDER BY added_at").map {
                (id: try $0.decode(String.self, "id"), checkValue: try $0.decode(String.self, "check_value"))
            }
        }
    }

    /// Records a key the key file has and the database does not know yet.
    public func record(id: String, checkValue: String) async throws {
        try await pool.transaction { connection in
            try connection.query(
                "INSERT INTO encryption_keys (id, check_value) VALUES (\(id), \(checkValue)) ON CONFLICT (id) DO NOTHING"
            )
        }
    }
}
