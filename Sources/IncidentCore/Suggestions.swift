/// "Did you mean …": the choices closest to what was typed, by edit distance, as git does for
/// a mistyped command.
public enum Suggestions {
    /// Up to `limit` of `choices` within a few edits of `typed` (more for longer words), closest
    /// first; a choice that starts with what was typed counts as close.
    public static func closest(to typed: String, in choices: some Sequence<String>, limit: Int = 3) -> [String] {
        let word = typed.lowercased()
        let allowed = max(2, word.count / 3)
        let scored = Set(choices).compactMap { choice -> (String, Int)? in
            let candidate = choice.lowercased()
            if candidate.hasPrefix(word), word.count >= 2 { return (choice, 0) }
            let distance = editDistance(word, candidate)
            return distance <= allowed ? (choice, distance) : nil
        }
        return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// Levenshtein distance, with a transposition of two neighbours counting as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](0...b.count)
        var previous = before
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            before = previous
            previous = current
        }
        return previous[b.count]
    }

    /// `; did you mean a or b?`, or nothing when there is nothing close.
    public static func sentence(for typed: String, in choices: some Sequence<String>) -> String {
        let close = closest(to: typed, in: choices)
        guard !close.isEmpty else { return "" }
        let listed = close.count == 1 ? close[0] : close.dropLast().joined(separator: ", ") + " or " + close.last!
        return "; did you mean \(listed)?"
    }
}
