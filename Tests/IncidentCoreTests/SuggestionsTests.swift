import IncidentCore
import Testing

/// "Did you mean …": close by edits or by prefix, closest first, nothing for what is far off.
@Suite struct SuggestionsTests {
    static let commands = ["report", "show", "list", "status", "watch", "stats", "task", "notice", "evidence"]

    @Test(arguments: [
        ("shwo", ["show"]), ("stauts", ["stats", "status"]), ("evidnce", ["evidence"]), ("sta", ["stats", "status"]),
        ("zzzzzzz", []), ("", []),
    ])
    func theClosestCommandsAreSuggested(typed: String, expected: [String]) {
        #expect(Suggestions.closest(to: typed, in: Self.commands) == expected)
    }

    @Test func aTaskIdOneTranspositionAwayIsFound() {
        let ids = ["scope", "contain", "assess-notifiability", "gdpr-authority"]
        #expect(Suggestions.closest(to: "scpoe", in: ids) == ["scope"])
        #expect(Suggestions.closest(to: "gdpr-authorty", in: ids) == ["gdpr-authority"])
        #expect(Suggestions.sentence(for: "contian", in: ids) == "; did you mean contain?")
        #expect(Suggestions.sentence(for: "nothing-like-it", in: ids) == "")
    }
}
