import Testing

@testable import Varlink

@Suite struct InterfaceTests {
    static let example = VarlinkInterface(
        name: "org.example.Things",
        doc: "Things to test with.",
        types: [
            .init("Colour", .enumeration(["red", "green"])),
            .init("Filter", .structure([.init("colour", .named("Colour")), .init("limit", .optional(.int))])),
        ],
        methods: [
            .init(
                "Find",
                input: [
                    .init("name", .string),
                    .init("count", .optional(.int)),
                    .init("filter", .optional(.named("Filter"))),
                    .init("tags", .optional(.array(.string))),
                    .init("weights", .optional(.map(.float))),
                    .init("exact", .optional(.bool)),
                ],
                output: [.init("found", .array(.string))],
                doc: "Find things."
            )
        ],
        errors: [.init("NotFound", parameters: [.init("name", .string)])]
    )

    var find: VarlinkInterface.Method { Self.example.method(named: "Find")! }

    func validate(_ parameters: [String: JSONValue]) throws(VarlinkError) {
        try Self.example.validate(parameters, for: find)
    }

    @Test func rendersTheInterfaceDescription() {
        #expect(
            Self.example.description == """
                # Things to test with.
                interface org.example.Things

                type Colour (red, green)

                type Filter (
                  colour: Colour,
                  limit: ?int
                )

                # Find things.
                method Find(
                  name: string,
                  count: ?int,
                  filter: ?Filter,
                  tags: ?[]string,
                  weights: ?[string]float,
                  exact: ?bool
                ) -> (found: []string)

                error NotFound (name: string)

                """
        )
    }

    @Test func acceptsValidParameters() throws {
        try validate([
            "name": .string("x"), "count": .integer(3), "filter": .object(["colour": .string("red")]),
            "tags": .array([.string("a")]), "weights": .object(["a": .double(0.5), "b": .integer(1)]),
            "exact": .bool(true),
        ])
        try validate(["name": .string("x"), "count": .null])
        try validate(["name": .string("x"), "count": .double(3.0)])
    }

    @Test(arguments: [
        ([String: JSONValue](), "name"),
        (["name": .integer(1)], "name"),
        (["name": .null], "name"),
        (["name": .string("x"), "count": .string("3")], "count"),
        (["name": .string("x"), "count": .double(3.5)], "count"),
        (["name": .string("x"), "surprise": .bool(true)], "surprise"),
        (["name": .string("x"), "filter": .object(["colour": .string("blue")])], "filter.colour"),
        (["name": .string("x"), "filter": .object([:])], "filter.colour"),
        (["name": .string("x"), "filter": .object(["colour": .string("red"), "x": .null])], "filter.x"),
        (["name": .string("x"), "tags": .array([.string("a"), .integer(2)])], "tags[1]"),
        (["name": .string("x"), "tags": .string("a")], "tags"),
        (["name": .string("x"), "weights": .object(["a": .string("heavy")])], "weights.a"),
        (["name": .string("x"), "exact": .string("true")], "exact"),
    ])
    func namesTheInvalidParameter(parameters: [String: JSONValue], expected: String) {
        #expect(throws: VarlinkError.invalidParameter(expected)) {
            try validate(parameters)
        }
    }

    @Test func repliesAreCheckedAgainstTheMethodsOutput() throws {
        try Self.example.validate(reply: ["found": .array([.string("a")])], for: find)
        #expect(throws: VarlinkError.invalidParameter("found")) { try Self.example.validate(reply: [:], for: find) }
        #expect(throws: VarlinkError.invalidParameter("extra")) {
            try Self.example.validate(reply: ["found": .array([]), "extra": .bool(true)], for: find)
        }
        #expect(throws: VarlinkError.invalidParameter("found[0]")) {
            try Self.example.validate(reply: ["found": .array([.integer(1)])], for: find)
        }
        try Self.example.validate(.object(["colour": .string("green")]), asType: "Filter")
        #expect(throws: VarlinkError.invalidParameter("Filter.colour")) {
            try Self.example.validate(.object(["colour": .string("blue")]), asType: "Filter")
        }
    }
}
