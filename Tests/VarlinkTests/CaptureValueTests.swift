import Foundation
import IncidentCore
import IncidentProtocol
import Testing

/// Captures on the wire: JSON of each field's type, one parser of what people type, and the
/// deprecated string form still read.
@Suite struct CaptureValueTests {
    func decoded(_ json: String) throws -> CaptureValue {
        try JSONDecoder().decode(CaptureValue.self, from: Data(json.utf8))
    }

    @Test func eachTaggedFormDecodesAsItselfAndEncodesBack() throws {
        let cases: [(String, CaptureValue)] = [
            (#"{"integer":1200}"#, .integer(1200)), (#"{"boolean":true}"#, .boolean(true)),
            (#"{"text":"recalled"}"#, .text("recalled")),
            (#"{"list":["health","contact"]}"#, .list(["health", "contact"])),
            (#"{"counts":{"CN":1200}}"#, .counts(["CN": 1200])),
        ]
        for (json, value) in cases {
            #expect(try decoded(json) == value, "\(json)")
            #expect(String(decoding: try JSONEncoder().encode(value), as: UTF8.self) == json)
        }
        #expect(throws: DecodingError.self) { try decoded(#"{"integer": 1.5}"#) }
        #expect(throws: DecodingError.self) { try decoded(#"{"counts": {"CN": "many"}}"#) }
        #expect(throws: DecodingError.self) { try decoded(#"{"integer": 1, "boolean": true}"#) }
        #expect(throws: DecodingError.self) { try decoded("{}") }
        #expect(throws: DecodingError.self) { try decoded("1200") }
    }

    @Test func whatPeopleTypeIsTypedByTheField() {
        #expect(CaptureValue.parse("1200", as: .integer)! == (.integer(1200), false))
        #expect(CaptureValue.parse("~1200", as: .integer)! == (.integer(1200), true))
        #expect(CaptureValue.parse("yes", as: .boolean)! == (.boolean(true), false))
        #expect(CaptureValue.parse("cn:1200, DE:40", as: .counts)! == (.counts(["CN": 1200, "DE": 40]), false))
        #expect(CaptureValue.parse("~CN:1200", as: .counts)! == (.counts(["CN": 1200]), true))
        #expect(CaptureValue.parse("health,contact", as: .categories)! == (.list(["health", "contact"]), false))
        #expect(CaptureValue.parse("2026-05-01T09:30:00Z", as: .instant)! == (.text("2026-05-01T09:30:00Z"), false))
        #expect(CaptureValue.parse("many", as: .integer) == nil)
        #expect(CaptureValue.parse("maybe", as: .boolean) == nil)
        #expect(CaptureValue.parse("CN=1200", as: .counts) == nil)
        #expect(CaptureValue.parse("~yes", as: .boolean) == nil, "only counts are estimates")
    }

    @Test func theDaemonTakesTypedValuesAndStillReadsTheDeprecatedStrings() throws {
        func fact(
            _ value: CaptureValue,
            _ type: FieldDeclaration.FieldType,
            parsingText: Bool = false
        ) throws -> (FactValue, Bool) {
            let result = try value.fact(as: type, parsingText: parsingText).get()
            return (result.value, result.estimate)
        }
        #expect(try fact(.integer(1200), .integer) == (.number(1200), false))
        #expect(try fact(.boolean(false), .boolean) == (.bool(false), false))
        #expect(try fact(.counts(["cn": 3]), .counts) == (.counts(["CN": 3]), false))
        #expect(try fact(.list(["health"]), .categories(["health"])) == (.set(["health"]), false))
        #expect(try fact(.text("recalled"), .text) == (.text("recalled"), false))
        // 0.x's captures: text for every type, typed by the daemon, estimates written with ~.
        #expect(try fact(.text("~1200"), .integer, parsingText: true) == (.number(1200), true))
        #expect(try fact(.text("CN:1200"), .counts, parsingText: true) == (.counts(["CN": 1200]), false))
        #expect(try fact(.text("no"), .boolean, parsingText: true) == (.bool(false), false))
        // In values, a value of another type is refused with the form the field takes.
        #expect(throws: CaptureError(.integer)) { try CaptureValue.text("1200").fact(as: .integer).get() }
        #expect(throws: CaptureError(.boolean)) { try CaptureValue.integer(3).fact(as: .boolean).get() }
        #expect(throws: CaptureError(.integer)) { try CaptureValue.boolean(true).fact(as: .integer).get() }
        #expect(throws: CaptureError(.text)) { try CaptureValue.integer(1).fact(as: .text).get() }
        #expect(throws: CaptureError(.counts)) {
            try CaptureValue.text("many").fact(as: .counts, parsingText: true).get()
        }
        #expect(CaptureError(.boolean).description == "must be true or false")
    }
}
