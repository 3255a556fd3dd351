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

    /// The fragments joined by `separator` (for multi-row VALUES lists), parameters renumbered.
    public static func list(_ fragments: [PostgresQuery], separator: String = ", ") -> PostgresQuery {
        var joined = StringInterpolation(literalCapacity: 0, interpolationCount: fragments.count)
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { joined.appendLiteral(separator) }
            joined.appendInterpolation(fragment)
        }
        return PostgresQuery(stringInterpolation: joined)
    }

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
            let renumber = !binds.isEmpty && !fragment.binds.isEmpty
            sql +=
                renumber
                ? fragment.sql.renumberingPlaceholders(count: fragment.binds.count, by: binds.count) : fragment.sql
            binds.append(contentsOf: fragment.binds)
        }
    }
}

extension String {
    /// `$1` … `$count` become `$(1 + offset)` …, in one pass; other text, `$0` and numbers past
    /// `count` stay as they are.
    fileprivate func renumberingPlaceholders(count: Int, by offset: Int) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(utf8.count + count * 2)
        var bytes = utf8.makeIterator()
        var pending = bytes.next()
        while let byte = pending {
            pending = bytes.next()
            guard byte == UInt8(ascii: "$"), let first = pending,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
            else {
                result.append(byte)
                continue
            }
            var digits: [UInt8] = []
            while let digit = pending, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
                digits.append(digit)
                pending = bytes.next()
            }
            result.append(byte)
            if let number = Int(String(decoding: digits, as: UTF8.self)), number >= 1, number <= count {
                result.append(contentsOf: String(number + offset).utf8)
            } else {
                result.append(contentsOf: digits)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
