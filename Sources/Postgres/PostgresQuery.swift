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
    /// `$1` … `$count` become `$(1 + offset)` …, in one pass over the bytes; other text, `$0`
    /// and numbers past `count` stay as they are. (A multi-row VALUES list splices a fragment
    /// per row, so this runs for every row of every such statement.)
    fileprivate func renumberingPlaceholders(count: Int, by offset: Int) -> String {
        var source = self
        return source.withUTF8 { bytes in
            let zero = UInt8(ascii: "0")
            let nine = UInt8(ascii: "9")
            let dollar = UInt8(ascii: "$")
            var result: [UInt8] = []
            result.reserveCapacity(bytes.count + count * 2)
            var decimal: [UInt8] = []
            decimal.reserveCapacity(20)
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                guard byte == dollar, index < bytes.count, (zero...nine).contains(bytes[index]) else {
                    result.append(byte)
                    continue
                }
                let digitsStart = index
                var number = 0
                while index < bytes.count, (zero...nine).contains(bytes[index]), number <= Int.max / 10 - 10 {
                    number = number * 10 + Int(bytes[index] - zero)
                    index += 1
                }
                result.append(dollar)
                guard number >= 1, number <= count else {
                    result.append(contentsOf: bytes[digitsStart..<index])
                    continue
                }
                var value = number + offset
                decimal.removeAll(keepingCapacity: true)
                repeat {
                    decimal.append(zero + UInt8(value % 10))
                    value /= 10
                } while value > 0
                result.append(contentsOf: decimal.reversed())
            }
            return String(decoding: result, as: UTF8.self)
        }
    }
}
