/// Where a connection goes: a conninfo string someone wrote (a configuration file, `PG*`
/// variables when empty), which libpq parses itself, or libpq's keywords and values as this
/// program knows them, passed to `PQconnectdbParams` as they are. Neither is ever assembled
/// from its parts by string interpolation.
public enum PostgresTarget: Sendable, Equatable {
    case conninfo(String)
    case parameters([String: String])
}
