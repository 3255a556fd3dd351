import Foundation
import Mustache
import Synchronization

/// What a notice is drafted from: the case file as the caller may read it, and the
/// organisation's profile.
public struct NoticeCase: Sendable {
    public var incident: Incident
    public var state: CaseState
    public var playbook: Playbook
    public var profile: OrganisationProfile

    public init(incident: Incident, state: CaseState, playbook: Playbook, profile: OrganisationProfile) {
        self.incident = incident
        self.state = state
        self.playbook = playbook
        self.profile = profile
    }
}

/// One element of a notice checked against the case file.
public struct ElementCheck: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case present
        /// Not known yet, and the first notice must hold it.
        case missing
        /// Not known yet, and the law lets it follow in a later notice.
        case deferrable
    }

    public var element: NoticeElement
    public var status: Status
    /// Its value as the notice writes it, when known.
    public var value: String?
    /// Where a value that is not known comes from: the task that captures it, the setting.
    public var supply: String?
}

/// How a drafted notice is written out.
public enum NoticeFormat: String, Sendable, CaseIterable {
    case text
    case markdown
}

public enum NoticeError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownLanguage(String, available: [String])

    public var description: String {
        switch self {
        case .unknownLanguage(let language, let available):
            "the notice has no '\(language)' template; it has \(available.joined(separator: ", "))"
        }
    }
}

extension NoticePlan {
    /// Each element as present, missing (with what supplies it) or deferrable (with the
    /// provision that lets it follow), its value written in `language`.
    public func check(_ file: NoticeCase, language: String = NoticeLanguage.english) -> [ElementCheck] {
        let writer = NoticeWriter(language: language, timeZone: file.profile.timeZone)
        return elements.map { element in
            if let value = value(of: element.source, in: file, writer: writer) {
                return ElementCheck(element: element, status: .present, value: value, supply: nil)
            }
            return ElementCheck(
                element: element,
                status: element.later == nil ? .missing : .deferrable,
                value: nil,
                supply: supply(of: element.source, in: file.playbook)
            )
        }
    }

    /// The notice written from the case file in `language`. A value the first notice must hold
    /// and the case file lacks is written as a placeholder naming it, so a draft can always be
    /// read (and cannot be sent); one the law lets follow says it will. ``check(_:language:)``
    /// says what is missing.
    public func draft(
        _ file: NoticeCase,
        language: String = NoticeLanguage.english,
        format: NoticeFormat = .text
    ) -> Result<String, NoticeError> {
        draft(file, checked: check(file, language: language), language: language, format: format)
    }

    /// The same, from `checks`, the notice's ``check(_:language:)`` of `file` in `language`,
    /// for a caller that answers with both.
    public func draft(
        _ file: NoticeCase,
        checked checks: [ElementCheck],
        language: String,
        format: NoticeFormat
    ) -> Result<String, NoticeError> {
        guard let source = templates[language], let template = try? NoticeTemplate.compile(source) else {
            return .failure(.unknownLanguage(language, available: languages))
        }
        let writer = NoticeWriter(language: language, timeZone: file.profile.timeZone)
        var values: [String: Any] = [:]
        var known: [String: Bool] = [:]
        for check in checks {
            // Escaped for Markdown in both formats: the plain text is the Markdown with its
            // marks taken out, which gives each value back exactly as it was.
            // What the law lets follow later says so; what must be there shows as a gap.
            let stand =
                check.status == .deferrable ? writer.toFollow : writer.placeholder(check.element.label(in: language))
            values[check.element.id] = NoticeWriter.escapeMarkdown(check.value ?? stand)
            known[check.element.id] = check.value != nil
        }
        values["reference"] = file.incident.reference.rawValue
        values["organisation"] = NoticeWriter.escapeMarkdown(
            file.profile.value(.legalName) ?? writer.placeholder(writer.organisationLabel)
        )
        values["known"] = known
        values["supplement"] = isSupplement
        let rendered = template.render(values)
        return .success(format == .markdown ? rendered : NoticeWriter.plainText(fromMarkdown: rendered))
    }

    func value(of source: NoticeSource, in file: NoticeCase, writer: NoticeWriter) -> String? {
        switch source {
        case .field(let name):
            guard let value = file.state.facts.value(of: name) else { return nil }
            return writer.write(value, field: name, estimated: file.state.facts.estimated.contains(name))
        case .instant(let name):
            return file.state.facts.instants[name].map(writer.write(_:))
        case .incident(.title):
            return nonEmpty(file.incident.title)
        case .incident(.description):
            return nonEmpty(file.incident.description)
        case .profile(let key):
            return file.profile.value(key, jurisdictions: file.incident.jurisdictions.map(\.rawValue))
        }
    }

    private func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// What supplies a value not yet known, said for the person who must supply it.
    func supply(of source: NoticeSource, in playbook: Playbook) -> String {
        let tasks = playbook.phases.flatMap(\.tasks)
        switch source {
        case .field(let name):
            let capturing = tasks.filter { $0.captures.contains(name) }.map(\.id)
            let update = "incidentctl update --set \(name)=…"
            return capturing.isEmpty
                ? "give it with \(update)"
                : "captured by task \(capturing.joined(separator: ", ")); or give it with \(update)"
        case .instant(let name):
            let recording = tasks.filter { $0.records == name }.map(\.id)
            return recording.isEmpty
                ? "the \(name) time is not yet known" : "recorded by task \(recording.joined(separator: ", "))"
        case .incident(let text):
            return "the incident's \(text.rawValue)"
        case .profile(let key):
            return key == .authority
                ? "name the authority of the incident's jurisdictions under profile.authorities in the configuration"
                : "set profile.\(key == .contactDetails ? "contact, address, telephone, email or website" : key.rawValue) in the configuration"
        }
    }
}

/// A template compiled for plain output: values are escaped by the notice's format, never as HTML.
enum NoticeTemplate {
    /// Mustache escapes values as HTML unless told otherwise; notices are text or Markdown.
    static let pragma = "{{% CONTENT_TYPE: TEXT}}"

    static func compile(_ source: String) throws -> MustacheTemplate {
        try MustacheTemplate(string: pragma + source)
    }

    /// The problems of a template, each at its line and column within the template: a
    /// parse error, or a name that is neither an element nor one of ``NoticeVocabulary``.
    static func problems(in source: String, vocabulary: Set<String>, elements: Set<String>) -> [Problem] {
        // A regime's notices are checked once, however many playbooks include the regime.
        let key = ([source] + vocabulary.sorted() + ["|"] + elements.sorted()).joined(separator: "\u{1F}")
        if let known = checked.withLock({ $0[key] }) { return known }
        let found = uncheckedProblems(in: source, vocabulary: vocabulary, elements: elements)
        checked.withLock { $0[key] = found }
        return found
    }

    struct Problem: Sendable, Equatable {
        var line: Int
        var column: Int
        var message: String
    }

    private static let checked = Mutex<[String: [Problem]]>([:])

    private static func uncheckedProblems(
        in source: String,
        vocabulary: Set<String>,
        elements: Set<String>
    )
        -> [Problem]
    {
        let template: MustacheTemplate
        do {
            template = try compile(source)
        } catch let error as MustacheTemplate.ParserError {
            let column =
                error.context.lineNumber == 1
                ? max(1, error.context.columnNumber - pragma.count) : error.context.columnNumber
            return [
                Problem(
                    line: error.context.lineNumber,
                    column: column,
                    message: "the template is not valid Mustache: \(error.error)"
                )
            ]
        } catch {
            return [Problem(line: 1, column: 1, message: "the template is not valid Mustache: \(error)")]
        }
        // Rendered twice, every known name true and then false, so that every section is entered.
        var unknown: [String] = []
        for truth in [true, false] {
            let probe = NameProbe(vocabulary: vocabulary, elements: elements, truth: truth)
            _ = template.render(probe)
            unknown += probe.unknown.filter { !unknown.contains($0) }
        }
        return unknown.map { name in
            let (line, column) = position(of: name, in: source)
            return Problem(
                line: line,
                column: column,
                message:
                    "the template uses '\(name)', which is not an element of the notice nor one of \(NoticeVocabulary.builtIn.sorted().joined(separator: ", "))"
            )
        }
    }

    /// Where `name` is first used in a tag, 1-based.
    static func position(of name: String, in source: String) -> (Int, Int) {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            var search = line[...]
            while let open = search.range(of: "{{") {
                let rest = line[open.upperBound...].drop { "#^/&{! ".contains($0) }
                if rest.hasPrefix(name) {
                    return (index + 1, line.distance(from: line.startIndex, to: open.lowerBound) + 1)
                }
                search = line[open.upperBound...]
            }
        }
        return (1, 1)
    }
}

/// Answers every name a template looks up, and remembers those it does not know.
private final class NameProbe: MustacheParent {
    let vocabulary: Set<String>
    let elements: Set<String>
    let truth: Bool
    var unknown: [String] = []

    init(vocabulary: Set<String>, elements: Set<String>, truth: Bool) {
        self.vocabulary = vocabulary
        self.elements = elements
        self.truth = truth
    }

    func child(named name: String) -> Any? {
        if name == "known" { return KnownProbe(parent: self) }
        if vocabulary.contains(name) { return truth ? "value" : false }
        if !unknown.contains(name) { unknown.append(name) }
        return nil
    }

    final class KnownProbe: MustacheParent {
        let parent: NameProbe
        init(parent: NameProbe) { self.parent = parent }

        func child(named name: String) -> Any? {
            if parent.elements.contains(name) { return parent.truth }
            let qualified = "known.\(name)"
            if !parent.unknown.contains(qualified) { parent.unknown.append(qualified) }
            return nil
        }
    }
}
