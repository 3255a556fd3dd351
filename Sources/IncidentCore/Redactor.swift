import Foundation

/// Masks personal data in free text, for case files shared outside the team: e-mail
/// addresses, card and account numbers (IBANs), ID numbers, phone numbers, and names — those
/// the case file knows (reporter, assignee, whoever acted), those after a title (Mr, Ms,
/// Dr …), and any run of two or three capitalised words ("Alice Example"), which also masks
/// some place and product names: erring towards masking. Dates, times and incident references
/// are kept, so the file still reads as a case file. Pattern-based: a single lower-case or
/// unusual name can slip through, so read a redacted export before you send it.
public struct Redactor: Sendable {
    /// Names to mask wherever they appear (at least three characters).
    public let names: [String]

    public init(names: [String] = []) {
        self.names = Array(Set(names.filter { $0.count >= 3 })).sorted { $0.count > $1.count }
    }

    /// Kept as they are: instants and dates, times, incident references.
    nonisolated(unsafe) static let kept = /INC-\d{4}-\d{6}|\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\b\d{1,2}:\d{2}(?::\d{2})?\b/
    nonisolated(unsafe) static let email = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/
    nonisolated(unsafe) static let iban = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/
    nonisolated(unsafe) static let card = /\b\d(?:[ -]?\d){12,18}\b/
    nonisolated(unsafe) static let ssn = /\b\d{3}-\d{2}-\d{4}\b/
    nonisolated(unsafe) static let phone = /(?:\+|\b00)\d{1,3}[ .\/-]?(?:\(\d{1,4}\)[ .\/-]?)?\d{2,4}(?:[ .\/-]?\d{2,4}){1,4}\b|\(\d{2,5}\) ?\d{3,4}[ .-]?\d{3,4}\b|\b0\d{2,4}[ \/-]\d{3,4}[ -]?\d{2,5}\b/
    nonisolated(unsafe) static let longNumber = /\b\d{6,}\b/
    nonisolated(unsafe) static let titled = /\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Frau|Mme|M)\.? [A-Z][\p{L}'-]+(?: [A-Z][\p{L}'-]+)?/
    nonisolated(unsafe) static let capitalisedRun = /\b\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+){1,2}\b/

    public func redact(_ text: String) -> String {
        // Set aside what must survive, mask, then put it back.
        var kept: [String] = []
        var result = text.replacing(Self.kept) { match in
            kept.append(String(match.output))
            return "\u{E000}\(kept.count - 1)\u{E001}"
        }
        result = result.replacing(Self.email, with: "[email]")
        result = result.replacing(Self.iban, with: "[account number]")
        result = result.replacing(Self.ssn, with: "[ID number]")
        result = result.replacing(Self.card, with: "[card or account number]")
        result = result.replacing(Self.phone, with: "[phone]")
        result = result.replacing(Self.longNumber, with: "[number]")
        result = result.replacing(Self.titled, with: "[name]")
        result = result.replacing(Self.capitalisedRun, with: "[name]")
        for name in names {
            result = result.replacingOccurrences(of: name, with: "[name]", options: [.caseInsensitive])
        }
        for (index, original) in kept.enumerated() {
            result = result.replacingOccurrences(of: "\u{E000}\(index)\u{E001}", with: original)
        }
        return result
    }
}
