import Foundation
import Logging
import Postgres

/// One SQL file of `db/migrations`, named `NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

}

/// Why the schema could not be brought up to date. Start-up stops on any of these.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case directoryUnreadable
        case badFileName
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
            migrations.append(Migration(version: version, name: name, sql: sql))
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
                let done = Set(
                    try connection.query("SELECT version FROM schema_migrations").map {
                        try $0.decode(Int.self, "version")
                    }
                )
                if let newest = done.max(), newest > known {
                    throw MigrationError(
                        code: .schemaTooNew,
                        file: nil,
                        message: "the database schema is at version \(newest), newer than this incidentd "
                            + "understands (\(known)); run the newer incidentd, or restore a backup taken before "
                            + "the upgrade"
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
                            INSERT INTO schema_migrations (version, name, checksum)
                            VALUES (\(migration.version), \(migration.name),
                                    encode(sha256(convert_to(\(migration.sql), 'UTF8')), 'hex'))
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
