import Foundation
import IncidentCore
import NIOCore
import Varlink

/// The code the fuzzers drive, one entry per target. The libFuzzer program in `Fuzz/` calls these
/// with each generated input; the test suite calls them with every committed corpus and
/// regression input, so a crash once found stays found.
///
/// Each entry goes beyond "does not crash": it checks what must hold of any input the parser
/// accepts (a decoded message encodes and decodes to itself, a parsed duration prints as it
/// parses, a condition and its negation disagree). A broken property is a crash, on purpose,
/// so that libFuzzer keeps the input.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case varlinkDecoder = "VarlinkDecoder"
    case playbookLoader = "PlaybookLoader"
    case conditionParser = "ConditionParser"
    case durationParser = "DurationParser"

    /// Runs one input; the name is the folder of its corpus under `Fuzz/`.
    public func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .varlinkDecoder: Self.varlinkDecoder(input)
        case .playbookLoader: Self.playbookLoader(input)
        case .conditionParser: Self.conditionParser(input)
        case .durationParser: Self.durationParser(input)
        }
    }
}

extension FuzzTarget {
    /// Bytes from a socket: framing on NUL, the nesting pre-scan, then the call decoder.
    private static func varlinkDecoder(_ bytes: UnsafeRawBufferPointer) {
        var buffer = ByteBuffer(bytes: bytes)
        var framer = VarlinkFrameDecoder(maximumMessageSize: 4096)
        while true {
            let message: ByteBuffer?
            do { message = try framer.nextMessage(&buffer) } catch { return }
            guard let message else { return }
            let body = message.readableBytesView
            guard let call = try? VarlinkCall(decoding: body) else {
                _ = try? VarlinkReply(decoding: body)
                continue
            }
            _ = call.interface
            _ = call.methodName
            guard let encoded = try? call.encoded() else { fail("a decoded call does not encode") }
            let again: VarlinkCall
            do { again = try VarlinkCall(decoding: encoded.dropLast()) } catch {
                fail("a decoded call does not decode after encoding: \(error)")
            }
            guard again == call else { fail("a call changed in an encode-decode round trip") }
        }
    }

    /// A whole playbook file. One that loads is also run through every phase.
    private static func playbookLoader(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        guard case .success(let playbook) = PlaybookLoader.load(text, file: "fuzz.yaml") else { return }
        exercise(playbook)
    }

    /// The `when:` of a task: the fuzzer writes the condition, a fixed playbook declares the
    /// fields it may read. The same bytes are also typed values for each kind of field
    /// (`US-CA:600,DE:40`, `health,contact`, …), as a person types them on the command line.
    private static func conditionParser(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        for type in fieldTypes {
            if let value = FactValue.parse(text, as: type) { _ = value.display }
        }
        let indented = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "          " + $0 }.joined(separator: "\n")
        guard case .success(let playbook) = PlaybookLoader.load(conditionPlaybook + indented + "\n", file: "fuzz.yaml"),
            let condition = playbook.plan(for: .report)?.tasks.first?.when
        else { return }
        for facts in sampleFacts {
            let truth = condition.evaluate(facts)
            let negated: Truth = truth == .unknown ? .unknown : truth == .true ? .false : .true
            guard Condition.not(condition).evaluate(facts) == negated,
                Condition.all([condition]).evaluate(facts) == truth,
                Condition.any([condition]).evaluate(facts) == truth,
                condition.holds(for: facts) == (truth == .true),
                (truth == .unknown) == !condition.undecided(facts).isEmpty
            else { fail("a condition and its negation or wrapping disagree, or an unknown names nothing undecided") }
        }
        _ = condition.fields
        exercise(playbook)
    }

    /// A deadline's length (`72h`, `4bd`): one that parses prints as itself and lands after
    /// its start, for every start.
    private static func durationParser(_ bytes: UnsafeRawBufferPointer) {
        guard let text = String(validating: bytes, as: UTF8.self), let duration = ClockDuration(parsing: text) else {
            return
        }
        guard ClockDuration(parsing: duration.description) == duration else {
            fail("a duration does not print as it parses")
        }
        for start in sampleStarts {
            let end = duration.added(to: start)
            guard end > start else { fail("\(duration) after \(start) is not later") }
        }
    }

    // MARK: - Fixtures

    private static func exercise(_ playbook: Playbook) {
        var state = CaseState(facts: sampleFacts[1])
        for phase in Phase.allCases {
            state.phase = phase
            state.facts.instants["phase:\(phase.rawValue)"] = sampleStarts[0]
            state = Workflow.evaluate(state, playbook: playbook, now: sampleStarts[0])
            _ = Workflow.blockers(state, playbook: playbook)
        }
    }

    private static let fieldTypes: [FieldDeclaration.FieldType] = [
        .integer, .boolean, .text, .instant, .choice(["a", "b"]), .categories(["health"]), .counts,
    ]

    private static let sampleStarts: [Date] = [
        Date(timeIntervalSince1970: 1_780_000_000),  // a Thursday
        Date(timeIntervalSince1970: 1_780_300_000),  // a Sunday
        Date(timeIntervalSince1970: 0),
    ]

    private static let sampleFacts: [CaseFacts] = {
        let instants = ["reported": sampleStarts[0], "aware": sampleStarts[0], "discovered": sampleStarts[0]]
        return [
            CaseFacts(instants: instants),
            CaseFacts(
                values: [
                    "severity": .text("high"), "dataCategories": .set(["health", "contact"]),
                    "jurisdictions": .set(["DE", "US-CA"]), "restricted": .bool(false),
                    "peopleAffected": .number(600), "recordsAffected": .number(1_000_000),
                    "notifiable": .bool(true), "count": .number(-3), "label": .text("x"),
                    "peopleAffectedIn": .counts(["US-CA": 600, "DE": 40, "FR": 500]),
                ],
                instants: instants
            ),
            CaseFacts(
                values: [
                    "severity": .text("low"), "dataCategories": .set([]), "jurisdictions": .set(["EU"]),
                    "notifiable": .bool(false), "peopleAffectedIn": .counts([:]),
                ],
                instants: instants
            ),
        ]
    }()

    private static let conditionPlaybook = """
        playbook: fuzz
        version: "1"
        title: Fuzz
        fields:
          notifiable: {type: boolean, decision: true}
          highRisk: {type: boolean, decision: true}
          material: {type: boolean, decision: true}
          significantHarm: {type: boolean, decision: true}
          nis2Entity: {type: boolean}
          secRegistrant: {type: boolean}
          encrypted: {type: boolean}
          count: {type: integer}
          label: {type: text}
          seen: {type: instant}
          kind: {type: choice, values: [a, b]}
        phases:
          report:
            tasks:
              - id: fuzzed
                title: Fuzzed
                role: manager
                when:

        """

    private static func fail(_ message: String) -> Never {
        fatalError("fuzz property broken: \(message)")
    }
}
