import Foundation
import IncidentCore

/// The type of a playbook field on the wire, as the case file says it (`fieldTypes`), so a
/// client can send each capture as a value of that type.
public enum CaptureType: String, Codable, Sendable, CaseIterable {
    /// Sent as `{"integer": 1200}`.
    case integer
    /// Sent as `{"boolean": true}`.
    case boolean
    /// Sent as `{"text": "…"}`.
    case text
    /// Sent as text, an ISO 8601 instant such as `2026-05-01T09:30:00Z`.
    case instant
    /// Sent as text, one of the field's choices.
    case choice
    /// Sent as `{"list": ["health", "contact"]}`.
    case categories
    /// Sent as `{"counts": {"CN": 1200}}`: people per jurisdiction.
    case counts

    public init(_ type: FieldDeclaration.FieldType) {
        switch type {
        case .integer: self = .integer
        case .boolean: self = .boolean
        case .text: self = .text
        case .instant: self = .instant
        case .choice: self = .choice
        case .categories: self = .categories
        case .counts: self = .counts
        }
    }

    /// What a person types for a field of this type, for messages.
    public var example: String {
        switch self {
        case .integer: "a whole number such as 1200 (~1200 for an estimate)"
        case .boolean: "true or false"
        case .text, .choice: "text"
        case .instant: "an instant such as 2026-05-01T09:30:00Z"
        case .categories: "a list such as health,contact"
        case .counts: "counts such as CN:1200,DE:40 (~ before one for an estimate)"
        }
    }
}

/// One captured field's value on the wire (`CompleteTask`'s `values`), tagged with its type
/// so the interface describes it: `{"integer": 1200}`, `{"boolean": true}`, `{"text": "…"}`,
/// `{"list": ["health"]}`, `{"counts": {"CN": 1200}}`, exactly one of them.
///
/// `CompleteTask`'s `captures`, a string for every field, is the form of earlier releases: the
/// daemon still parses each as a person would type it (`"~1200"`, `"CN:1200,DE:40"`,
/// `"true"`), and it is deprecated (docs/playbooks.md).
public enum CaptureValue: Codable, Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case boolean(Bool)
    case list([String])
    case counts([String: Int64])

    private enum Tag: String, CodingKey, CaseIterable {
        case text, integer, boolean, list, counts
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Tag.self)
        guard container.allKeys.count == 1, let tag = container.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "must have exactly one of integer, boolean, text, list or counts"
                )
            )
        }
        switch tag {
        case .text: self = .text(try container.decode(String.self, forKey: tag))
        case .integer: self = .integer(try container.decode(Int64.self, forKey: tag))
        case .boolean: self = .boolean(try container.decode(Bool.self, forKey: tag))
        case .list: self = .list(try container.decode([String].self, forKey: tag))
        case .counts: self = .counts(try container.decode([String: Int64].self, forKey: tag))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Tag.self)
        switch self {
        case .text(let text): try container.encode(text, forKey: .text)
        case .integer(let number): try container.encode(number, forKey: .integer)
        case .boolean(let flag): try container.encode(flag, forKey: .boolean)
        case .list(let list): try container.encode(list, forKey: .list)
        case .counts(let counts): try container.encode(counts, forKey: .counts)
        }
    }

    /// What a person typed (`--set name=value`) for a field of `type`, and whether it was an
    /// estimate (`~1200`); nil when it is not a value of that type. The one parser of typed
    /// text, for incidentctl and for the deprecated string form alike.
    public static func parse(_ text: String, as type: CaptureType) -> (value: CaptureValue, estimate: Bool)? {
        guard let (fact, estimate) = FactValue.parseEstimate(text, as: type.fieldType) else { return nil }
        return (CaptureValue(fact), estimate)
    }

    init(_ fact: FactValue) {
        switch fact {
        case .text(let text): self = .text(text)
        case .number(let number): self = .integer(number)
        case .bool(let flag): self = .boolean(flag)
        case .set(let values): self = .list(values)
        case .instant(let date): self = .text(date.formatted(Date.ISO8601FormatStyle()))
        case .counts(let counts): self = .counts(counts)
        }
    }

    /// The value as the workflow takes it for a field of `type`, and whether it is an estimate
    /// (`~1200`, only in `parsingText`); or why it is not a value of that type. With
    /// `parsingText` (the deprecated `captures`), text for any type is parsed as typed text.
    public func fact(
        as type: FieldDeclaration.FieldType,
        parsingText: Bool = false
    ) -> Result<(value: FactValue, estimate: Bool), CaptureError> {
        let wanted = CaptureType(type)
        switch (self, wanted) {
        case (.integer(let number), .integer): return .success((.number(number), false))
        case (.boolean(let flag), .boolean): return .success((.bool(flag), false))
        case (.list(let values), .categories): return .success((.set(values), false))
        case (.counts(let counts), .counts):
            let upper = Dictionary(counts.map { ($0.key.uppercased(), $0.value) }) { first, _ in first }
            return .success((.counts(upper), false))
        case (.text(let text), _) where parsingText:
            guard let (value, estimate) = FactValue.parseEstimate(text, as: type) else {
                return .failure(CaptureError(wanted))
            }
            return .success((value, estimate))
        case (.text(let text), .text), (.text(let text), .choice), (.text(let text), .instant):
            guard let value = FactValue.parse(text, as: type) else { return .failure(CaptureError(wanted)) }
            return .success((value, false))
        default: return .failure(CaptureError(wanted))
        }
    }
}

/// A capture that is not a value of its field's type.
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    public let expected: CaptureType

    public init(_ expected: CaptureType) { self.expected = expected }

    public var description: String { "must be \(expected.example)" }
}

extension CaptureType {
    var fieldType: FieldDeclaration.FieldType {
        switch self {
        case .integer: .integer
        case .boolean: .boolean
        case .text: .text
        case .instant: .instant
        case .choice: .choice([])
        case .categories: .categories([])
        case .counts: .counts
        }
    }
}
