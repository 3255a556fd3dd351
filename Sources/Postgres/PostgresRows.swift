/// The rows of a result, copied out of libpq so no `PGresult` outlives its call.
public struct PostgresRows: Sendable, RandomAccessCollection {
    public let columns: [String]
    let values: [[String?]]
    /// The number of rows the statement affected (INSERT/UPDATE/DELETE), when it says.
    public let affectedRows: Int

    init(columns: [String], values: [[String?]], affectedRows: Int) {
        self.columns = columns
        self.values = values
        self.affectedRows = affectedRows
    }

    public var startIndex: Int { values.startIndex }
    public var endIndex: Int { values.endIndex }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(columns: columns, values: values[position])
    }
}

/// One row; columns are found by name or position, values decoded on demand.
public struct PostgresRow: Sendable {
    public let columns: [String]
    let values: [String?]

    public func isNull(_ column: String) throws(PostgresError) -> Bool {
        values[try index(of: column)] == nil
    }

    /// Decodes a non-NULL column; a NULL is a decoding error.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws(PostgresError) -> T {
        guard let text = values[try index(of: column)] else {
            throw PostgresError(code: .decoding, serverMessage: "column \(column) is NULL, expected \(T.self)")
        }
        return try T(postgresText: text)
    }

    /// Decodes a column that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type, _ column: String) throws(PostgresError) -> T? {
        guard let text = values[try index(of: column)] else { return nil }
        return try T(postgresText: text)
    }

    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at position: Int) throws(PostgresError) -> T {
        guard position < values.count, let text = values[position] else {
            throw PostgresError(code: .decoding, serverMessage: "column \(position) is NULL or missing")
        }
        return try T(postgresText: text)
    }

    private func index(of column: String) throws(PostgresError) -> Int {
        guard let index = columns.firstIndex(of: column) else {
            throw PostgresError(code: .decoding, serverMessage: "no column named \(column)")
        }
        return index
    }
}
