import Foundation
import Yams

extension Parser {
    /// A notification task's `notice:`: its elements, each with the article it comes from and
    /// where its value comes from, and a Mustache template per language.
    mutating func parseNotice(_ node: Node, task: String, _ context: Context) -> NoticePlan? {
        guard let spec = entries(node, "a notice", allowed: ["elements", "templates", "supplement"]) else {
            return nil
        }
        let get = { (key: String) in spec.first { $0.key == key }?.value }
        var elements: [NoticeElement] = []
        if let list = get("elements") {
            guard let items = list.sequence else {
                problem(list, "the notice's elements must be a list")
                return nil
            }
            for item in items {
                guard let element = parseNoticeElement(item, context) else { continue }
                if elements.contains(where: { $0.id == element.id }) {
                    problem(item, "the notice of task '\(task)' lists element '\(element.id)' twice")
                    continue
                }
                elements.append(element)
            }
        } else {
            problem(node, "the notice of task '\(task)' lists no 'elements'")
        }
        var templates: [String: String] = [:]
        guard let templatesNode = get("templates") else {
            problem(node, "the notice of task '\(task)' has no 'templates'; give at least 'en'")
            return nil
        }
        let plan = NoticePlan(elements: elements, templates: [:])
        for (language, keyNode, value) in entries(templatesNode, "the notice's templates", allowed: Self.languages)
            ?? []
        {
            guard let text = value.scalar?.string, !text.isEmpty else {
                problem(value, "the \(language) template must be a text")
                continue
            }
            for found in NoticeTemplate.problems(
                in: text,
                vocabulary: plan.vocabulary,
                elements: Set(elements.map(\.id))
            ) {
                problems.append(locate(found, inTemplate: value, key: keyNode))
            }
            templates[language] = text
        }
        if templates[NoticeLanguage.english] == nil {
            problem(templatesNode, "the notice of task '\(task)' has no English template ('en')")
        }
        var notice = NoticePlan(elements: elements, templates: templates)
        if let supplement = get("supplement") {
            parseSupplement(supplement, of: &notice, task: task, context)
        }
        return notice
    }

    /// `supplement: {due: 30d after sent}`: when the supplementary notice is due, where the law
    /// sets a time (`sent` is the moment the first notice went with elements deferred); or
    /// `supplement: {by: TASK}`: the law's own later report gives what was deferred.
    mutating func parseSupplement(_ node: Node, of notice: inout NoticePlan, task: String, _ context: Context) {
        guard let spec = entries(node, "a notice's supplement", allowed: ["due", "by"]) else { return }
        guard !notice.elements.allSatisfy({ $0.later == nil }) else {
            problem(node, "the notice of task '\(task)' has a supplement but no element with 'later'")
            return
        }
        let get = { (key: String) in spec.first { $0.key == key }?.value }
        switch (get("due"), get("by")) {
        case (let due?, nil):
            var scoped = context
            scoped.instants.append(Self.sentInstant)
            guard var clock = parseClock(due, scoped) else { return }
            if clock.after == Self.sentInstant { clock.after = TaskPlan.deferralInstant(of: task) }
            notice.supplementDue = clock
        case (nil, let by?):
            notice.supplementedBy = string(by, "the supplement's task")
        default:
            problem(
                node,
                "the supplement of task '\(task)' needs either 'due' (such as '30d after sent') or 'by' (the task of the later report)"
            )
        }
    }

    /// What a supplement's clock may count from besides the playbook's instants.
    static let sentInstant = "sent"

    /// The language tags a template may be given in: BCP 47 tags incidentd writes dates and
    /// categories for.
    static let languages = [NoticeLanguage.english, NoticeLanguage.simplifiedChinese]

    mutating func parseNoticeElement(_ node: Node, _ context: Context) -> NoticeElement? {
        guard let spec = entries(node, "a notice element", allowed: ["id", "label", "article", "from", "later"]) else {
            return nil
        }
        let get = { (key: String) in spec.first { $0.key == key }?.value }
        guard let idNode = get("id"), let id = string(idNode, "the element's id") else {
            problem(node, "a notice element has no 'id'")
            return nil
        }
        if !id.allSatisfy({ $0.isLetter || $0.isNumber }) || !(id.first?.isLetter ?? false) || id == "known" {
            problem(idNode, "element id '\(id)' must be letters and digits, starting with a letter, and not 'known'")
        }
        guard let articleNode = get("article"), let article = string(articleNode, "the element's article") else {
            problem(node, "element '\(id)' cites no 'article'; every element comes from the law")
            return nil
        }
        var labels: [String: String] = [:]
        if let label = get("label") {
            if let text = label.scalar?.string {
                labels[NoticeLanguage.english] = text
            } else {
                for (language, _, value) in entries(label, "the element's label", allowed: Self.languages) ?? [] {
                    labels[language] = string(value, "the \(language) label")
                }
            }
        }
        guard let fromNode = get("from"), let from = string(fromNode, "the element's source") else {
            problem(node, "element '\(id)' has no 'from': where its value comes from")
            return nil
        }
        let source: NoticeSource
        switch NoticeSource.parse(from) {
        case .failure(let error):
            problem(fromNode, "element '\(id)': \(error)")
            return nil
        case .success(let parsed): source = parsed
        }
        switch source {
        case .field(let name) where context.field(name) == nil:
            problem(fromNode, "element '\(id)' comes from unknown field '\(name)'; declare it under 'fields'")
        case .instant(let name) where !context.instants.contains(name) && !Clock.builtInInstants.contains(name):
            problem(fromNode, "element '\(id)' comes from unknown instant '\(name)'; declare it under 'instants'")
        default: break
        }
        let later = get("later").flatMap { string($0, "the element's 'later' (the provision that lets it follow)") }
        return NoticeElement(id: id, labels: labels, article: article, source: source, later: later)
    }

    /// A template problem at its place in the file: a block scalar's text starts on the line
    /// after its key, indented past it.
    func locate(
        _ found: NoticeTemplate.Problem,
        inTemplate value: Node,
        key: Node
    ) -> PlaybookProblem {
        let start = value.mark?.line ?? 1
        let block = value.scalar.map { $0.style == .literal || $0.style == .folded } ?? false
        let line = block ? start + found.line : start + found.line - 1
        let indent = block ? (key.mark?.column ?? 1) + 1 : (value.mark?.column ?? 1) - 1
        return PlaybookProblem(file: file, line: line, column: indent + found.column, message: found.message)
    }
}
