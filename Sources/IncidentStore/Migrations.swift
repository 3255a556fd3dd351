import Foundation
import Logging
import Postgres

/// One SQL file of `db/migrations`, named `NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String
    /// An expand step: a daemon that knows only the migrations before this one keeps working
    /// on the schema it makes, so it may keep serving while it is replaced (a rolling upgrade,
    /// docs/operations.md). Declared by the line `-- incidentd-migration: expand` in the file;
    /// a migration without it (a contract step) makes older daemons refuse to start.
    public var expand: Bool

    public init(version: Int, name: String, sql: String, expand: Bool = false) {
        self.version = version
        self.name = name
        self.sql = sql
        self.expand = expand
    }

    /// The directive that declares a migration's kind: `-- incidentd-migration: expand`.
    static let directive = "-- incidentd-migration:"

    /// Whether `sql` declares itself an expand step (contract when it says nothing); a
    /// directive naming neither is refused, quoting its line.
    static func declaresExpand(_ sql: String, file: String) throws(MigrationError) -> Bool {
        var expand = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = line.trimmingCharacters(in: .whitespaces)
            guard line.lowercased().hasPrefix(directive) else { continue }
            switch line.dropFirst(directive.count).trimmingCharacters(in: .whitespaces).lowercased() {
            case "expand": expand = true
            case "contract": expand = false
            default: throw MigrationError(code: .badDirective, file: file, message: line)
            }
        }
        return expand
    }
}

/// Why the schema could not be brought up to date. Start-up stops on any of these.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case directoryUnreadable
        case badFileName
        /// A `-- incidentd-migration:` line names neither expand nor contract.
        case badDirective
        case duplicateVersion
        case migrationFailed
        case schemaTooNew
        /// A file differs from the one applied to this database: its schema is not what the
        /// files say.
        case changedAfterApplied
    }

    public var code: Code
    public var file: String?
    public var message: String

    public var description: String {
        switch code {
        case .directoryUnreadable:
            return "cannot read the migrations directory \(file ?? ""): \(message)"
        case .badFileName:
            return "migration file \(file ?? "") is not named NNNN_description.sql"
        case .badDirective:
            return "migration file \(file ?? "") has a line '\(message)'; "
                + "write '-- incidentd-migration: expand' or '-- incidentd-migration: contract'"
        case .duplicateVersion:
            return "two migration files share a version number: \(message)"
        case .migrationFailed:
            return "migration \(file ?? "") failed, so the database was left as it was: \(message)"
        case .schemaTooNew:
            return message
        case .changedAfterApplied:
            return "migration \(file ?? "") differs from the one applied to this database on \(message); "
                + "released migrations never change: restore the file as it was, and put changes in a new migration"
        }
    }
}

extension Migration {
    /// Reads every `*.sql` file in `directory`, ordered by version.
    public static func load(from directory: URL) throws(MigrationError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError(code: .directoryUnreadable, file: directory.path, message: "\(error)")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let prefix = name.prefix(while: \.isNumber)
            guard !prefix.isEmpty, let version = Int(prefix), name.dropFirst(prefix.count).first == "_" else {
                throw MigrationError(code: .badFileName, file: name, message: "")
            }
            let sql: String
            do {
                sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            } catch {
                throw MigrationError(code: .directoryUnreadable, file: name, message: "\(error)")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError(code: .duplicateVersion, file: name, message: "\(clash.name) and \(name)")
            }
            let expand = try Migration.declaresExpand(sql, file: name)
            migrations.append(Migration(version: version, name: name, sql: sql, expand: expand))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Where the migrations are when none is configured: installed beside the binary
    /// (`PREFIX/share/incidentd/migrations`), else the source tree this binary was built from.
    public static func defaultDirectory(executable: URL = URL(fileURLWithPath: CommandLine.arguments[0])) -> URL {
        let installed = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("../share/incidentd/migrations").standardizedFileURL
        if FileManager.default.fileExists(atPath: installed.path) { return installed }
        return sourceTreeRoot.appendingPathComponent("db/migrations")
    }

    /// The repository this module was compiled from (`Sources/IncidentStore/…` → root).
    static var sourceTreeRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// Applies pending migrations in order, in one transaction, under an advisory lock, so two
/// daemons starting together never race and a failing file leaves the database untouched.
///
/// A schema newer than the migrations it was given is served when every newer migration was
/// an expand step (an older daemon during a rolling upgrade), with a warning; otherwise it is
/// refused, naming the first migration that is not.
public struct Migrator: Sendable {
    /// An arbitrary, fixed advisory-lock key that belongs to incidentd's migrations.
    static let advisoryLockKey: Int64 = 0x1AC1_DE17_0001

    let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    /// Returns the versions it applied (empty when the schema was current).
    @discardableResult
    public func migrate(_ migrations: [Migration]) async throws -> [Int] {
        let known = migrations.map(\.version).max() ?? 0
        let applied = try await pool.withConnection { connection in
            try connection.transaction { connection -> [Int] in
                try connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
                try connection.execute(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version    integer     PRIMARY KEY,
                        name       text        NOT NULL,
                        checksum   text        NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """
                )
                // Added with the expand/contract policy; false for every migration before it. Only
                // when missing: a runtime role that does not own the table may not alter it.
                let hasExpand =
                    try connection.query(
                        """
                        SELECT count(*) AS n FROM pg_attribute
                        WHERE attrelid = 'schema_migrations'::regclass AND attname = 'expand' AND NOT attisdropped
                        """
                    ).first?.decode(Int64.self, "n") == 1
                if !hasExpand {
                    try connection.execute(
                        "ALTER TABLE schema_migrations ADD COLUMN expand boolean NOT NULL DEFAULT false"
                    )
                }
                let rows = try connection.query("SELECT version, name, expand FROM schema_migrations ORDER BY version")
                let done = Set(try rows.map { try $0.decode(Int.self, "version") })
                let newer = try rows.filter { try $0.decode(Int.self, "version") > known }
                if let newest = newer.last {
                    let newestVersion = try newest.decode(Int.self, "version")
                    if let contract = try newer.first(where: { try !$0.decode(Bool.self, "expand") }) {
                        throw MigrationError(
                            code: .schemaTooNew,
                            file: try contract.decode(String.self, "name"),
                            message: "the database schema is at version \(newestVersion), newer than this "
                                + "incidentd understands (\(known)), and migration "
                                + "\(try contract.decode(String.self, "name")) is not one an older incidentd can "
                                + "serve; run the newer incidentd, or restore a backup taken before the upgrade"
                        )
                    }
                    logger.warning(
                        """
                        the database schema is newer than this incidentd; its newer migrations are expand \
                        steps, so this daemon keeps serving it: replace it with the newer incidentd soon
                        """,
                        metadata: [
                            "migration.newest": "\(newestVersion)", "migration.known": "\(known)",
                        ]
                    )
                }
                for migration in migrations where done.contains(migration.version) {
                    let row = try connection.query(
                        """
                        SELECT checksum = encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex') AS same,
                               to_char(applied_at, 'YYYY-MM-DD') AS applied
                        FROM schema_migrations WHERE version = \(migration.version)
                        """
                    ).first!
                    guard try row.decode(Bool.self, "same") else {
                        throw MigrationError(
                            code: .changedAfterApplied,
                            file: migration.name,
                            message: try row.decode(String.self, "applied")
                        )
                    }
                }
                var applied: [Int] = []
                for migration in migrations where !done.contains(migration.version) {
                    do {
                        try connection.execute(migration.sql)
                        try connection.query(
                            """
                            INSERT INTO schema_migrations (version, name, checksum, expand)
                            VALUES (\(migration.version), \(migration.name),
                                    encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex'),
                                    \(migration.expand))
                            """
                        )
                    } catch let error as PostgresError where error.code == .server {
                        throw MigrationError(
                            code: .migrationFailed,
                            file: migration.name,
                            message: error.serverMessage.trimmingCharacters(in: .whitespacesAndNewlines)
                        )
                    }
                    applied.append(migration.version)
                }
                return applied
            }
        }
        for version in applied {
            logger.info("applied migration", metadata: ["migration.version": "\(version)"])
        }
        return applied
    }
}
