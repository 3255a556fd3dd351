import Postgres

/// What the embedded cluster needs of its own server before the migrations run: whether it
/// answers, and the incidentd database with its runtime role.
public enum ClusterSetup {
    /// Whether the server at `parameters` accepts a connection now.
    public static func acceptsConnections(_ parameters: [String: String]) -> Bool {
        guard let connection = try? PostgresConnection(parameters: parameters) else { return false }
        connection.close()
        return true
    }

    /// Creates the database `name` and the login role `runtimeRole` (no superuser, owning
    /// nothing) where they are missing, connecting as the cluster's owner with `parameters`.
    public static func createDatabase(
        _ name: String,
        runtimeRole: String,
        connectingWith parameters: [String: String]
    ) throws {
        let connection = try PostgresConnection(parameters: parameters)
        defer { connection.close() }
        let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
        if exists.isEmpty {
            try connection.execute("CREATE DATABASE \(name)")
        }
        let role = try connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(runtimeRole)")
        if role.isEmpty {
            try connection.execute("CREATE ROLE \(runtimeRole) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION")
        }
    }
}
