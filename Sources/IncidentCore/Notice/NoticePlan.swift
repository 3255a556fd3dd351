import Foundation

/// What a notification task sends: the elements the law requires, where each comes from, and
/// one Mustache template per language. Declared under a task's `notice:` in a regime file.
public struct NoticePlan: Sendable, Equatable {
    /// The law's list, in the order the law gives it.
    public var elements: [NoticeElement]
    /// The template's source by language tag (`en`, `zh-CN`), checked when the file loads.
    public var templates: [String: String]
    /// When the supplementary notice is due, where the law sets a time for it (`supplement:
    /// {due: 30d after sent}`); nil when the law says only "without undue further delay".
    public var supplementDue: Clock? = nil
    /// The task whose notice gives what this one deferred, where the law has its own later
    /// report (`supplement: {by: jp-final}`): NIS2's final report, Japan's final report, the
    /// 8-K/A. No supplementary task is added then.
    public var supplementedBy: String? = nil
    /// Whether this is the supplementary notice that gives what a first notice deferred.
    public var isSupplement = false

    public init(elements: [NoticeElement], templates: [String: String]) {
        self.elements = elements
        self.templates = templates
    }

    /// The languages it can be drafted in, English first.
    public var languages: [String] {
        templates.keys.sorted {
            ($0 == NoticeLanguage.english ? 0 : 1, $0) < ($1 == NoticeLanguage.english ? 0 : 1, $1)
        }
    }

    public func element(_ id: String) -> NoticeElement? { elements.first { $0.id == id } }

    /// The names a template may use: each element's id, and a few of the case file's.
    public var vocabulary: Set<String> {
        Set(elements.map(\.id)).union(NoticeVocabulary.builtIn)
    }
}

/// The names every template may use besides its elements.
public enum NoticeVocabulary {
    /// `reference`: the incident's; `organisation`: the profile's legal name; `known`: a map of
    /// each element's id to whether its value is known, for sections (`{{#known.peopleAffected}}`);
    /// `supplement`: whether this is the supplementary notice (`{{#supplement}}`).
    public static let builtIn: Set<String> = ["reference", "organisation", "known", "supplement"]
}

/// The language tags incidentd ships templates for.
public enum NoticeLanguage {
    public static let english = "en"
    public static let simplifiedChinese = "zh-CN"
}

/// One thing the law says the notice must hold, such as GDPR Art. 33(3)(c)'s likely consequences.
public struct NoticeElement: Sendable, Equatable {
    /// The name templates use (`likelyConsequences`).
    public var id: String
    /// What it is called, by language; English is the fallback.
    public var labels: [String: String]
    /// The article it comes from (`GDPR Art. 33(3)(c)`).
    public var article: String
    public var source: NoticeSource
    /// When the law lets it follow in a later notice: the provision that allows it
    /// (`GDPR Art. 33(4)`); nil when the first notice must hold it.
    public var later: String?

    public init(id: String, labels: [String: String], article: String, source: NoticeSource, later: String? = nil) {
        self.id = id
        self.labels = labels
        self.article = article
        self.source = source
        self.later = later
    }

    public func label(in language: String) -> String {
        labels[language] ?? labels[NoticeLanguage.english] ?? id
    }
}

/// Where an element's value comes from: written `field.NAME`, `instant.NAME`, `incident.NAME`
/// or `profile.NAME` in a regime file.
public enum NoticeSource: Sendable, Equatable, CustomStringConvertible {
    /// A fact of the case: a built-in field (`dataCategories`, `peopleAffected`…), a capture or a decision.
    case field(String)
    /// A moment on the timeline: `aware`, `discovered`, `contained`…
    case instant(String)
    /// The incident's own text: its title or description.
    case incident(IncidentText)
    /// The organisation's profile in the daemon's configuration.
    case profile(OrganisationProfile.Key)

    public enum IncidentText: String, Sendable, CaseIterable {
        case title
        case description
    }

    public var description: String {
        switch self {
        case .field(let name): "field.\(name)"
        case .instant(let name): "instant.\(name)"
        case .incident(let text): "incident.\(text.rawValue)"
        case .profile(let key): "profile.\(key.rawValue)"
        }
    }

    /// Reads `field.likelyConsequences` and the like; nil with the reason when it cannot.
    public static func parse(_ text: String) -> Result<NoticeSource, NoticeSourceError> {
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { return .failure(.malformed(text)) }
        switch parts[0] {
        case "field": return .success(.field(parts[1]))
        case "instant": return .success(.instant(parts[1]))
        case "incident":
            guard let value = IncidentText(rawValue: parts[1]) else {
                return .failure(.unknownName(text, known: IncidentText.allCases.map { "incident.\($0.rawValue)" }))
            }
            return .success(.incident(value))
        case "profile":
            guard let key = OrganisationProfile.Key(rawValue: parts[1]) else {
                return .failure(
                    .unknownName(text, known: OrganisationProfile.Key.allCases.map { "profile.\($0.rawValue)" })
                )
            }
            return .success(.profile(key))
        default: return .failure(.malformed(text))
        }
    }
}

public enum NoticeSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownName(String, known: [String])

    public var description: String {
        switch self {
        case .malformed(let text):
            "'\(text)' is not a source; write field.NAME, instant.NAME, incident.title, incident.description or profile.NAME"
        case .unknownName(let text, let known):
            "'\(text)' is not a source; expected one of \(known.joined(separator: ", "))"
        }
    }
}
