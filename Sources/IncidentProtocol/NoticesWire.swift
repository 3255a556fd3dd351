import Foundation
import IncidentCore

/// `io.incidentd.Notices`: each notification task's notice, drafted from the case file and
/// checked against the elements its law requires.
public enum NoticesWire {
    public struct DraftParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var task: String
        /// A language the notice has a template in (`en`, `zh-CN`); English when not given.
        public var language: String?
        /// `text` (the default) or `markdown`.
        public var format: String?

        public init(reference: IncidentReference, task: String, language: String? = nil, format: String? = nil) {
            self.reference = reference
            self.task = task
            self.language = language
            self.format = format
        }
    }

    public struct CheckParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var task: String
        /// The language the values are written in; English when not given.
        public var language: String?

        public init(reference: IncidentReference, task: String, language: String? = nil) {
            self.reference = reference
            self.task = task
            self.language = language
        }
    }

    /// One element of the notice, as the case file holds it now.
    public struct Element: Codable, Sendable, Equatable {
        public var id: String
        public var label: String
        public var article: String
        /// `present`, `missing` or `deferrable`.
        public var status: String
        public var value: String?
        /// For a value not yet known: the task, command or setting that supplies it.
        public var supply: String?
        /// The provision that lets it follow in a later notice.
        public var later: String?

        /// Each check as the wire gives it, and whether every element the first notice must
        /// hold is present.
        public static func checked(_ checks: [ElementCheck], language: String) -> (elements: [Self], complete: Bool) {
            (checks.map { Self($0, language: language) }, !checks.contains { $0.status == .missing })
        }

        public init(_ check: ElementCheck, language: String) {
            id = check.element.id
            label = check.element.label(in: language)
            article = check.element.article
            status = check.status.rawValue
            value = check.value
            supply = check.supply
            later = check.element.later
        }
    }

    public struct CheckReply: Codable, Sendable, Equatable {
        public var task: String
        public var recipient: NotificationRecipient
        public var languages: [String]
        public var elements: [Element]
        /// Every element the first notice must hold is present.
        public var complete: Bool

        public init(
            task: String,
            recipient: NotificationRecipient,
            languages: [String],
            elements: [Element],
            complete: Bool
        ) {
            self.task = task
            self.recipient = recipient
            self.languages = languages
            self.elements = elements
            self.complete = complete
        }
    }

    public struct DraftReply: Codable, Sendable, Equatable {
        public var task: String
        public var recipient: NotificationRecipient
        public var language: String
        public var format: String
        public var text: String
        public var elements: [Element]
        public var complete: Bool

        public init(
            task: String,
            recipient: NotificationRecipient,
            language: String,
            format: String,
            text: String,
            elements: [Element],
            complete: Bool
        ) {
            self.task = task
            self.recipient = recipient
            self.language = language
            self.format = format
            self.text = text
            self.elements = elements
            self.complete = complete
        }
    }

    public struct ShowParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var task: String

        public init(reference: IncidentReference, task: String) {
            self.reference = reference
            self.task = task
        }
    }

    /// A notice as it was sent, with the check of its text against the ledger's digest.
    public struct ShowReply: Codable, Sendable, Equatable {
        public var task: String
        public var recipient: NotificationRecipient
        public var sentAt: Date
        public var by: String
        public var language: String
        /// The exact text sent.
        public var text: String
        /// The ledger's content digest: SHA-256 of the text, hex.
        public var digest: String
        /// The text read back hashes to the digest.
        public var intact: Bool
        /// The elements the case file held when it was sent.
        public var elements: [String]
        /// The elements left to a later notice, with the reasons given.
        public var deferred: [String: String]

        public init(
            task: String,
            recipient: NotificationRecipient,
            sentAt: Date,
            by: String,
            language: String,
            text: String,
            digest: String,
            intact: Bool,
            elements: [String],
            deferred: [String: String]
        ) {
            self.task = task
            self.recipient = recipient
            self.sentAt = sentAt
            self.by = by
            self.language = language
            self.text = text
            self.digest = digest
            self.intact = intact
            self.elements = elements
            self.deferred = deferred
        }
    }
}
