import Foundation
import Testing

@testable import IncidentCore

@Suite struct ReportDraftTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func draft(_ change: (inout ReportDraft) -> Void = { _ in }) -> ReportDraft {
        var draft = ReportDraft(title: "Laptop stolen", description: "From a car, unencrypted")
        change(&draft)
        return draft
    }

    @Test func awareDefaultsToNow() throws {
        let validated = try draft().validated(now: now)
        #expect(validated.aware == now)
        #expect(validated.severity == .untriaged)
    }

    @Test func trimsAndNormalises() throws {
        let validated = try draft {
            $0.title = "  Laptop stolen \n"
            $0.dataCategories = [.health, .identity, .health]
            $0.jurisdictions = [Jurisdiction(rawValue: "us")!, .eu, Jurisdiction(rawValue: "US")!]
        }.validated(now: now)
        #expect(validated.title == "Laptop stolen")
        #expect(validated.dataCategories == [.identity, .health])
        #expect(validated.jurisdictions.map(\.rawValue) == ["EU", "US"])
    }

    @Test func acceptsAnAwareInstantInThePast() throws {
        let earlier = now.addingTimeInterval(-86_400)
        #expect(try draft { $0.aware = earlier }.validated(now: now).aware == earlier)
    }

    @Test func toleratesSmallClockSkew() throws {
        _ = try draft { $0.aware = now.addingTimeInterval(60) }.validated(now: now)
    }

    @Test(
        arguments: [
            ("title", "must not be empty", { @Sendable (draft: inout ReportDraft) in draft.title = "   " }),
            (
                "title", "must be at most 200 characters",
                { @Sendable (draft: inout ReportDraft) in
                    draft.title = String(repeating: "x", count: 201)
                }
            ),
            ("title", "must be a single line", { @Sendable (draft: inout ReportDraft) in draft.title = "two\nlines" }),
            (
                "title", "must not contain NUL characters",
                { @Sendable (draft: inout ReportDraft) in draft.title = "a\u{0}b" }
            ),
            ("description", "must not be empty", { @Sendable (draft: inout ReportDraft) in draft.description = "" }),
            (
                "description", "must be at most 64 KiB",
                { @Sendable (draft: inout ReportDraft) in
                    draft.description = String(repeating: "x", count: 64 * 1024 + 1)
                }
            ),
            (
                "aware", "must not be in the future",
                { @Sendable (draft: inout ReportDraft) in
                    draft.aware = Date(timeIntervalSince1970: 1_800_000_000 + 3600)
                }
            ),
            (
                "discovered", "must not be in the future",
                { @Sendable (draft: inout ReportDraft) in
                    draft.discovered = Date(timeIntervalSince1970: 1_800_000_000 + 3600)
                }
            ),
            (
                "peopleAffected", "must not be negative",
                { @Sendable (draft: inout ReportDraft) in draft.peopleAffected = -1 }
            ),
            (
                "recordsAffected", "must not be negative",
                { @Sendable (draft: inout ReportDraft) in draft.recordsAffected = -5 }
            ),
            (
                "idempotencyKey", "must be 1 to 200 characters",
                { @Sendable (draft: inout ReportDraft) in draft.idempotencyKey = "" }
            ),
            (
                "dedupKey", "must be 1 to 200 characters",
                { @Sendable (draft: inout ReportDraft) in draft.dedupKey = "" }
            ),
            (
                "dedupKey", "must be 1 to 200 characters",
                { @Sendable (draft: inout ReportDraft) in draft.dedupKey = "a\u{0}b" }
            ),
            (
                "dedupKey", "must be 1 to 200 characters",
                { @Sendable (draft: inout ReportDraft) in
                    draft.dedupKey = String(repeating: "k", count: 201)
                }
            ),
        ] as [(String, String, @Sendable (inout ReportDraft) -> Void)]
    )
    func refusesWithFieldAndReason(field: String, reason: String, change: @Sendable (inout ReportDraft) -> Void) {
        #expect(throws: ValidationError(field: field, reason: reason)) {
            try draft(change).validated(now: now)
        }
    }
}

@Suite struct ValueTests {
    @Test(arguments: ["DE", "de", "EU", "us", "SG", "CN"])
    func knownJurisdictions(code: String) {
        #expect(Jurisdiction(rawValue: code)?.rawValue == code.uppercased())
    }

    @Test(arguments: ["", "D", "DEU", "XX", "UK", "E1"])
    func unknownJurisdictions(code: String) {
        #expect(Jurisdiction(rawValue: code) == nil)
    }

    @Test func referencesFormatAndParse() {
        #expect(IncidentReference(year: 2026, number: 42).rawValue == "INC-2026-000042")
        #expect(IncidentReference(year: 2026, number: 12_345_678).rawValue == "INC-2026-12345678")
        #expect(IncidentReference(rawValue: "inc-2026-000001")?.rawValue == "INC-2026-000001")
        for bad in ["", "INC-26-000001", "INC-2026-1", "CASE-2026-000001", "INC-2026-00000A", "INC-2026-000001-1"] {
            #expect(IncidentReference(rawValue: bad) == nil, "\(bad)")
        }
    }

    @Test func phasesAndSeveritiesAreOrdered() {
        #expect(Phase.report < .investigate && Phase.notify < .closed)
        #expect(Severity.untriaged < .low && Severity.high < .critical)
        #expect(!Phase.closed.isOpen && Phase.notify.isOpen)
    }

    @Test func filterLimitsAreChecked() throws {
        _ = try IncidentFilter(limit: 1).validated()
        _ = try IncidentFilter(limit: 1000).validated()
        #expect(throws: ValidationError.self) { try IncidentFilter(limit: 0).validated() }
        #expect(throws: ValidationError.self) { try IncidentFilter(limit: 1001).validated() }
    }

    @Test func enumValuesAreVarlinkIdentifiers() {
        let all =
            Phase.allCases.map(\.rawValue) + Severity.allCases.map(\.rawValue)
            + DataCategory.allCases.map(\.rawValue) + IncidentCategory.allCases.map(\.rawValue)
        for value in all {
            #expect(value.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }, "\(value)")
        }
    }
}
