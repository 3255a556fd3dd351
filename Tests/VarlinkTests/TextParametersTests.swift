import IncidentProtocol
import Testing
import Varlink

@Suite struct TextParametersTests {
    @Test func oneLineParametersRefuseWhatMultiLineOnesAllow() {
        #expect(TextParameters.firstControlCharacter(in: ["title": .string("a\nb")])?.path == "title")
        #expect(TextParameters.firstControlCharacter(in: ["description": .string("a\nb\tc")]) == nil)
        #expect(TextParameters.firstControlCharacter(in: ["description": .string("a\u{1B}b")])?.path == "description")
        #expect(
            TextParameters.firstControlCharacter(in: ["captures": .object(["rootCause": .string("line\nline")])]) == nil
        )
        #expect(
            TextParameters.firstControlCharacter(in: ["jurisdictions": .array([.string("DE"), .string("C\u{7}N")])])?
                .path
                == "jurisdictions[1]"
        )
        #expect(
            TextParameters.firstControlCharacter(in: ["captures": .object(["bad\u{1B}key": .string("v")])])?.path
                == "captures.bad\u{1B}key"
        )
    }

    @Test func aReplyIsMadeSafeForATerminalEverywhere() {
        let safe = TextParameters.terminalSafe([
            "incident": .object(["title": .string("x\u{1B}[2Jy"), "description": .string("keeps\nlines")]),
            "incidents": .array([.object(["title": .string("\u{9B}")])]),
            "reason": .string("why\n\u{07}"),
        ])
        #expect(safe["incident"]?["title"]?.stringValue == "x\u{241B}[2Jy")
        #expect(safe["incident"]?["description"]?.stringValue == "keeps\nlines")
        #expect(safe["reason"]?.stringValue == "why\n\u{2407}")
        guard case .array(let items)? = safe["incidents"] else {
            Issue.record("incidents lost")
            return
        }
        #expect(items.first?["title"]?.stringValue == "\u{FFFD}")
    }
}
