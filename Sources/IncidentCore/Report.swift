import Foundation

/// What a person (or an automated reporter) files. Only title and description are required:
/// staff must be able to report at once, with half the facts.
public struct ReportDraft: Sendable, Equatable {
    public var title: String
    public var description: String
    public var aware: Date?
    public var discovered: Date?
    public var category: IncidentCategory?
    public var severity: Severity
    public var dataCategories: [DataCategory]
    public var peopleAffected: Int64?
    public var recordsAffected: Int64?
    public var jurisdictions: [Jurisdiction]
    /// The same key from the same reporter returns the first incident instead of filing again.
    public var idempotencyKey: String?
    /// Automated reporters' key for "the same alert again" (a DLP rule and the affected system,
    /// say): while an incident with this key is open, further reports fold into it.
    public var dedupKey: String?

    public init(
        title: String,
        description: String,
        aware: Date? = nil,
        discovered: Date? = nil,
        category: IncidentCategory? = nil,
        severity: Severity = .untriaged,
        dataCategories: [DataCategory] = [],
        peopleAffected: Int64? = nil,
        recordsAffected: Int64? = nil,
        jurisdictions: [Jurisdiction] = [],
        idempotencyKey: String? = nil,
        dedupKey: String? = nil
    ) {
        self.title = title
        self.description = description
        self.aware = aware
        self.discovered = discovered
        self.category = category
        self.severity = severity
        self.dataCategories = dataCategories
        self.peopleAffected = peopleAffected
        self.recordsAffected = recordsAffected
        self.jurisdictions = jurisdictions
        self.idempotencyKey = idempotencyKey
        self.dedupKey = dedupKey
    }

    public static let maximumTitleLength = 200
    public static let maximumDescriptionLength = 64 * 1024
    public static let maximumIdempotencyKeyLength = 200
    /// How far in the future an instant may lie before it is a mistake rather than clock skew.
    public static let allowedClockSkew: TimeInterval = 300

    /// Checks the draft and returns it normalised (trimmed, deduplicated, `aware` defaulted to `now`).
    public func validated(now: Date) throws(ValidationError) -> ReportDraft {
        var draft = self
        draft.title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        draft.description = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !draft.title.isEmpty else { throw ValidationError(field: "title", reason: "must not be empty") }
        guard draft.title.count <= Self.maximumTitleLength else {
            throw ValidationError(field: "title", reason: "must be at most \(Self.maximumTitleLength) characters")
        }
        guard !draft.title.contains(where: \.isNewline) else {
            throw ValidationError(field: "title", reason: "must be a single line")
        }
        guard !draft.description.isEmpty else {
            throw ValidationError(field: "description", reason: "must not be empty")
        }
        guard draft.description.utf8.count <= Self.maximumDescriptionLength else {
            throw ValidationError(field: "description", reason: "must be at most 64 KiB")
        }
        for (field, text) in [("title", draft.title), ("description", draft.description)]
        where text.unicodeScalars.contains("\u{0}") {
            throw ValidationError(field: field, reason: "must not contain NUL characters")
        }
        let aware = draft.aware ?? now
        guard aware <= now.addingTimeInterval(Self.allowedClockSkew) else {
            throw ValidationError(field: "aware", reason: "must not be in the future")
        }
        draft.aware = aware
        if let discovered {
            guard discovered <= now.addingTimeInterval(Self.allowedClockSkew) else {
                throw ValidationError(field: "discovered", reason: "must not be in the future")
            }
        }
        if let peopleAffected, peopleAffected < 0 {
            throw ValidationError(field: "peopleAffected", reason: "must not be negative")
        }
        if let recordsAffected, recordsAffected < 0 {
            throw ValidationError(field: "recordsAffected", reason: "must not be negative")
        }
        if let key = idempotencyKey {
            guard !key.isEmpty, key.count <= Self.maximumIdempotencyKeyLength,
                !key.unicodeScalars.contains("\u{0}")
            else {
                throw ValidationError(
                    field: "idempotencyKey",
                    reason: "must be 1 to \(Self.maximumIdempotencyKeyLength) characters"
                )
            }
        }
        if let key = dedupKey {
            guard !key.isEmpty, key.count <= Self.maximumIdempotencyKeyLength, !key.unicodeScalars.contains("\u{0}")
            else {
                throw ValidationError(
                    field: "dedupKey",
                    reason: "must be 1 to \(Self.maximumIdempotencyKeyLength) characters"
                )
            }
        }
        draft.dataCategories = DataCategory.allCases.filter(dataCategories.contains)
        draft.jurisdictions = Array(Set(jurisdictions)).sorted()
        return draft
    }
}

/// A value a caller supplied that the domain refuses, with the field and a reason a person can act on.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field) \(reason)" }
}
