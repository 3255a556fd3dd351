import ArgumentParser
import Foundation
import Glibc
import IncidentCore
import IncidentProtocol
import Yams

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report a data breach now; add facts later.",
        discussion: """
            Only a title and a description are needed. On a terminal, incidentctl asks for
            whichever is missing. Scripts pass flags, or a JSON or YAML file with the same
            keys as the Report method (title, description, aware, category, severity,
            dataCategories, peopleAffected, recordsAffected, jurisdictions, idempotencyKey,
            dedupKey); flags override the file. A report is sent with an idempotency key,
            so a retry after a dropped connection never files it twice.

            If incidentd cannot be reached, the report is saved in your own state
            directory (readable by you only), and 'incidentctl report --resend' sends it
            later with its key and the time you wrote it; so does the next command of
            yours that reaches incidentd. INCIDENTD_CONTACT, if set, is whom to call
            meanwhile.

            Automated reporters pass a dedup key (a DLP rule and the affected system, say):
            while an incident with that key is open, further reports fold into it, counted,
            instead of filing new incidents.

            Examples:
              incidentctl report --title "Customer list e-mailed to the wrong partner" \\
                  --description "Sent 09:12, recalled 09:40" --data contact --people 1200 \\
                  --jurisdiction DE --jurisdiction EU
              dlp-alert | incidentctl report --from-file -
              incidentctl report --title "DLP: card numbers in outbound mail" \\
                  --description "Rule 42 matched on mx1" --dedup-key dlp-42/mx1
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "One line saying what happened.")
    var title: String?

    @Option(name: .long, help: "What is known so far.")
    var description: String?

    @Option(name: .long, help: "When you became aware of it (default: now), e.g. 2026-05-01T09:30:00Z.")
    var aware: String?

    @Option(name: .long, help: "When it was discovered, if different.")
    var discovered: String?

    @Option(
        name: .long,
        help: "external_attack, accidental_disclosure, lost_or_stolen_device, vendor_exposure, insider_misuse or other."
    )
    var category: IncidentCategory?

    @Option(name: .long, help: "untriaged (default), low, medium, high or critical.")
    var severity: Severity?

    @Option(
        name: .customLong("data"),
        help:
            "A kind of personal data involved (identity, contact, transactions, financial, credentials, health, other); repeatable."
    )
    var dataCategories: [DataCategory] = []

    @Option(name: .customLong("people"), help: "Estimated number of people affected.")
    var peopleAffected: Int64?

    @Option(name: .customLong("records"), help: "Estimated number of records affected.")
    var recordsAffected: Int64?

    @Option(name: .customLong("jurisdiction"), help: "An ISO country code or EU; repeatable.")
    var jurisdictions: [String] = []

    @Option(name: .long, help: "A key that makes retries safe (default: a new random one).")
    var idempotencyKey: String?

    @Option(name: .long, help: "Fold into the open incident with this key, if there is one (automated reporters).")
    var dedupKey: String?

    @Option(name: .long, help: "Read the report from a JSON or YAML file, or - for standard input.")
    var fromFile: String?

    @Flag(name: .long, help: "Send the reports saved while incidentd could not be reached.")
    var resend = false

    @Flag(name: .long, help: "Do not keep a copy when incidentd cannot be reached.")
    var noSave = false

    func validate() throws {
        if resend, title != nil || description != nil || fromFile != nil {
            throw ValidationError("--resend sends the saved reports; file a new one without it.")
        }
    }

    func run() throws {
        if resend { return try resendSaved(quiet: false) }
        let written = Date()
        var parameters = try fromFile.map(Self.load) ?? ReportFile()
        try apply(to: &parameters)
        if parameters.title == nil || parameters.description == nil {
            if isatty(STDIN_FILENO) == 1, fromFile != "-" {
                try prompt(&parameters)
            } else {
                let missing = [
                    parameters.title == nil ? "--title" : nil, parameters.description == nil ? "--description" : nil,
                ]
                .compactMap { $0 }.joined(separator: " and ")
                throw CLIError("A report needs \(missing); pass it as a flag or in --from-file.", status: .usage)
            }
        }
        var wire = try parameters.wire()
        wire.idempotencyKey = wire.idempotencyKey ?? UUID().uuidString.lowercased()
        var connection = global.connection()
        // A Result, not `catch let error as CLIError where …`: that form crashes Swift 6.3's
        // compiler on this typed-throws call.
        let sent: Result<IncidentsWire.ReportReply, CLIError>
        do {
            sent = .success(try connection.call(Methods.Incidents.report, wire, retries: 3))
        } catch {
            sent = .failure(error)
        }
        if case .failure(let error) = sent, error.status == .unavailable, !noSave {
            // The moment the person wrote it is when they became aware, unless they said.
            if wire.aware == nil { wire.aware = written }
            throw Self.saved(wire, because: error)
        }
        let reply = try sent.get()
        defer { try? resendSaved(quiet: global.json) }
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        let incident = reply.incident
        if reply.created {
            printOut(Language.current.text("Reported %s: %s", incident.reference.rawValue, incident.title))
        } else if reply.folded == true {
            printOut(
                Language.current.text(
                    "Folded into the open incident %s with the same dedup key (%s reports so far): %s",
                    incident.reference.rawValue,
                    String(incident.reportCount),
                    incident.title
                )
            )
        } else {
            printOut(Language.current.text("Already reported as %s: %s", incident.reference.rawValue, incident.title))
        }
        printOut(Language.current.text("Follow it with: %s", "incidentctl show \(incident.reference)"))
    }

    /// Saves a report incidentd could not take, and says so: where it is, whom to call, and
    /// how to send it later.
    static func saved(_ report: IncidentsWire.ReportParameters, because failure: CLIError) -> CLIError {
        let saved = SavedReports()
        let language = Language.current
        let path: String
        do {
            path = try saved.save(report)
        } catch {
            return CLIError(
                failure.message + "\n"
                    + language.text(
                        "It could not be saved in %s either (%s); keep its text and report it again.",
                        saved.directory,
                        "\(error)"
                    ),
                status: .unavailable
            )
        }
        var message =
            failure.message + "\n"
            + language.text("Your report is saved in %s (readable by you only); nothing is lost.", path)
        if let contact = ProcessInfo.processInfo.environment["INCIDENTD_CONTACT"], !contact.isEmpty {
            message += " " + language.text("If it is urgent, tell %s now.", contact)
        }
        message +=
            " "
            + language.text(
                "Send it with '%s' once incidentd is back; it keeps its key, so it is never filed twice.",
                "incidentctl report --resend"
            )
        return CLIError(message, status: .unavailable)
    }

    /// Sends the saved reports (``SavedReports/send(to:say:)``), saying each on standard output.
    private func resendSaved(quiet: Bool) throws {
        let sent = try SavedReports().send(to: global.target, say: quiet ? { _ in } : { printOut($0) })
        if sent == 0, !quiet, resend { printOut(Language.current.text("No saved reports to send.")) }
    }

    private func apply(to parameters: inout ReportFile) throws {
        if let title { parameters.title = title }
        if let description { parameters.description = description }
        if let aware { parameters.aware = try InstantParser.instant(aware, flag: "--aware") }
        if let discovered { parameters.discovered = try InstantParser.instant(discovered, flag: "--discovered") }
        if let category { parameters.category = category }
        if let severity { parameters.severity = severity }
        if !dataCategories.isEmpty { parameters.dataCategories = dataCategories }
        if let peopleAffected { parameters.peopleAffected = peopleAffected }
        if let recordsAffected { parameters.recordsAffected = recordsAffected }
        if !jurisdictions.isEmpty {
            parameters.jurisdictions = try jurisdictions.map { code in
                guard let jurisdiction = Jurisdiction(rawValue: code) else {
                    throw CLIError("--jurisdiction \(code) is not an ISO 3166-1 country code or EU.", status: .usage)
                }
                return jurisdiction
            }
        }
        if let idempotencyKey { parameters.idempotencyKey = idempotencyKey }
        if let dedupKey { parameters.dedupKey = dedupKey }
    }

    private func prompt(_ parameters: inout ReportFile) throws {
        printOut(Language.current.text("Reporting a data breach. Say what you know now; facts can be added later."))
        // A title too long to keep is not thrown away: it starts the description.
        var kept: [String] = []
        if parameters.title == nil {
            parameters.title = try ask(
                Language.current.text(
                    "In one line, what happened? (at most %s characters)",
                    String(ReportDraft.maximumTitleLength)
                )
            ) { answer in
                if let problem = Self.titleProblem(answer) {
                    kept.append(answer)
                    return problem + " " + Language.current.text("What you typed is kept for the description.")
                }
                return nil
            }
        }
        if parameters.description == nil {
            let described = try ask(
                Language.current.text(
                    kept.isEmpty
                        ? "Describe it: what data, whose, how it leaked, what you did so far."
                        : "Describe it (it starts with what you typed as a title; Enter alone keeps just that):"
                ),
                allowEmpty: !kept.isEmpty
            ) { _ in nil }
            parameters.description = (kept + (described.isEmpty ? [] : [described])).joined(separator: "\n\n")
        }
    }

    /// Why `title` would be refused, in a sentence, or nil: the daemon's own rules.
    static func titleProblem(_ title: String) -> String? {
        if title.count > ReportDraft.maximumTitleLength {
            return Language.current.text(
                "That is %s characters; a title has at most %s.",
                String(title.count),
                String(ReportDraft.maximumTitleLength)
            )
        }
        if let scalar = ControlCharacters.first(in: title, multiLine: false) {
            return Language.current.text(
                "A title cannot hold the control character U+%s.",
                String(scalar.value, radix: 16, uppercase: true)
            )
        }
        return nil
    }

    /// Asks until an answer passes `problem` (which says what is wrong, or nil).
    private func ask(_ question: String, allowEmpty: Bool = false, problem: (String) -> String?) throws -> String {
        while true {
            print(question, terminator: "\n> ")
            guard let line = readLine() else {
                throw CLIError(
                    Language.current.text("Nothing was reported: the input ended before the report was complete."),
                    status: .usage
                )
            }
            let answer = line.trimmingCharacters(in: .whitespaces)
            if answer.isEmpty, !allowEmpty { continue }
            if let problem = problem(answer) {
                printOut(problem)
                continue
            }
            return answer
        }
    }

    /// Loads a report from a JSON or YAML file (JSON is YAML), refusing unknown keys.
    static func load(_ path: String) throws -> ReportFile {
        let text: String
        if path == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CLIError("Cannot read \(path); check the path and its permissions.", status: .usage)
            }
            text = contents
        }
        let source = path == "-" ? "standard input" : path
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw CLIError("\(source) is neither JSON nor YAML: \(error)", status: .usage)
        }
        guard let mapping = node?.mapping else {
            throw CLIError("\(source) must hold one object with keys such as title and description.", status: .usage)
        }
        for key in mapping.keys.compactMap(\.string) where !ReportFile.keys.contains(key) {
            throw CLIError(
                "\(source) has an unknown key \(key); known keys are \(ReportFile.keys.sorted().joined(separator: ", ")).",
                status: .usage
            )
        }
        var file = ReportFile()
        func string(_ key: String) throws -> String? {
            guard let value = mapping[key] else { return nil }
            guard let text = value.scalar?.string else {
                throw CLIError("\(key) in \(source) must be a single value.", status: .usage)
            }
            return text
        }
        func list(_ key: String) throws -> [String]? {
            guard let value = mapping[key] else { return nil }
            if let text = value.scalar?.string { return [text] }
            guard let items = value.sequence?.compactMap({ $0.scalar?.string }) else {
                throw CLIError("\(key) in \(source) must be a list.", status: .usage)
            }
            return items
        }
        func number(_ key: String) throws -> Int64? {
            guard let text = try string(key) else { return nil }
            guard let value = Int64(text) else {
                throw CLIError("\(key) in \(source) must be a whole number.", status: .usage)
            }
            return value
        }
        func choice<T: RawRepresentable>(_ key: String, _ text: String, _ type: T.Type) throws -> T
        where T.RawValue == String {
            guard let value = T(rawValue: text) else {
                throw CLIError("\(key) in \(source) cannot be \(text).", status: .usage)
            }
            return value
        }
        file.title = try string("title")
        file.description = try string("description")
        file.aware = try string("aware").map { try InstantParser.instant($0, flag: "aware") }
        file.discovered = try string("discovered").map { try InstantParser.instant($0, flag: "discovered") }
        file.category = try string("category").map { try choice("category", $0, IncidentCategory.self) }
        file.severity = try string("severity").map { try choice("severity", $0, Severity.self) }
        file.dataCategories = try list("dataCategories")?.map { try choice("dataCategories", $0, DataCategory.self) }
        file.peopleAffected = try number("peopleAffected")
        file.recordsAffected = try number("recordsAffected")
        file.jurisdictions = try list("jurisdictions")?.map { try choice("jurisdictions", $0, Jurisdiction.self) }
        file.idempotencyKey = try string("idempotencyKey")
        file.dedupKey = try string("dedupKey")
        return file
    }
}

/// A report being assembled from a file, flags and prompts; every field optional until sent.
struct ReportFile {
    static let keys: Set<String> = [
        "title", "description", "aware", "discovered", "category", "severity", "dataCategories",
        "peopleAffected", "recordsAffected", "jurisdictions", "idempotencyKey", "dedupKey",
    ]

    var title: String?
    var description: String?
    var aware: Date?
    var discovered: Date?
    var category: IncidentCategory?
    var severity: Severity?
    var dataCategories: [DataCategory]?
    var peopleAffected: Int64?
    var recordsAffected: Int64?
    var jurisdictions: [Jurisdiction]?
    var idempotencyKey: String?
    var dedupKey: String?

    func wire() throws -> IncidentsWire.ReportParameters {
        guard let title, let description else {
            throw CLIError("A report needs a title and a description.", status: .usage)
        }
        var draft = ReportDraft(title: title, description: description)
        draft.aware = aware
        draft.discovered = discovered
        draft.category = category
        draft.severity = severity ?? .untriaged
        draft.dataCategories = dataCategories ?? []
        draft.peopleAffected = peopleAffected
        draft.recordsAffected = recordsAffected
        draft.jurisdictions = jurisdictions ?? []
        draft.idempotencyKey = idempotencyKey
        draft.dedupKey = dedupKey
        return IncidentsWire.ReportParameters(draft: draft)
    }
}
