import Testing

@testable import Varlink

@Suite struct MessageTests {
    @Test func decodesACall() throws {
        let call = try VarlinkCall(
            decoding: Array(
                #"{"method":"io.incidentd.Incidents.Get","parameters":{"reference":"INC-2026-000001"},"more":true}"#
                    .utf8
            )
        )
        #expect(call.interface == "io.incidentd.Incidents")
        #expect(call.methodName == "Get")
        #expect(call.parameters["reference"] == JSONValue.string("INC-2026-000001"))
        #expect(call.more)
        #expect(!call.oneway)
    }

    @Test func parametersMayBeAbsent() throws {
        let call = try VarlinkCall(decoding: Array(#"{"method":"org.varlink.service.GetInfo"}"#.utf8))
        #expect(call.parameters.isEmpty)
    }

    @Test(arguments: [
        ("{\"method\":", VarlinkProtocolError.Code.malformedJSON),
        ("\u{FF}\u{FE}", .malformedJSON),
        ("[1,2]", .malformedCall),
        ("\"text\"", .malformedCall),
        ("{}", .malformedCall),
        ("{\"method\":42}", .malformedCall),
        ("{\"method\":\"a.B\",\"parameters\":[]}", .malformedCall),
        ("{\"method\":\"a.B\",\"more\":\"yes\"}", .malformedCall),
        ("{\"method\":\"a.B\",\"surprise\":1}", .malformedCall),
    ])
    func refusesMalformedMessages(text: String, code: VarlinkProtocolError.Code) {
        #expect(throws: VarlinkProtocolError(code: code, reason: "")) {
            do throws(VarlinkProtocolError) {
                _ = try VarlinkCall(decoding: Array(text.utf8))
            } catch {
                throw VarlinkProtocolError(code: error.code, reason: "")
            }
        }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: VarlinkProtocolError.self) {
            _ = try VarlinkCall(decoding: [0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D])
        }
    }

    @Test func encodesAReplyWithNULTerminator() throws {
        let bytes = try VarlinkReply(parameters: ["ok": .bool(true)]).encoded()
        #expect(bytes.last == 0)
        #expect(String(decoding: bytes.dropLast(), as: UTF8.self) == #"{"parameters":{"ok":true}}"#)
    }

    @Test func encodesAnErrorReply() throws {
        let bytes = try VarlinkReply(error: .invalidParameter("title")).encoded()
        #expect(
            String(decoding: bytes.dropLast(), as: UTF8.self)
                == #"{"error":"org.varlink.service.InvalidParameter","parameters":{"parameter":"title"}}"#
        )
    }

    @Test func replyRoundTrips() throws {
        let reply = VarlinkReply(parameters: ["n": .integer(3)], continues: true)
        let decoded = try VarlinkReply(decoding: try reply.encoded().dropLast())
        #expect(decoded == reply)
    }

    @Test func integersSurviveAsIntegers() throws {
        let call = try VarlinkCall(decoding: Array(#"{"method":"a.B","parameters":{"n":9007199254740993}}"#.utf8))
        #expect(call.parameters["n"] == JSONValue.integer(9_007_199_254_740_993))
    }

    @Test func everyKindOfValueDecodesAsItself() throws {
        let text =
            #"{"method":"a.B","parameters":{"s":"1","t":true,"i":1,"d":1.5,"z":null,"a":[1,"x",false],"o":{"k":[{}]}}}"#
        let call = try VarlinkCall(decoding: Array(text.utf8))
        let expected: [String: JSONValue] = [
            "s": .string("1"), "t": .bool(true), "i": .integer(1), "d": .double(1.5), "z": .null,
            "a": .array([.integer(1), .string("x"), .bool(false)]), "o": .object(["k": .array([.object([:])])]),
        ]
        #expect(call.parameters == expected)
    }
}

@Suite struct NestingLimitTests {
    func call(depth: Int) -> String {
        #"{"method":"a.b.C","parameters":{"x":"# + String(repeating: "[", count: depth)
            + String(repeating: "]", count: depth) + "}}"
    }

    @Test func callsNestingDeeperThanTheLimitAreRefusedBeforeDecoding() throws {
        // The call's own object and parameters take two levels.
        _ = try VarlinkCall(decoding: Array(call(depth: VarlinkCall.maximumNesting - 2).utf8))
        #expect(throws: VarlinkProtocolError.self) {
            try VarlinkCall(decoding: Array(call(depth: VarlinkCall.maximumNesting - 1).utf8))
        }
        #expect(throws: VarlinkProtocolError.self) { try VarlinkCall(decoding: Array(call(depth: 1_000_000).utf8)) }
    }

    @Test func bracketsInsideStringsDoNotCount() throws {
        let text = #"{"method":"a.b.C","parameters":{"x":""# + String(repeating: "[{\\\"", count: 500) + #""}}"#
        let parsed = try VarlinkCall(decoding: Array(text.utf8))
        #expect(parsed.parameters["x"]?.stringValue?.count == 1500)
    }
}

/// Parameters decode straight from the bytes a call arrived in, with the same results and the
/// same error paths as from its values.
@Suite struct ParameterDecodingTests {
    struct Parameters: Decodable, Equatable {
        var title: String
        var tags: [String]
        var limit: Int?
    }

    func received(_ json: String) throws -> VarlinkCall {
        try VarlinkCall(decoding: Array(json.utf8))
    }

    @Test func fromBytesAndFromValuesAgree() throws {
        let call = try received(#"{"method": "a.b.C", "parameters": {"title": "t", "tags": ["x", "y"], "limit": 3}}"#)
        let built = VarlinkCall(method: "a.b.C", parameters: call.parameters)
        #expect(try call.decodeParameters(Parameters.self) == Parameters(title: "t", tags: ["x", "y"], limit: 3))
        #expect(try built.decodeParameters(Parameters.self) == call.decodeParameters(Parameters.self))
        #expect(call == built, "how a call arrived does not make it a different call")
    }

    @Test func errorsNameThePathInsideTheParameters() throws {
        let call = try received(#"{"method": "a.b.C", "parameters": {"title": "t", "tags": ["x", 2]}}"#)
        do {
            _ = try call.decodeParameters(Parameters.self)
            Issue.record("a number was accepted as a tag")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue } == ["tags", "1"])
        }
        let missing = try received(#"{"method": "a.b.C", "parameters": {"tags": []}}"#)
        do {
            _ = try missing.decodeParameters(Parameters.self)
            Issue.record("a missing title was accepted")
        } catch let DecodingError.keyNotFound(key, context) {
            #expect(key.stringValue == "title")
            #expect(context.codingPath.isEmpty)
        }
    }
}

@Suite struct InstantTests {
    @Test(arguments: [
        "2026-05-01T09:30:00.123Z", "2026-05-01T09:30:00.001Z", "2026-05-01T09:30:00.999Z", "2026-05-01T09:30:00Z",
        "2024-02-29T23:59:59.100Z",
    ])
    func instantsRoundTripToTheMillisecond(text: String) throws {
        let instant = try #require(VarlinkJSON.parseInstant(text))
        #expect(VarlinkJSON.formatInstant(instant) == text)
    }
}
