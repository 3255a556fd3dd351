/// An incident's human-facing reference, `INC-2026-000123`.
public struct IncidentReference: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts `INC-YYYY-NNNNNN` (six or more digits), case-insensitively.
    public init?(rawValue: String) {
        let text = rawValue.uppercased()
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "INC", parts[1].count == 4, parts[2].count >= 6,
            parts[1].allSatisfy(\.isASCIIDigit), parts[2].allSatisfy(\.isASCIIDigit)
        else { return nil }
        self.rawValue = text
    }

    public init(year: Int, number: Int64) {
        let digits = String(number)
        let yearText = String(year)
        rawValue = "INC-\(yearText)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = IncidentReference(rawValue: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "\(text) is not a reference like INC-2026-000001"
                )
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
