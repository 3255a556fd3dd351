import Testing

@testable import IncidentCore

@Suite struct ControlCharactersTests {
    @Test(
        arguments: [
            ("plain title", false, nil),
            ("中文标题 with ü", false, nil),
            ("two\nlines", false, "U+000A"),
            ("two\nlines\tand a tab", true, nil),
            ("escape \u{1B}[2J", true, "U+001B"),
            ("bell \u{07}", false, "U+0007"),
            ("delete \u{7F}", true, "U+007F"),
            ("C1 CSI \u{9B}", true, "U+009B"),
            ("override \u{202E}txt", false, "U+202E"),
            ("isolate \u{2066}x", true, "U+2066"),
            ("carriage\r\nreturn", true, "U+000D"),
        ] as [(String, Bool, String?)]
    )
    func theFirstControlCharacterIsFound(text: String, multiLine: Bool, expected: String?) {
        #expect(ControlCharacters.first(in: text, multiLine: multiLine).map(ControlCharacters.name) == expected)
    }

    @Test func sanitisingLeavesVisibleStandInsAndKeepsText() {
        #expect(ControlCharacters.sanitized("a\u{1B}]0;owned\u{07}b", multiLine: false) == "a\u{241B}]0;owned\u{2407}b")
        #expect(ControlCharacters.sanitized("x\u{9B}y\u{7F}", multiLine: false) == "x\u{FFFD}y\u{2421}")
        #expect(ControlCharacters.sanitized("keeps\nlines", multiLine: true) == "keeps\nlines")
        #expect(ControlCharacters.sanitized("one\nline", multiLine: false) == "one\u{240A}line")
        let clean = "中文 and plain"
        #expect(ControlCharacters.sanitized(clean, multiLine: false) == clean)
        for scalar in ControlCharacters.sanitized("\u{0}\u{1}\u{1F}\u{80}\u{9F}\u{202A}", multiLine: true)
            .unicodeScalars
        {
            #expect(!ControlCharacters.isControl(scalar, multiLine: false))
        }
    }
}
