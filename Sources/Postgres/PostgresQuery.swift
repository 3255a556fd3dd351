import Foundation

/// A SQL statement whose interpolated values become `$n` bind parameters.
///
/// ```swift
/// let query: PostgresQuery = "SELECT * FROM incidents WHERE reference = \(reference)"
/// ```
/// sends `SELECT * FROM incidents WHERE reference = $1` with `reference` bound, so values can
/// never be spliced into SQL text. Use ``unsafeSQL(_:)`` only for trusted identifiers.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public var sql: String
    public var binds: [String?]

    public init(unsafeSQL sql: String, binds: [String?] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
    }

    /// The SQL text only; parameters are never printed.
    public var description: String { sql }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [String?] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds a value as the next `$n` parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresText)
            sql += "$\(binds.count)"
        }

        /// Binds an optional value; `nil` is sent as SQL NULL.
        public mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            binds.append(value?.postgresText)
            sql += "$\(binds.count)"
        }

        /// Splices trusted SQL text (an identifier or keyword chosen by code, never by input).
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
        }

        /// Splices another query, renumbering its parameters.
        public mutating func appendInterpolation(_ fragment: PostgresQuery) {
            var fragmentSQL = fragment.sql
            // Renumber from the highest index down so $1 never clobbers $10.
            for index in stride(from: fragment.binds.count, through: 1, by: -1) {
                fragmentSQL = fragmentSQL.replacingPlaceholder(index, with: binds.count + index)
            }
            binds.append(contentsOf: fragment.binds)
            sql += fragmentSQL
        }
    }
}

extension String {
    fileprivate func replacingPlaceholder(_ old: Int, with new: Int) -> String {
        let needle = "$\(old)"
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: needle) {
            let after = rest[range.upperBound...]
            result += rest[..<range.lowerBound]
            if let next = after.first, next.isNumber {
                result += needle
            } else {
                result += "$\(new)"
            }
            rest = after
        }
        return result + rest
    }
}
