import Crypto
import Foundation
import Synchronization
import Yams

/// One problem in a playbook, located to file, line and column, said in a sentence.
public struct PlaybookProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// The problems that refused a set of playbooks; any one refuses the whole set.
public struct PlaybookSetError: Error, Sendable, CustomStringConvertible {
    public var problems: [PlaybookProblem]

    public init(problems: [PlaybookProblem]) {
        self.problems = problems
    }

    public var description: String {
        "\(problems.count) problem\(problems.count == 1 ? "" : "s") in the playbooks:\n"
            + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Reads playbooks from YAML, checking everything a person could get wrong and reporting
/// every problem found, not just the first.
public enum PlaybookLoader {
    /// Loads a set of playbooks: every file must be valid, names unique, and exactly one default.
    /// - Parameter knownHooks: the hooks the daemon knows; nil skips that check (offline validation).
    public static func loadSet(
        _ sources: [(file: String, text: String)],
        knownHooks: Set<String>? = nil
    ) -> Result<[Playbook], PlaybookSetError> {
        var playbooks: [(Playbook, String)] = []
        var problems: [PlaybookProblem] = []
        for source in sources {
            switch loadFile(source.text, file: source.file, knownHooks: knownHooks) {
            case .success(let playbook): playbooks.append((playbook, source.file))
            case .failure(let error): problems += error.problems
            }
        }
        var seen: [String: String] = [:]
        for (playbook, file) in playbooks {
            if let other = seen[playbook.name] {
                problems.append(
                    PlaybookProblem(
                        file: file,
                        line: 1,
                        column: 1,
                        message: "playbook \(playbook.name) is also defined in \(other)"
                    )
                )
            }
            seen[playbook.name] = file
        }
        let defaults = playbooks.filter { $0.0.isDefault }
        if problems.isEmpty, !playbooks.isEmpty, defaults.count != 1 {
            let file = defaults.dropFirst().first?.1 ?? playbooks[0].1
            problems.append(
                PlaybookProblem(
                    file: file,
                    line: 1,
                    column: 1,
                    message: defaults.isEmpty
                        ? "no playbook is the default; mark one with 'default: true' to take reports no other matches"
                        : "more than one playbook is the default (\(defaults.map(\.0.name).joined(separator: ", ")))"
                )
            )
        }
        return problems.isEmpty ? .success(playbooks.map(\.0)) : .failure(PlaybookSetError(problems: problems))
    }

    /// Loads every `*.yaml` / `*.yml` file of a directory as one set.
    public static func loadDirectory(
        _ directory: URL,
        knownHooks: Set<String>? = nil
    ) -> Result<[Playbook], PlaybookSetError> {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            return .failure(
                PlaybookSetError(problems: [
                    PlaybookProblem(
                        file: directory.path,
                        line: 0,
                        column: 0,
                        message: "cannot read the directory: \(error.localizedDescription)"
                    )
                ])
            )
        }
        var sources: [(String, String)] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let url = directory.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                return .failure(
                    PlaybookSetError(problems: [
                        PlaybookProblem(
                            file: url.path,
                            line: 0,
                            column: 0,
                            message: "cannot read the file as UTF-8 text"
                        )
                    ])
                )
            }
            sources.append((url.path, text))
        }
        return loadSet(sources, knownHooks: knownHooks)
    }

    /// The line that starts a regime file in a playbook's bundled source.
    static let regimeMarker = "--- # incidentd regime file "

    /// Loads one playbook file, with the regime files it includes read from `regimes/` beside it.
    public static func loadFile(
        _ text: String,
        file: String,
        knownHooks: Set<String>? = nil
    ) -> Result<Playbook, PlaybookSetError> {
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        let (bundled, problems) = bundle(text, file: file) { name in
            let path = directory.appendingPathComponent("regimes").appendingPathComponent("\(name).yaml").path
            return (try? String(contentsOfFile: path, encoding: .utf8)).map { (path, $0) }
        }
        guard problems.isEmpty else { return .failure(PlaybookSetError(problems: problems)) }
        return load(bundled, file: file, knownHooks: knownHooks)
    }

    /// The playbook's text followed by every regime file it includes, each after a marker line:
    /// the source an incident keeps, so the law it started under stays with it whatever the
    /// files say later, and the digest covers the regimes too.
    public static func bundle(
        _ text: String,
        file: String,
        readRegime: (String) -> (path: String, text: String)?
    ) -> (String, [PlaybookProblem]) {
        guard let root = try? Yams.compose(yaml: text), let mapping = root.mapping,
            let include = mapping.first(where: { $0.key.string == "include" })?.value
        else { return (text, []) }
        var problems: [PlaybookProblem] = []
        var bundled = text.hasSuffix("\n") ? text : text + "\n"
        for item in include.sequence ?? [include] {
            let line = item.mark?.line ?? 1
            let column = item.mark?.column ?? 1
            guard let name = item.scalar?.string, !name.isEmpty,
                name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" })
            else {
                problems.append(
                    PlaybookProblem(
                        file: file,
                        line: line,
                        column: column,
                        message: "include must list regime names such as gdpr (lower-case letters, digits, hyphens)"
                    )
                )
                continue
            }
            guard let regime = readRegime(name) else {
                problems.append(
                    PlaybookProblem(
                        file: file,
                        line: line,
                        column: column,
                        message: "includes regime '\(name)', but there is no regimes/\(name).yaml beside the playbook"
                    )
                )
                continue
            }
            guard !regime.text.contains(regimeMarker) else {
                problems.append(
                    PlaybookProblem(
                        file: regime.path,
                        line: 1,
                        column: 1,
                        message: "a regime file may not contain a bundle marker"
                    )
                )
                continue
            }
            // Named relative to the playbook, so the digest is the content's wherever the files are installed.
            bundled += "\(regimeMarker)regimes/\(name).yaml\n" + regime.text + (regime.text.hasSuffix("\n") ? "" : "\n")
        }
        return (bundled, problems)
    }

    /// Splits a bundled source into the playbook's text and its regime files.
    static func segments(of source: String) -> (main: String, regimes: [(path: String, text: String)]) {
        var main: [Substring] = []
        var regimes: [(path: String, lines: [Substring])] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(regimeMarker) {
                regimes.append((String(line.dropFirst(regimeMarker.count)), []))
            } else if regimes.isEmpty {
                main.append(line)
            } else {
                regimes[regimes.count - 1].lines.append(line)
            }
        }
        return (main.joined(separator: "\n"), regimes.map { ($0.path, $0.lines.joined(separator: "\n")) })
    }

    /// Loads one playbook.
    public static func load(
        _ text: String,
        file: String,
        knownHooks: Set<String>? = nil
    ) -> Result<Playbook, PlaybookSetError> {
        var parser = Parser(file: file, knownHooks: knownHooks)
        let playbook = parser.parse(text)
        if let playbook, parser.problems.isEmpty { return .success(playbook) }
        return .failure(PlaybookSetError(problems: parser.problems))
    }
}

struct Parser {
    /// The file problems are reported in: the playbook's, or a regime file's while it is read.
    var file: String
    let knownHooks: Set<String>?
    var problems: [PlaybookProblem] = []

    init(file: String, knownHooks: Set<String>?) {
        self.file = file
        self.knownHooks = knownHooks
    }

    mutating func problem(_ node: Node?, _ message: String) {
        problems.append(
            PlaybookProblem(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message: message)
        )
    }

    /// The mapping's entries, refusing keys outside `allowed`.
    mutating func entries(
        _ node: Node,
        _ what: String,
        allowed: [String]
    ) -> [(key: String, keyNode: Node, value: Node)]? {
        guard let mapping = node.mapping else {
            problem(node, "\(what) must be a mapping")
            return nil
        }
        var result: [(String, Node, Node)] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                problem(keyNode, "keys in \(what) must be text")
                continue
            }
            guard allowed.contains(key) else {
                problem(keyNode, "unknown key '\(key)' in \(what); expected one of \(allowed.joined(separator: ", "))")
                continue
            }
            result.append((key, keyNode, value))
        }
        return result
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let text = node.scalar?.string, !text.isEmpty else {
            problem(node, "\(what) must be a non-empty text")
            return nil
        }
        return text
    }

    mutating func strings(_ node: Node, _ what: String) -> [String] {
        if let single = node.scalar?.string { return [single] }
        guard let sequence = node.sequence else {
            problem(node, "\(what) must be a list")
            return []
        }
        return sequence.compactMap { item in
            guard let text = item.scalar?.string else {
                problem(item, "\(what) must hold only texts")
                return nil
            }
            return text
        }
    }

    mutating func enumValues<T: RawRepresentable>(_ node: Node, _ what: String, _ type: T.Type, all: [String]) -> [T]
    where T.RawValue == String {
        strings(node, what).compactMap { text in
            guard let value = T(rawValue: text) else {
                problem(node, "unknown \(what) value '\(text)'; expected one of \(all.joined(separator: ", "))")
                return nil
            }
            return value
        }
    }

    // MARK: The playbook

    mutating func parse(_ source: String) -> Playbook? {
        let (text, regimeFiles) = PlaybookLoader.segments(of: source)
        guard let root = compose(text) else { return nil }
        let keys = [
            "playbook", "version", "title", "default", "match", "fields", "instants", "hooks", "phases", "escalations",
            "retentionDays",
            "include",
        ]
        guard let top = entries(root, "the playbook", allowed: keys) else { return nil }
        func node(_ key: String) -> Node? { top.first { $0.key == key }?.value }
        let regimes = node("include").map { parseIncludes($0, files: regimeFiles) } ?? []
        return parse(root: root, top: top, node: node, regimes: regimes, source: source)
    }

    /// A regime file's root. Every playbook bundles the regimes it includes, so a set of
    /// playbooks holds each regime's text several times: it is parsed once.
    mutating func composeRegime(_ text: String) -> Node? {
        if let known = Self.regimeNodes.withLock({ $0[text] }) { return known.root }
        guard let root = compose(text) else { return nil }
        Self.regimeNodes.withLock { nodes in
            // Bounded: a daemon that reloads changed regimes many times keeps only recent ones.
            if nodes.count >= 64 { nodes.removeAll() }
            nodes[text] = ParsedRegime(root: root)
        }
        return root
    }

    /// A parsed document, never changed after parsing. Yams does not mark `Node` Sendable
    /// because its tags are classes; they are not mutated once composed.
    private struct ParsedRegime: @unchecked Sendable {
        let root: Node
    }

    private static let regimeNodes = Mutex<[String: ParsedRegime]>([:])

    /// A YAML document's root, or nil with the problem recorded.
    mutating func compose(_ text: String) -> Node? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            problem(nil, "is not valid YAML: \(error)")
            if case .scanner(_, _, let mark, _) = error {
                problems[problems.count - 1].line = mark.line
                problems[problems.count - 1].column = mark.column
            } else if case .parser(_, _, let mark, _) = error {
                problems[problems.count - 1].line = mark.line
                problems[problems.count - 1].column = mark.column
            }
            return nil
        } catch {
            problem(nil, "is not valid YAML: \(error)")
            return nil
        }
        guard let root else {
            problem(nil, "is empty")
            return nil
        }
        return root
    }

    mutating func parse(
        root: Node,
        top: [(key: String, keyNode: Node, value: Node)],
        node: (String) -> Node?,
        regimes: [Regime],
        source text: String
    ) -> Playbook? {

        for required in ["playbook", "version", "title", "phases"] where node(required) == nil {
            problem(root, "the playbook has no '\(required)'")
        }
        let name = node("playbook").flatMap { string($0, "playbook") } ?? ""
        if !name.isEmpty, !name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) {
            problem(node("playbook"), "playbook name '\(name)' must be lower-case letters, digits and hyphens")
        }
        let version = node("version").flatMap { string($0, "version") } ?? ""
        let title = node("title").flatMap { string($0, "title") } ?? ""
        var isDefault = false
        if let flag = node("default") {
            if let value = flag.bool { isDefault = value } else { problem(flag, "default must be true or false") }
        }
        let match = node("match").map { parseMatch($0) } ?? Playbook.Match()
        var fields = node("fields").map { parseFields($0) } ?? []
        var instants: [String] = []
        if let instantsNode = node("instants") {
            instants = strings(instantsNode, "instants")
            for instant in instants where Clock.builtInInstants.contains(instant) {
                problem(instantsNode, "instant '\(instant)' is built in; declare only instants tasks record")
            }
        }
        join(regimes, fields: &fields, instants: &instants)
        let hooks = node("hooks").map { strings($0, "hooks") } ?? []
        if let knownHooks, let hooksNode = node("hooks") {
            for hook in hooks where !knownHooks.contains(hook) {
                problem(
                    hooksNode,
                    "unknown hook '\(hook)'; configured hooks are \(knownHooks.sorted().joined(separator: ", "))"
                )
            }
        }
        let context = Context(fields: fields, instants: Clock.builtInInstants + instants, hooks: hooks)
        var phases = node("phases").map { parsePhases($0, context) } ?? []
        for regime in regimes { addTasks(of: regime, to: &phases, context) }
        phases = addSupplements(to: phases, node: node("phases"))
        let escalations =
            node("escalations").map { parseEscalations($0, context, tasks: phases.flatMap(\.tasks)) } ?? []
        checkInstantCycles(phases.flatMap(\.tasks), declared: instants, node: node("phases"))
        checkDeclaredInstantsAreRecorded(instants, tasks: phases.flatMap(\.tasks), node: node("instants"))

        let retentionDays = node("retentionDays").flatMap { parseRetentionDays($0) }

        let digest = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        var playbook = Playbook(
            name: name,
            version: version,
            title: title,
            isDefault: isDefault,
            match: match,
            fields: fields,
            instants: instants,
            hooks: hooks,
            phases: phases,
            escalations: escalations,
            digest: digest,
            source: text
        )
        playbook.retentionDays = retentionDays
        playbook.regimes = regimes.map(\.summary)
        return playbook
    }

    /// What the included regimes declare joins the playbook's own; a field two of them declare
    /// must mean the same in both.
    mutating func join(_ regimes: [Regime], fields: inout [FieldDeclaration], instants: inout [String]) {
        for regime in regimes {
            let playbookFile = file
            file = regime.path
            for field in regime.fields {
                if let existing = fields.first(where: { $0.name == field.name }) {
                    if existing != field {
                        problem(
                            regime.root,
                            "field '\(field.name)' is declared differently here and in \(playbookFile) or another regime"
                        )
                    }
                } else {
                    fields.append(field)
                }
            }
            for instant in regime.instants where !instants.contains(instant) { instants.append(instant) }
            file = playbookFile
        }
    }

    /// `retentionDays`: a whole number of days, 1 to 36500.
    mutating func parseRetentionDays(_ days: Node) -> Int? {
        guard let value = days.int, (1...36_500).contains(value) else {
            problem(days, "retentionDays must be a whole number of days, 1 to 36500")
            return nil
        }
        return value
    }

    /// One law's part of a playbook: its fields, instants and tasks, from its own file.
    struct Regime {
        var name: String
        var path: String
        var root: Node
        var fields: [FieldDeclaration]
        var instants: [String]
        /// The tasks' nodes by phase, parsed once the whole playbook's fields are known.
        var tasks: [(phase: Phase, node: Node)]
        var summary: RegimeSummary
    }

    /// The regimes `include` names, each from its bundled file.
    mutating func parseIncludes(_ node: Node, files: [(path: String, text: String)]) -> [Regime] {
        let names = strings(node, "include")
        var regimes: [Regime] = []
        let playbookFile = file
        defer { file = playbookFile }
        for name in names {
            if regimes.contains(where: { $0.name == name }) {
                problem(node, "regime '\(name)' is included twice")
                continue
            }
            guard
                let bundled = files.first(where: {
                    URL(fileURLWithPath: $0.path).deletingPathExtension().lastPathComponent == name
                })
            else {
                problem(node, "includes regime '\(name)', which is not in regimes/\(name).yaml beside the playbook")
                continue
            }
            let directory = (playbookFile as NSString).deletingLastPathComponent
            file = playbookFile.hasPrefix("/") && !directory.isEmpty ? directory + "/" + bundled.path : bundled.path
            guard let root = composeRegime(bundled.text) else { continue }
            let keys = [
                "regime", "title", "reviewed", "sources", "notes", "fields", "instants", "pauses", "tasks", "include",
            ]
            guard let top = entries(root, "a regime", allowed: keys) else { continue }
            func value(_ key: String) -> Node? { top.first { $0.key == key }?.value }
            if value("include") != nil {
                problem(value("include"), "a regime may not include another; include both from the playbook")
            }
            if value("regime")?.scalar?.string != name {
                problem(value("regime") ?? root, "the regime in \(name).yaml must be named '\(name)' (regime: \(name))")
            }
            let title = value("title").flatMap { string($0, "title") }
            if title == nil { problem(root, "the regime has no 'title'") }
            checkProvenance(root, reviewed: value("reviewed"), sources: value("sources"))
            let fields = value("fields").map { parseFields($0) } ?? []
            let instants = value("instants").map { strings($0, "instants") } ?? []
            var tasks: [(Phase, Node)] = []
            if let tasksNode = value("tasks") {
                for (key, keyNode, list) in entries(
                    tasksNode,
                    "the regime's tasks",
                    allowed: ["report", "investigate", "notify"]
                ) ?? [] {
                    guard let items = list.sequence else {
                        problem(keyNode, "tasks.\(key) must be a list of tasks")
                        continue
                    }
                    tasks += items.map { (Phase(rawValue: key)!, $0) }
                }
            }
            let pauses = value("pauses").map { parsePauses($0) } ?? []
            regimes.append(
                Regime(
                    name: name,
                    path: file,
                    root: root,
                    fields: fields,
                    instants: instants,
                    tasks: tasks,
                    summary: RegimeSummary(name: name, title: title ?? name, pauses: pauses)
                )
            )
        }
        return regimes
    }

    /// A regime says when it was last checked against the law (`reviewed`) and which articles
    /// it encodes, each with its URL (`sources`).
    mutating func checkProvenance(_ root: Node, reviewed reviewedNode: Node?, sources sourcesNode: Node?) {
        if let reviewed = reviewedNode?.scalar?.string {
            if (try? Date.ISO8601FormatStyle().year().month().day().parse(reviewed)) == nil {
                problem(
                    reviewedNode,
                    "reviewed must be the date the regime was last checked against the law, as 2026-12-01"
                )
            }
        } else {
            problem(root, "the regime has no 'reviewed' date: say when it was last checked against the law")
        }
        if let sources = sourcesNode?.sequence, !sources.isEmpty {
            for source in sources {
                guard let spec = entries(source, "a source", allowed: ["cite", "url", "sure"]) else { continue }
                if !spec.contains(where: { $0.key == "cite" }) || !spec.contains(where: { $0.key == "url" }) {
                    problem(source, "a source needs 'cite' (the article) and 'url'")
                }
            }
        } else {
            problem(
                sourcesNode ?? root,
                "the regime needs 'sources': the articles it encodes, each with its URL"
            )
        }
    }

    /// The delays a regime's law allows: `pauses: []` (or none) when it allows none.
    mutating func parsePauses(_ node: Node) -> [PauseRule] {
        guard let items = node.sequence else {
            problem(
                node,
                "pauses must be a list of the delays the law allows, such as {basis: law-enforcement-oral, cap: 30d, cite: ...}"
            )
            return []
        }
        var rules: [PauseRule] = []
        for item in items {
            guard let spec = entries(item, "a pause", allowed: ["basis", "cap", "cite", "tasks"]) else { continue }
            func value(_ key: String) -> Node? { spec.first { $0.key == key }?.value }
            guard let basis = value("basis").flatMap({ string($0, "basis") }),
                !basis.isEmpty, basis.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" })
            else {
                problem(
                    value("basis") ?? item,
                    "a pause needs a 'basis' of lower-case letters, digits and hyphens, such as law-enforcement-written"
                )
                continue
            }
            if rules.contains(where: { $0.basis == basis }) {
                problem(item, "pause basis '\(basis)' is listed twice")
                continue
            }
            guard let cite = value("cite").flatMap({ string($0, "cite") }), !cite.isEmpty else {
                problem(item, "pause '\(basis)' needs 'cite': the article that allows the delay")
                continue
            }
            let capText = value("cap").flatMap { string($0, "cap") } ?? ""
            let cap: PauseRule.Cap
            switch capText {
            case "stated": cap = .stated
            case "open": cap = .open
            default:
                guard let duration = ClockDuration(parsing: capText) else {
                    problem(
                        value("cap") ?? item,
                        "pause '\(basis)' needs a 'cap': a duration such as 30d, 'stated' (the period the request states) or 'open' (until lifted)"
                    )
                    continue
                }
                cap = .atMost(duration)
            }
            rules.append(
                PauseRule(basis: basis, cap: cap, cite: cite, tasks: value("tasks").map { strings($0, "tasks") } ?? [])
            )
        }
        return rules
    }

    /// Adds a regime's tasks to the phases they belong to; a task id must be unique across
    /// the playbook and every regime it includes.
    mutating func addTasks(of regime: Regime, to phases: inout [PhasePlan], _ context: Context) {
        let playbookFile = file
        file = regime.path
        defer { file = playbookFile }
        let ids = regime.tasks.compactMap { $0.node.mapping?["id"]?.string }
        for rule in regime.summary.pauses {
            for task in rule.tasks where !ids.contains(task) {
                problem(
                    regime.root,
                    "pause '\(rule.basis)' names task '\(task)', which is not a task of regime \(regime.name)"
                )
            }
        }
        for (phase, node) in regime.tasks {
            guard var task = parseTask(node, phase: phase, context) else { continue }
            task.regime = regime.name
            if phases.flatMap(\.tasks).contains(where: { $0.id == task.id }) {
                problem(
                    node,
                    "task id '\(task.id)' of regime \(regime.name) is already a task of the playbook or another regime"
                )
                continue
            }
            if let index = phases.firstIndex(where: { $0.phase == phase }) {
                phases[index].tasks.append(task)
            } else {
                phases.append(PhasePlan(phase: phase, tasks: [task], gate: nil))
                phases.sort { $0.phase < $1.phase }
            }
        }
    }

    /// Each notice that lets elements follow later brings the task of its supplementary notice.
    mutating func addSupplements(to phases: [PhasePlan], node: Node?) -> [PhasePlan] {
        let tasks = phases.flatMap(\.tasks)
        let ids = Set(tasks.map(\.id))
        for task in tasks {
            guard let by = task.notice?.supplementedBy else { continue }
            if tasks.first(where: { $0.id == by })?.notice == nil {
                problem(
                    node,
                    "the notice of task '\(task.id)' is supplemented by '\(by)', which is not a task with a notice"
                )
            }
        }
        let supplemented = phases.map(\.withSupplements)
        for supplement in supplemented.flatMap(\.tasks) where supplement.notice?.isSupplement == true {
            guard ids.contains(supplement.id) else { continue }
            problem(
                node,
                "task id '\(supplement.id)' is taken by the supplementary notice of a notice that lets elements follow; rename the task"
            )
        }
        return supplemented
    }

    struct Context {
        var fields: [FieldDeclaration]
        var instants: [String]
        var hooks: [String]

        func field(_ name: String) -> FieldDeclaration? {
            fields.first { $0.name == name } ?? FieldDeclaration.builtIn.first { $0.name == name }
        }
    }

    mutating func parseMatch(_ node: Node) -> Playbook.Match {
        var match = Playbook.Match()
        for (key, _, value) in entries(
            node,
            "match",
            allowed: ["categories", "dataCategories", "severities", "jurisdictions"]
        ) ?? [] {
            switch key {
            case "categories":
                match.categories = enumValues(
                    value,
                    "category",
                    IncidentCategory.self,
                    all: IncidentCategory.allCases.map(\.rawValue)
                )
            case "dataCategories":
                match.dataCategories = enumValues(
                    value,
                    "data category",
                    DataCategory.self,
                    all: DataCategory.allCases.map(\.rawValue)
                )
            case "severities":
                match.severities = enumValues(value, "severity", Severity.self, all: Severity.allCases.map(\.rawValue))
            default:
                match.jurisdictions = strings(value, "jurisdictions").compactMap { code in
                    guard let jurisdiction = Jurisdiction(rawValue: code) else {
                        problem(value, "'\(code)' is not an ISO 3166-1 country code or EU")
                        return nil
                    }
                    return jurisdiction
                }
            }
        }
        return match
    }

    mutating func parseFields(_ node: Node) -> [FieldDeclaration] {
        guard let mapping = node.mapping else {
            problem(node, "fields must be a mapping of field names to their type")
            return []
        }
        var fields: [FieldDeclaration] = []
        for (keyNode, value) in mapping {
            guard let name = keyNode.string else { continue }
            if FieldDeclaration.builtIn.contains(where: { $0.name == name }) {
                problem(keyNode, "field '\(name)' is built in")
                continue
            }
            guard let spec = entries(value, "field '\(name)'", allowed: ["type", "values", "decision", "sensitive"])
            else { continue }
            let get = { (key: String) in spec.first { $0.key == key }?.value }
            guard let typeNode = get("type"), let typeName = typeNode.scalar?.string else {
                problem(value, "field '\(name)' needs a type: integer, boolean, text, instant, choice or counts")
                continue
            }
            let type: FieldDeclaration.FieldType
            switch typeName {
            case "integer": type = .integer
            case "boolean": type = .boolean
            case "text": type = .text
            case "instant": type = .instant
            case "counts": type = .counts
            case "choice":
                let values = get("values").map { strings($0, "values") } ?? []
                if values.isEmpty { problem(typeNode, "choice field '\(name)' needs 'values'") }
                type = .choice(values)
            default:
                problem(
                    typeNode,
                    "unknown type '\(typeName)' for field '\(name)'; expected integer, boolean, text, instant, choice or counts"
                )
                continue
            }
            let isDecision = get("decision")?.bool ?? false
            if isDecision, type != .boolean {
                problem(value, "decision field '\(name)' must be of type boolean")
            }
            fields.append(
                FieldDeclaration(
                    name: name,
                    type: type,
                    isDecision: isDecision,
                    isSensitive: get("sensitive")?.bool ?? false
                )
            )
        }
        return fields
    }

    mutating func parsePhases(_ node: Node, _ context: Context) -> [PhasePlan] {
        guard let mapping = node.mapping else {
            problem(node, "phases must be a mapping of report, investigate and notify")
            return []
        }
        var plans: [PhasePlan] = []
        var ids: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { continue }
            guard let phase = Phase(rawValue: key), phase != .closed else {
                problem(keyNode, "unknown phase '\(key)'; phases are report, investigate and notify")
                continue
            }
            guard let spec = entries(value, "phase \(key)", allowed: ["tasks", "gate"]) else { continue }
            var gate: Role?
            if let gateNode = spec.first(where: { $0.key == "gate" })?.value {
                gate = parseGate(gateNode)
            }
            var tasks: [TaskPlan] = []
            if let tasksNode = spec.first(where: { $0.key == "tasks" })?.value {
                guard let sequence = tasksNode.sequence else {
                    problem(tasksNode, "tasks must be a list")
                    continue
                }
                for taskNode in sequence {
                    guard let task = parseTask(taskNode, phase: phase, context) else { continue }
                    if let first = ids[task.id] {
                        problem(taskNode, "duplicate task id '\(task.id)' (first at line \(first.mark?.line ?? 0))")
                        continue
                    }
                    ids[task.id] = taskNode
                    tasks.append(task)
                }
            }
            plans.append(PhasePlan(phase: phase, tasks: tasks, gate: gate))
        }
        return plans.sorted { $0.phase < $1.phase }
    }

    mutating func parseGate(_ node: Node) -> Role? {
        // `gate: manager` or `gate: {approval: manager}`
        let roleNode: Node
        if node.scalar != nil {
            roleNode = node
        } else if let spec = entries(node, "gate", allowed: ["approval"]), let approval = spec.first?.value {
            roleNode = approval
        } else {
            return nil
        }
        return parseRole(roleNode)
    }

    mutating func parseRole(_ node: Node) -> Role? {
        guard let text = node.scalar?.string, let role = Role(rawValue: text) else {
            problem(
                node,
                "unknown role '\(node.scalar?.string ?? "")'; roles are \(Role.allCases.map(\.rawValue).joined(separator: ", "))"
            )
            return nil
        }
        return role
    }

    mutating func parseTask(_ node: Node, phase: Phase, _ context: Context) -> TaskPlan? {
        let keys = [
            "id", "title", "description", "role", "required", "when", "due", "captures", "records", "notification",
            "hooks", "obligation", "notice", "doneWhen",
        ]
        guard let spec = entries(node, "a task", allowed: keys) else { return nil }
        let get = { (key: String) in spec.first { $0.key == key }?.value }
        guard let idNode = get("id"), let id = string(idNode, "id") else {
            problem(node, "a task has no 'id'")
            return nil
        }
        if !id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) {
            problem(idNode, "task id '\(id)' must be lower-case letters, digits and hyphens")
        }
        guard let titleNode = get("title"), let title = string(titleNode, "title") else {
            problem(node, "task '\(id)' has no 'title'")
            return nil
        }
        guard let roleNode = get("role") else {
            problem(node, "task '\(id)' has no 'role'")
            return nil
        }
        guard let role = parseRole(roleNode) else { return nil }
        var task = TaskPlan(id: id, title: title, description: get("description")?.scalar?.string ?? "", role: role)
        if let required = get("required") {
            if let value = required.bool {
                task.required = value
            } else {
                problem(required, "required must be true or false")
            }
        }
        if let when = get("when") { task.when = parseCondition(when, context) }
        if let due = get("due") { task.due = parseClock(due, context) }
        if let captures = get("captures") {
            task.captures = strings(captures, "captures")
            for field in task.captures where context.field(field) == nil {
                problem(captures, "task '\(id)' captures unknown field '\(field)'; declare it under 'fields'")
            }
        }
        if let records = get("records") {
            let instant = records.scalar?.string ?? ""
            if !context.instants.contains(instant) || Clock.builtInInstants.contains(instant) {
                problem(records, "task '\(id)' records unknown instant '\(instant)'; declare it under 'instants'")
            } else {
                task.records = instant
            }
        }
        if let notification = get("notification") {
            guard let text = notification.scalar?.string, let recipient = NotificationRecipient(rawValue: text) else {
                problem(
                    notification,
                    "unknown notification recipient; expected one of \(NotificationRecipient.allCases.map(\.rawValue).joined(separator: ", "))"
                )
                return task
            }
            if phase == .report {
                problem(
                    notification,
                    "task '\(id)' records a notification in the report phase; notifications belong to investigate or notify"
                )
            }
            task.notification = recipient
        }
        if let doneWhen = get("doneWhen") {
            if doneWhen.scalar?.string != "assigned" {
                problem(
                    doneWhen,
                    "task '\(id)' has doneWhen '\(doneWhen.scalar?.string ?? "")'; the one event is 'assigned'"
                )
            } else if !task.captures.isEmpty || task.notification != nil || role != .manager {
                problem(
                    doneWhen,
                    "task '\(id)' is done when assigned, so it must be a manager's (who assigns), capture nothing and notify nobody"
                )
            } else {
                task.doneWhenAssigned = true
            }
        }
        if let notice = get("notice") {
            if task.notification == nil {
                problem(notice, "task '\(id)' has a notice but makes no notification; give it 'notification'")
            }
            task.notice = parseNotice(notice, task: id, context)
        }
        if let obligation = get("obligation") {
            guard let flag = obligation.bool else {
                problem(obligation, "obligation must be true or false")
                return task
            }
            task.obligation = flag
        }
        if let hooks = get("hooks") {
            task.hooks = strings(hooks, "hooks")
            for hook in task.hooks where !context.hooks.contains(hook) {
                problem(hooks, "unknown hook '\(hook)'; list it under the playbook's 'hooks'")
            }
        }
        return task
    }

    /// `72h after aware`
    mutating func parseClock(_ node: Node, _ context: Context) -> Clock? {
        guard let text = node.scalar?.string else {
            problem(node, "due must look like '72h after aware'")
            return nil
        }
        var words = text.split(separator: " ").map(String.init)
        let fromYearEnd = words.count == 5 && words[2] == "year-end" && words[3] == "of"
        if fromYearEnd { words.removeSubrange(2...3) }
        guard words.count == 3, words[1] == "after" else {
            problem(node, "due '\(text)' must look like '72h after aware' or '60d after year-end of discovered'")
            return nil
        }
        guard let duration = ClockDuration(parsing: words[0]) else {
            problem(
                node,
                "bad duration '\(words[0])'; use a number with m, h, d or bd (business days), such as 72h or 4bd"
            )
            return nil
        }
        guard context.instants.contains(words[2]) else {
            problem(
                node,
                "unknown instant '\(words[2])'; known instants are \(context.instants.joined(separator: ", "))"
            )
            return nil
        }
        return Clock(duration: duration, after: words[2], fromYearEnd: fromYearEnd)
    }

    mutating func parseCondition(_ node: Node, _ context: Context) -> Condition? {
        if let sequence = node.sequence {
            return .all(sequence.compactMap { parseCondition($0, context) })
        }
        guard let mapping = node.mapping else {
            problem(node, "a condition must be a mapping such as {severity: {in: [high, critical]}}")
            return nil
        }
        var parts: [Condition] = []
        for (keyNode, value) in mapping {
            guard let key = keyNode.string, !key.isEmpty else {
                problem(keyNode, "a condition needs a field name or all, any or not as its key")
                continue
            }
            switch key {
            case "all", "any":
                guard let items = value.sequence else {
                    problem(value, "'\(key)' takes a list of conditions")
                    continue
                }
                let conditions = items.compactMap { parseCondition($0, context) }
                parts.append(key == "all" ? .all(conditions) : .any(conditions))
            case "not":
                if let condition = parseCondition(value, context) { parts.append(.not(condition)) }
            default:
                if let condition = parseFieldCondition(keyNode, field: key, value, context) { parts.append(condition) }
            }
        }
        return parts.count == 1 ? parts[0] : .all(parts)
    }

    mutating func parseFieldCondition(_ keyNode: Node, field: String, _ value: Node, _ context: Context) -> Condition? {
        // `peopleAffectedIn.US` reads one jurisdiction of a counts field.
        let parts = field.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let declaration = context.field(parts[0]) else {
            problem(keyNode, "condition on unknown field '\(field)'; declare it under 'fields'")
            return nil
        }
        var type = declaration.type
        if parts.count == 2 {
            guard type == .counts, Jurisdiction(rawValue: parts[1]) != nil else {
                problem(keyNode, "'\(field)': only counts fields take a jurisdiction, such as peopleAffectedIn.US")
                return nil
            }
            type = .integer
        }
        if let flag = value.bool, value.scalar != nil {
            guard type == .boolean else {
                problem(value, "'\(field)' is not a boolean; compare it with in, includes, atLeast or below")
                return nil
            }
            return .isBool(field: field, value: flag)
        }
        if type == .counts, let spec = value.mapping, spec.contains(where: { $0.key.string == "anyAtLeast" }) {
            return parseAnyAtLeast(spec, field: field, value)
        }
        guard let spec = value.mapping, spec.count == 1, let (operatorNode, operand) = spec.first,
            let op = operatorNode.string
        else {
            problem(value, "a condition on '\(field)' must be one operator, such as {atLeast: 500}")
            return nil
        }
        return parseOperator(op, operatorNode, operand, field: field, type: type)
    }

    /// `{anyAtLeast: 500, within: US}`: some jurisdiction's count reaches the threshold.
    mutating func parseAnyAtLeast(_ spec: Node.Mapping, field: String, _ value: Node) -> Condition? {
        var threshold: Int64?
        var within: String?
        for entry in spec {
            let text: String? = entry.value.string
            switch entry.key.string {
            case "anyAtLeast": threshold = text.flatMap { Int64($0) }
            case "within":
                within = text?.uppercased()
                if let code = within, Jurisdiction(rawValue: code) == nil {
                    problem(entry.value, "'\(code)' is not a country code")
                }
            default: problem(entry.key, "'anyAtLeast' takes only 'within' beside it")
            }
        }
        guard let threshold else {
            problem(value, "'anyAtLeast' takes a whole number")
            return nil
        }
        return .anyCountAtLeast(field: field, value: threshold, within: within)
    }

    /// One operator and its operand on `field` of `type`: in, includes, any, all, atLeast,
    /// below, is or known.
    mutating func parseOperator(
        _ op: String,
        _ operatorNode: Node,
        _ operand: Node,
        field: String,
        type: FieldDeclaration.FieldType
    ) -> Condition? {
        let base = String(field.split(separator: ".").first ?? "")
        func fits(_ allowed: Bool) -> Bool {
            if !allowed { problem(operatorNode, "'\(op)' does not apply to '\(field)'") }
            return allowed
        }
        switch op {
        case "in":
            guard
                fits(
                    {
                        if case .choice = type { return true }
                        return type == .text
                    }()
                )
            else { return nil }
            let values = strings(operand, "in")
            checkChoices(values, of: field, type: type, operand)
            return .isIn(field: field, values: values)
        case "includes", "any", "all":
            guard
                fits(
                    {
                        if case .categories = type { return true }
                        return false
                    }()
                )
            else { return nil }
            let values = strings(operand, op).map { base == "jurisdictions" ? $0.uppercased() : $0 }
            checkChoices(values, of: field, type: type, operand)
            if op == "includes" {
                guard values.count == 1 else {
                    problem(operand, "'includes' takes one value; use 'any' or 'all' for several")
                    return nil
                }
                return .includes(field: field, value: values[0])
            }
            return op == "any" ? .includesAny(field: field, values: values) : .includesAll(field: field, values: values)
        case "atLeast", "below":
            guard fits(type == .integer) else { return nil }
            guard let text = operand.scalar?.string, let number = Int64(text) else {
                problem(operand, "'\(op)' takes a whole number")
                return nil
            }
            return op == "atLeast" ? .atLeast(field: field, value: number) : .below(field: field, value: number)
        case "is":
            guard fits(type == .boolean), let flag = operand.bool else {
                problem(operand, "'is' takes true or false")
                return nil
            }
            return .isBool(field: field, value: flag)
        case "known":
            guard let flag = operand.bool else {
                problem(operand, "'known' takes true or false")
                return nil
            }
            return flag ? .known(field: field) : .not(.known(field: field))
        default:
            problem(operatorNode, "unknown operator '\(op)'; use in, includes, any, all, atLeast, below, is or known")
            return nil
        }
    }

    /// The values of a condition are the field's choices (a jurisdiction for `jurisdictions`).
    mutating func checkChoices(_ values: [String], of field: String, type: FieldDeclaration.FieldType, _ operand: Node)
    {
        let allowedValues: [String]
        switch type {
        case .choice(let choices), .categories(let choices): allowedValues = choices
        default: allowedValues = []
        }
        if field.split(separator: ".").first == "jurisdictions" {
            for value in values where Jurisdiction(rawValue: value) == nil {
                problem(operand, "'\(value)' is not an ISO 3166-1 country code or EU")
            }
        } else if !allowedValues.isEmpty {
            for value in values where !allowedValues.contains(value) {
                problem(
                    operand,
                    "'\(value)' is not a value of '\(field)'; expected one of \(allowedValues.joined(separator: ", "))"
                )
            }
        }
    }

    mutating func parseEscalations(_ node: Node, _ context: Context, tasks: [TaskPlan]) -> [Escalation] {
        guard let sequence = node.sequence else {
            problem(node, "escalations must be a list")
            return []
        }
        var escalations: [Escalation] = []
        for item in sequence {
            guard let spec = entries(item, "an escalation", allowed: ["on", "task", "hook"]) else { continue }
            let get = { (key: String) in spec.first { $0.key == key }?.value }
            guard let onNode = get("on"), let taskNode = get("task"), let hookNode = get("hook") else {
                problem(item, "an escalation needs 'on' (due_soon or overdue), 'task' and 'hook'")
                continue
            }
            guard let trigger = onNode.scalar.flatMap({ Escalation.Trigger(rawValue: $0.string) }) else {
                problem(onNode, "escalations trigger on due_soon or overdue")
                continue
            }
            let task = taskNode.scalar?.string ?? ""
            if !tasks.contains(where: { $0.id == task }) {
                problem(taskNode, "escalation names unknown task '\(task)'")
            }
            let hook = hookNode.scalar?.string ?? ""
            if !context.hooks.contains(hook) {
                problem(hookNode, "unknown hook '\(hook)'; list it under the playbook's 'hooks'")
            }
            escalations.append(Escalation(trigger: trigger, task: task, hook: hook))
        }
        return escalations
    }

    /// A task that records instant X due relative to instant Y makes X depend on Y; a cycle
    /// means no clock in it could ever start.
    mutating func checkInstantCycles(_ tasks: [TaskPlan], declared: [String], node: Node?) {
        var dependsOn: [String: Set<String>] = [:]
        for task in tasks {
            guard let recorded = task.records, let after = task.due?.after, declared.contains(after) else { continue }
            dependsOn[recorded, default: []].insert(after)
        }
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ instant: String, _ path: [String]) -> [String]? {
            if state[instant] == 1 { return path + [instant] }
            if state[instant] == 2 { return nil }
            state[instant] = 1
            for next in dependsOn[instant, default: []].sorted() {
                if let cycle = visit(next, path + [instant]) { return cycle }
            }
            state[instant] = 2
            return nil
        }
        for instant in dependsOn.keys.sorted() {
            if let cycle = visit(instant, []) {
                problem(
                    node,
                    "a cycle between recorded instants: \(cycle.joined(separator: " → ")); no clock in it can start"
                )
                return
            }
        }
    }

    mutating func checkDeclaredInstantsAreRecorded(_ instants: [String], tasks: [TaskPlan], node: Node?) {
        for instant in instants where !tasks.contains(where: { $0.records == instant }) {
            problem(node, "instant '\(instant)' is declared but no task records it")
        }
    }
}
