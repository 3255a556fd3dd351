import IncidentCore
import Varlink

/// Which strings on the wire may run over several lines. The daemon refuses control characters
/// in every other string it is sent; incidentctl replaces them in every string it is sent back.
public enum TextParameters {
    /// Members whose text (and, for maps and lists, whose values) may hold newlines and tabs:
    /// descriptions, notes, reasons, captured facts, documents. Titles, names, keys and
    /// references are one line.
    public static let multiLine: Set<String> = [
        "description", "text", "reason", "lateReason", "resolution", "lessonsLearned", "captures", "facts", "source",
        "force", "document", "data", "detail", "lastError", "value",
    ]

    /// The first string in `parameters` that holds a control character, by its dotted path.
    public static func firstControlCharacter(in parameters: [String: JSONValue]) -> (path: String, scalar: Unicode.Scalar)? {
        var found: (String, Unicode.Scalar)?
        visit(.object(parameters), path: "", multiLine: false) { text, path, multiLine in
            guard found == nil, let scalar = ControlCharacters.first(in: text, multiLine: multiLine) else { return text }
            found = (path, scalar)
            return text
        }
        return found
    }

    /// `parameters` with every control character replaced by a visible stand-in (newlines and
    /// tabs kept in multi-line members), so nothing a person typed reaches a terminal raw.
    public static func terminalSafe(_ parameters: [String: JSONValue]) -> [String: JSONValue] {
        visit(.object(parameters), path: "", multiLine: false) { text, _, multiLine in
            ControlCharacters.sanitized(text, multiLine: multiLine)
        }.objectValue ?? [:]
    }

    /// Rebuilds `value`, passing every string (object keys as one-line text) through `transform`.
    private static func visit(
        _ value: JSONValue, path: String, multiLine: Bool, _ transform: (String, String, Bool) -> String
    ) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(transform(text, path, multiLine))
        case .array(let items):
            return .array(items.enumerated().map { visit($1, path: "\(path)[\($0)]", multiLine: multiLine, transform) })
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                let safeKey = transform(key, memberPath, false)
                result[safeKey] = visit(member, path: memberPath, multiLine: multiLine || self.multiLine.contains(key), transform)
            }
            return .object(result)
        default:
            return value
        }
    }
}
