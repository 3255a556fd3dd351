import Foundation

/// A declarative condition on an incident's facts — equality and membership, thresholds,
/// data categories, decisions, and all/any/not — never a general expression language.
public indirect enum Condition: Sendable, Equatable {
    case all([Condition])
    case any([Condition])
    case not(Condition)
    /// The field's value is one of these (`severity: {in: [high, critical]}`).
    case isIn(field: String, values: [String])
    /// A set-valued field contains this value (`jurisdictions: {includes: EU}`).
    case includes(field: String, value: String)
    /// A set-valued field shares at least one value (`dataCategories: {any: [health, financial]}`).
    case includesAny(field: String, values: [String])
    /// A set-valued field contains every value.
    case includesAll(field: String, values: [String])
    /// A number is at least this (`peopleAffected: {atLeast: 500}`); false when unknown.
    case atLeast(field: String, value: Int64)
    /// A number is below this; false when unknown.
    case below(field: String, value: Int64)
    /// A boolean (a decision) is this; false when not yet decided.
    case isBool(field: String, value: Bool)
    /// The field has a value at all.
    case known(field: String)
    /// Some single jurisdiction of a counts field reaches this number; `within: US` looks only
    /// at US states (`peopleAffectedIn: {anyAtLeast: 500, within: US}` — HIPAA's media rule).
    case anyCountAtLeast(field: String, value: Int64, within: String?)
    /// The instant is on the timeline; never unknown. Not written in playbooks: a supplementary
    /// notice's task opens with it (``TaskPlan/supplement``).
    case recorded(instant: String)

    /// Every field the condition reads, for the loader to check.
    public var fields: [String] {
        switch self {
        case .all(let conditions), .any(let conditions): return conditions.flatMap(\.fields)
        case .not(let condition): return condition.fields
        case .isIn(let field, _), .includes(let field, _), .includesAny(let field, _), .includesAll(let field, _),
            .atLeast(let field, _), .below(let field, _), .isBool(let field, _), .known(let field),
            .anyCountAtLeast(let field, _, _):
            return [field]
        case .recorded: return []
        }
    }

    /// Whether the condition holds: only when it is true, never while it is unknown.
    public func holds(for facts: CaseFacts) -> Bool {
        evaluate(facts) == .true
    }

    /// The condition's truth in three values: a comparison on a fact not yet captured (a
    /// decision not taken, a count not known) is unknown, and `all`, `any` and `not` follow
    /// Kleene's logic, so an obligation that may apply is never taken for one that does not.
    public func evaluate(_ facts: CaseFacts) -> Truth {
        func known<T>(_ value: T?, _ test: (T) -> Bool) -> Truth {
            guard let value else { return .unknown }
            return test(value) ? .true : .false
        }
        switch self {
        case .all(let conditions): return Self.combine(conditions, facts, decidedBy: .false, otherwise: .true)
        case .any(let conditions): return Self.combine(conditions, facts, decidedBy: .true, otherwise: .false)
        case .not(let condition): return condition.evaluate(facts).negated
        case .isIn(let field, let values): return known(facts.value(of: field)?.text) { values.contains($0) }
        case .includes(let field, let value): return known(facts.value(of: field)?.set) { $0.contains(value) }
        case .includesAny(let field, let values):
            return known(facts.value(of: field)?.set) { set in values.contains(where: set.contains) }
        case .includesAll(let field, let values):
            return known(facts.value(of: field)?.set) { set in values.allSatisfy(set.contains) }
        case .atLeast(let field, let value): return known(facts.value(of: field)?.number) { $0 >= value }
        case .below(let field, let value): return known(facts.value(of: field)?.number) { $0 < value }
        case .isBool(let field, let value): return known(facts.value(of: field)?.bool) { $0 == value }
        case .known(let field): return facts.value(of: field) != nil ? .true : .false
        case .anyCountAtLeast(let field, let value, let within):
            guard case .counts(let counts)? = facts.value(of: field) else { return .unknown }
            return counts.contains { key, count in count >= value && (within.map { key.hasPrefix($0 + "-") } ?? true) }
                ? .true : .false
        case .recorded(let instant): return facts.instants[instant] != nil ? .true : .false
        }
    }

    /// `decidedBy` as soon as one condition gives it; else unknown if one is, else `otherwise`.
    /// Evaluated for every task on every pass of the workflow: no array per evaluation.
    private static func combine(
        _ conditions: [Condition],
        _ facts: CaseFacts,
        decidedBy deciding: Truth,
        otherwise: Truth
    ) -> Truth {
        var result = otherwise
        for condition in conditions {
            let value = condition.evaluate(facts)
            if value == deciding { return deciding }
            if value == .unknown { result = .unknown }
        }
        return result
    }

    /// The facts still unknown that the condition's value waits on: what would settle it.
    public func undecided(_ facts: CaseFacts) -> [String] {
        guard evaluate(facts) == .unknown else { return [] }
        switch self {
        case .all(let conditions), .any(let conditions):
            var fields: [String] = []
            for field in conditions.flatMap({ $0.undecided(facts) }) where !fields.contains(field) {
                fields.append(field)
            }
            return fields
        case .not(let condition): return condition.undecided(facts)
        default: return fields
        }
    }
}

/// A condition's value when facts may still be unknown.
public enum Truth: Sendable, Equatable {
    case `true`, `false`, unknown

    var negated: Truth {
        switch self {
        case .true: .false
        case .false: .true
        case .unknown: .unknown
        }
    }
}

/// A value of one of an incident's facts. Encoded as a one-key object naming its kind:
/// `{"number": 600}`, `{"counts": {"US-CA": 600}}`.
public enum FactValue: Sendable, Hashable {
    case text(String)
    case number(Int64)
    case bool(Bool)
    case set([String])
    case instant(Date)
    /// Counts per jurisdiction (`peopleAffectedIn`).
    case counts([String: Int64])

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// What a person typed, and whether it is an estimate: `~1200` and `~DE:900,FR:300` are
    /// estimates of a count; other values cannot be (nil then).
    public static func parseEstimate(
        _ text: String,
        as type: FieldDeclaration.FieldType
    ) -> (value: FactValue, estimate: Bool)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("~") else { return parse(trimmed, as: type).map { ($0, false) } }
        switch type {
        case .integer, .counts: return parse(String(trimmed.dropFirst()), as: type).map { ($0, true) }
        default: return nil
        }
    }

    /// Parses what a person typed for a field of `type`: `true`, `600`, `health,contact`,
    /// `US-CA:600,DE:40`, `2026-05-01T09:30:00Z`.
    public static func parse(_ text: String, as type: FieldDeclaration.FieldType) -> FactValue? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch type {
        case .integer: return Int64(trimmed).map(FactValue.number)
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "yes": return .bool(true)
            case "false", "no": return .bool(false)
            default: return nil
            }
        case .text, .choice: return trimmed.isEmpty ? nil : .text(trimmed)
        case .instant:
            return (try? Date.ISO8601FormatStyle().parse(trimmed)).map(FactValue.instant)
        case .categories:
            return .set(
                trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            )
        case .counts:
            var counts: [String: Int64] = [:]
            for pair in trimmed.split(separator: ",") {
                let parts = pair.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, let count = Int64(parts[1]) else { return nil }
                counts[parts[0].uppercased()] = count
            }
            return .counts(counts)
        }
    }

    /// The value as a person reads it; counts as they are typed (`CN:1200,DE:40`).
    public var display: String {
        switch self {
        case .text(let text): return text
        case .number(let number): return String(number)
        case .bool(let flag): return flag ? "yes" : "no"
        case .set(let values): return values.joined(separator: ", ")
        case .instant(let date): return date.formatted(Date.ISO8601FormatStyle())
        case .counts(let counts): return counts.keys.sorted().map { "\($0):\(counts[$0]!)" }.joined(separator: ",")
        }
    }

    var number: Int64? {
        if case .number(let value) = self { return value }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var set: Set<String>? {
        if case .set(let values) = self { return Set(values) }
        return nil
    }
}

/// What the workflow knows about an incident: its triage facts, the facts and decisions
/// tasks captured, and the instants clocks start from.
public struct CaseFacts: Sendable, Equatable {
    public var values: [String: FactValue] {
        didSet { expandedJurisdictions = Self.expanded(values) }
    }
    public var instants: [String: Date]
    /// The counts whose value is an estimate (`~1200`). An estimate meets a threshold like a
    /// figure does (the laws' thresholds are "likely", "reasonably believed", "approximate"),
    /// and the case file says it is one until a figure replaces it.
    public var estimated: Set<String> = []

    /// `jurisdictions` with what each implies (``expand(jurisdictions:)``), kept with the
    /// values: conditions read it for every task on every pass of the workflow.
    private var expandedJurisdictions: FactValue?

    public init(values: [String: FactValue] = [:], instants: [String: Date] = [:]) {
        self.values = values
        self.instants = instants
        self.expandedJurisdictions = Self.expanded(values)
    }

    private static func expanded(_ values: [String: FactValue]) -> FactValue? {
        guard case .set(let codes)? = values["jurisdictions"] else { return nil }
        return .set(expand(jurisdictions: codes))
    }

    /// The instant an update may give besides the fields: when the breach was first known to
    /// anyone in the organisation (HIPAA's and the US states' clocks run from it).
    public static let discovered = "discovered"

    /// A field's value. `peopleAffectedIn.US` reads one jurisdiction of a counts field; a count
    /// for `EU` adds up the member states, and one for a country its states (`US-CA`, …), when
    /// no figure for the whole was given. A jurisdiction a given breakdown leaves out counts 0,
    /// unless the breakdown gives only the whole it belongs to. Before any breakdown, an incident
    /// of one jurisdiction has all its people there; otherwise the count is unknown.
    public func value(of field: String) -> FactValue? {
        if field == "jurisdictions", let expandedJurisdictions { return expandedJurisdictions }
        if let value = values[field] { return value }
        guard let dot = field.utf8.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let parts = [String(field[..<dot]), String(field[field.index(after: dot)...])]
        guard !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        guard case .counts(let counts)? = values[parts[0]] else { return peopleInOnlyJurisdiction(parts) }
        if let count = counts[parts[1]] { return .number(count) }
        let members = counts.filter { key, _ in
            parts[1] == "EU" ? Jurisdiction.euMemberStates.contains(key) : key.hasPrefix(parts[1] + "-")
        }
        if !members.isEmpty { return .number(members.values.reduce(0, +)) }
        // A breakdown was given without this jurisdiction: none of its people are affected,
        // unless the breakdown names only a whole it is part of (US for US-CA, EU for DE).
        let code = parts[1]
        let wholes = [
            code.contains("-") ? String(code.prefix { $0 != "-" }) : nil,
            Jurisdiction.euMemberStates.contains(code) ? "EU" : nil,
        ].compactMap { $0 }
        return counts.isEmpty || wholes.contains(where: { counts[$0] != nil }) ? nil : .number(0)
    }

    /// Before any breakdown, everyone affected by an incident of one jurisdiction is in it:
    /// 300 people of a breach in `US` are 300 in the US (not yet known per state).
    private func peopleInOnlyJurisdiction(_ parts: [String]) -> FactValue? {
        guard parts[0] == "peopleAffectedIn", case .number(let people)? = values["peopleAffected"],
            case .set(let codes)? = values["jurisdictions"], codes.count == 1, let only = codes.first?.uppercased()
        else { return nil }
        let code = parts[1]
        let within =
            only == code || only.hasPrefix(code + "-") || (code == "EU" && Jurisdiction.euMemberStates.contains(only))
        return within ? .number(people) : nil
    }

    /// A member state implies EU, a US state implies US: a rule for "EU" applies to a breach in DE.
    static func expand(jurisdictions codes: [String]) -> [String] {
        var expanded = Set(codes)
        for code in codes {
            if Jurisdiction.euMemberStates.contains(code) { expanded.insert("EU") }
            if let jurisdiction = Jurisdiction(rawValue: code), jurisdiction.country != code {
                expanded.insert(jurisdiction.country)
            }
        }
        return expanded.sorted()
    }

    /// The facts of an incident's own attributes, before any task captured more.
    public init(incident: Incident) {
        var values: [String: FactValue] = [
            "severity": .text(incident.severity.rawValue),
            "dataCategories": .set(incident.dataCategories.map(\.rawValue)),
            "jurisdictions": .set(incident.jurisdictions.map(\.rawValue)),
            "restricted": .bool(incident.restricted),
        ]
        if let category = incident.category { values["category"] = .text(category.rawValue) }
        if let people = incident.peopleAffected { values["peopleAffected"] = .number(people) }
        if let records = incident.recordsAffected { values["recordsAffected"] = .number(records) }
        var instants: [String: Date] = [
            "reported": incident.reported, "aware": incident.aware, "phase": incident.phaseEntered,
        ]
        // HIPAA's clock runs from discovery: when it was not given, awareness is the latest it can be.
        instants["discovered"] = incident.discovered ?? incident.aware
        self.init(values: values, instants: instants)
    }
}

extension FactValue: Codable {
    private enum Kind: String, CodingKey {
        case text, number, bool, set, instant, counts
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Kind.self)
        guard let kind = container.allKeys.first, container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "expected one kind")
            )
        }
        switch kind {
        case .text: self = .text(try container.decode(String.self, forKey: kind))
        case .number: self = .number(try container.decode(Int64.self, forKey: kind))
        case .bool: self = .bool(try container.decode(Bool.self, forKey: kind))
        case .set: self = .set(try container.decode([String].self, forKey: kind))
        case .instant: self = .instant(Date(timeIntervalSince1970: try container.decode(Double.self, forKey: kind)))
        case .counts: self = .counts(try container.decode([String: Int64].self, forKey: kind))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Kind.self)
        switch self {
        case .text(let value): try container.encode(value, forKey: .text)
        case .number(let value): try container.encode(value, forKey: .number)
        case .bool(let value): try container.encode(value, forKey: .bool)
        case .set(let value): try container.encode(value, forKey: .set)
        case .instant(let value): try container.encode(value.timeIntervalSince1970, forKey: .instant)
        case .counts(let value): try container.encode(value, forKey: .counts)
        }
    }
}
