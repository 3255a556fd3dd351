import Postgres

/// The privileges of the role incidentd serves requests as, when migrations run as another
/// (owner) role: ordinary reads and writes on the case tables, but on the audit trail only
/// INSERT into `audit_log` and `audit_checkpoints` — no UPDATE, DELETE or TRUNCATE, no write to
/// the seals (only the owner's SECURITY DEFINER functions write them), and no ownership, so no
/// `ALTER TABLE … DISABLE TRIGGER`. Applied after every migration, so new tables are covered.
public enum RuntimeGrants {
    /// Tables the runtime role may read and append to, never change.
    static let appendOnly = ["audit_log", "audit_checkpoints"]
    /// Tables only the owner's functions write.
    static let readOnly = ["audit_seal", "audit_pending", "schema_migrations"]

    /// Grants `role` what it needs; run as the owner. Identifiers are quoted by PostgreSQL's
    /// own `format('%I')`, never by us.
    public static func apply(to role: String, pool: PostgresPool) async throws {
        try await pool.transaction { connection in
            let statements: [PostgresQuery] = [
                "SELECT format('GRANT USAGE ON SCHEMA public TO %I', \(role)::text) AS sql",
                "SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', \(role)::text) AS sql",
                "SELECT format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO %I', \(role)::text) AS sql",
                "SELECT format('REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s FROM %I', \(appendOnly.joined(separator: ", "))::text, \(role)::text) AS sql",
                "SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s FROM %I', \(readOnly.joined(separator: ", "))::text, \(role)::text) AS sql",
            ]
            for statement in statements {
                let sql = try connection.query(statement).first!.decode(String.self, "sql")
                try connection.execute(sql)
            }
        }
    }

    /// What is wrong with serving requests as the connected role, for `--check-config`: a
    /// superuser, or an owner of the audit table, can rewrite the audit trail.
    public static func problems(pool: PostgresPool) async throws -> [String] {
        try await pool.withConnection { connection in
            let row = try connection.query(
                """
                SELECT current_user AS name,
                       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
                       coalesce((SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables
                                 WHERE schemaname = 'public' AND tablename = 'audit_log'), false) AS owns_audit
                """
            ).first!
            let name = try row.decode(String.self, "name")
            var problems: [String] = []
            if try row.decode(Bool.self, "superuser") {
                problems.append(
                    "the database role \(name) that serves requests is a superuser, so it could rewrite the audit trail; "
                        + "serve as a runtime role and run migrations as the owner (migrationDatabase, docs/configuration.md)"
                )
            } else if try row.decode(Bool.self, "owns_audit") {
                problems.append(
                    "the database role \(name) that serves requests owns the audit table, so it could disable its triggers; "
                        + "serve as a runtime role and run migrations as the owner (migrationDatabase, docs/configuration.md)"
                )
            }
            return problems
        }
    }

    /// The role a pool's connections log in as.
    public static func currentRole(pool: PostgresPool) async throws -> String {
        try await pool.withConnection { connection in
            try connection.query("SELECT current_user AS name").first!.decode(String.self, "name")
        }
    }
}
