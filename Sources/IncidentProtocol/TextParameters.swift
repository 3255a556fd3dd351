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
    /// Runs on every call the daemon decodes, so it only reads: the path is built on the way
    /// back out, for the one string found.
    public static func firstControlCharacter(
        in parameters: [String: JSONValue]
    ) -> (path: String, scalar: Unicode.Scalar)? {
        func search(_ value: JSONValue, multiLine: Bool) -> (path: String, scalar: Unicode.Scalar)? {
            switch value {
            case .string(let text):
                return ControlCharacters.first(in: text, multiLine: multiLine).map { ("", $0) }
            case .array(let items):
                for (index, item) in items.enumerated() {
                    if let found = search(item, multiLine: multiLine) {
                        return ("[\(index)]" + found.path, found.scalar)
                    }
                }
            case .object(let members):
                for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                    if let scalar = ControlCharacters.first(in: key, multiLine: false) { return ("." + key, scalar) }
                    if let found = search(member, multiLine: multiLine || self.multiLine.contains(key)) {
                        return ("." + key + found.path, found.scalar)
                    }
                }
            default:
                break
            }
            return nil
        }
        return search(.object(parameters), multiLine: false).map { (String($0.path.dropFirst()), $0.scalar) }
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
        _ value: JSONValue,
        path: String,
        multiLine: Bool,
        _ transform: (String, String, Bool) -> String
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
                result[safeKey] = visit(
                    member,
                    path: memberPath,
                    multiLine: multiLine || self.multiLine.contains(key),
                    transform
                )
            }
            return .object(result)
        default:
            return value
        }
    }
}
