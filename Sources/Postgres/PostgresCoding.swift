import Foundation

/// A Swift value that can be sent to PostgreSQL as a text-format parameter.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

/// A Swift value that can be read from PostgreSQL's text output format.
public protocol PostgresDecodable: Sendable {
    init(postgresText text: String) throws(PostgresError)
}

extension PostgresError {
    static func decoding(_ text: String, as type: Any.Type) -> PostgresError {
        PostgresError(code: .decoding, serverMessage: "cannot decode \(text.prefix(64)) as \(type)")
    }
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self }
    public init(postgresText text: String) { self = text }
}

extension Substring: PostgresEncodable {
    public var postgresText: String { String(self) }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Int(text) else { throw .decoding(text, as: Int.self) }
        self = value
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Int64(text) else { throw .decoding(text, as: Int64.self) }
        self = value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = Int32(text) else { throw .decoding(text, as: Int32.self) }
        self = value
    }
}

extension UInt32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = UInt32(text) else { throw .decoding(text, as: UInt32.self) }
        self = value
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresError) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { throw .decoding(text, as: Double.self) }
            self = value
        }
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { self ? "t" : "f" }
    public init(postgresText text: String) throws(PostgresError) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw .decoding(text, as: Bool.self)
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresText: String { uuidString.lowercased() }
    public init(postgresText text: String) throws(PostgresError) {
        guard let value = UUID(uuidString: text) else { throw .decoding(text, as: UUID.self) }
        self = value
    }
}

/// Raw bytes, sent and read as `bytea` in hex format.
public struct PostgresBytes: PostgresEncodable, PostgresDecodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresText: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 2 + bytes.count * 2) { buffer in
            buffer[0] = UInt8(ascii: "\\")
            buffer[1] = UInt8(ascii: "x")
            for (index, byte) in bytes.enumerated() {
                buffer[2 + index * 2] = digits[Int(byte >> 4)]
                buffer[3 + index * 2] = digits[Int(byte & 0x0F)]
            }
            return 2 + bytes.count * 2
        }
    }

    public init(postgresText text: String) throws(PostgresError) {
        var text = text
        let decoded: [UInt8]? = text.withUTF8 { utf8 in
            guard utf8.count >= 2, utf8.count % 2 == 0, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x")
            else { return nil }
            let count = (utf8.count - 2) / 2
            var failed = false
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                let table = Self.nibbles
                for index in 0..<count {
                    let high = table[Int(utf8[2 + index * 2])]
                    let low = table[Int(utf8[3 + index * 2])]
                    guard high | low < 0x10 else {
                        failed = true
                        break
                    }
                    buffer[index] = high << 4 | low
                    initialized = index + 1
                }
            }
            return failed ? nil : bytes
        }
        guard let decoded else { throw .decoding(text, as: PostgresBytes.self) }
        self.bytes = decoded
    }
}

extension PostgresBytes {
    /// Each byte's value as a hex digit, 0xFF for bytes that are not one.
    fileprivate static let nibbles: [UInt8] = (0...255).map { UInt8($0).hexNibble ?? 0xFF }
}

extension UInt8 {
    fileprivate var hexNibble: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A `json` / `jsonb` value, kept as its JSON text.
public struct PostgresJSON: PostgresEncodable, PostgresDecodable, Hashable {
    public var text: String
    public init(text: String) { self.text = text }

    /// Encodes `value` with `JSONEncoder` (sorted keys, so equal values give equal text).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    public var postgresText: String { text }
    public init(postgresText text: String) { self.text = text }
}

extension Date: PostgresEncodable, PostgresDecodable {
    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, always in UTC.
    public var postgresText: String { PostgresTimestamp.format(self) }

    public init(postgresText text: String) throws(PostgresError) {
        guard let date = PostgresTimestamp.parse(text) else { throw .decoding(text, as: Date.self) }
        self = date
    }
}

/// One-dimensional arrays of encodable elements, in PostgreSQL's array literal syntax.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    public var postgresText: String {
        "{" + map { PostgresArrayLiteral.quote($0.postgresText) }.joined(separator: ",") + "}"
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init(postgresText text: String) throws(PostgresError) {
        guard let elements = PostgresArrayLiteral.parse(text) else { throw .decoding(text, as: [Element].self) }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let element else { throw .decoding(text, as: [Element].self) }
            result.append(try Element(postgresText: element))
        }
        self = result
    }
}

/// A one-dimensional array whose elements may be NULL, for the columns of rows sent together
/// (`INSERT … SELECT … FROM unnest($1::text[], $2::timestamptz[], …)`): one parameter per
/// column rather than one per value.
public struct PostgresNullableArray<Element: PostgresEncodable>: PostgresEncodable {
    public var elements: [Element?]

    public init(_ elements: [Element?]) {
        self.elements = elements
    }

    public var postgresText: String {
        "{" + elements.map { $0.map { PostgresArrayLiteral.quote($0.postgresText) } ?? "NULL" }.joined(separator: ",")
            + "}"
    }
}

enum PostgresArrayLiteral {
    static func quote(_ element: String) -> String {
        let utf8 = element.utf8
        // Most elements (keys, phases, base64 of sealed text) need no escape at all.
        guard utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            return "\"" + element + "\""
        }
        var out = "\""
        for char in element {
            if char == "\"" || char == "\\" { out.append("\\") }
            out.append(char)
        }
        return out + "\""
    }

    /// Parses `{a,"b c",NULL}`; nested arrays are not supported.
    static func parse(_ text: String) -> [String?]? {
        var chars = text.unicodeScalars.makeIterator()
        guard chars.next() == "{" else { return nil }
        var elements: [String?] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        var sawAny = false
        while let char = chars.next() {
            if quoted {
                switch char {
                case "\\":
                    guard let escaped = chars.next() else { return nil }
                    current.unicodeScalars.append(escaped)
                case "\"": quoted = false
                default: current.unicodeScalars.append(char)
                }
                continue
            }
            switch char {
            case "\"":
                quoted = true
                wasQuoted = true
                sawAny = true
            case ",", "}":
                if sawAny || char == "," {
                    elements.append(!wasQuoted && current == "NULL" ? nil : current)
                }
                current = ""
                wasQuoted = false
                sawAny = false
                if char == "}" { return elements }
            case "{": return nil
            default:
                current.unicodeScalars.append(char)
                sawAny = true
            }
        }
        return nil
    }
}

/// Fast, locale-free conversion between `Date` and PostgreSQL's ISO timestamp text.
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int64((totalMicros / 1_000_000).rounded(.down))
        let micros = Int64(totalMicros) - seconds * 1_000_000
        var days = seconds / 86_400
        seconds -= days * 86_400
        if seconds < 0 {
            seconds += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2)) \(pad(seconds / 3600, 2)):"
            + "\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(micros, 6))+00"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]` (DateStyle ISO).
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<width {
                let byte = bytes[index + offset]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            index += width
            return value
        }
        func expect(_ char: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == char else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            expect(32) || expect(84), let hour = number(2), expect(58), let minute = number(2), expect(58),
            let second = number(2)
        else { return nil }
        var micros: Int64 = 0
        if expect(46) {
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        }
        var offset: Int64 = 0
        if index < bytes.count {
            if expect(90) {
                offset = 0
            } else {
                let sign: Int64
                if expect(43) { sign = 1 } else if expect(45) { sign = -1 } else { return nil }
                guard let offsetHours = number(2) else { return nil }
                var offsetSeconds = offsetHours * 3600
                if expect(58), let minutes = number(2) { offsetSeconds += minutes * 60 }
                if expect(58), let seconds = number(2) { offsetSeconds += seconds }
                offset = sign * offsetSeconds
            }
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    // Howard Hinnant's algorithms for the proleptic Gregorian calendar.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day)
    }
}
