import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

/// Sends a workflow command and prints the resulting case file (or its JSON).
private func sendWorkflow<P>(
    _ global: GlobalOptions,
    _ method: Method<P, WorkflowWire.CaseFileReply>,
    _ parameters: P,
    done: String,
    on open: DaemonConnection? = nil
) throws {
    var connection = open ?? global.connection()
    let reply = try connection.call(method, parameters)
    if global.json {
        printOut(try Output.json(reply))
    } else {
        printOut(done)
        printOut("")
        printOut(Output().caseFile(reply))
    }
}

struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Complete or skip a playbook task.",
        subcommands: [TaskDoneCommand.self, TaskSkipCommand.self]
    )
}

struct TaskDoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "done",
        abstract: "Complete a task of the incident's current phase, with what it captures.",
        discussion: """
            Each --set gives one capture as name=value, in the form of its type (as
            'incidentctl update' takes them, and as a refused value's error says):
              number             peopleAffected=1200, or ~1200 for an estimate
              yes or no          notifiable=true, highRisk=false
              counts             peopleAffectedIn=CN:1200,DE:40 (~ before one: estimate)
              categories         a list, such as health,contact
              instant            breachOccurred=2026-05-01T09:30:00Z
              text or choice     containment="recalled the e-mail"

            Examples:
              incidentctl task done INC-2026-000123 contain \\
                  --set containment="recalled the e-mail"
              incidentctl task done INC-2026-000123 assess-notifiability \\
                  --set notifiable=true --set highRisk=false \\
                  --reason "contact data only; no sensitive categories"
              incidentctl task done INC-2026-000123 scope \\
                  --set peopleAffectedIn=DE:900,FR:300 --set peopleAffected=~1200
              incidentctl task done INC-2026-000123 gdpr-authority --recipient BfDI \\
                  --channel portal --regulator-ref BfDI-2026-4411 \\
                  --set regulatorReference=BfDI-2026-4411 --text-file notice.txt \\
                  --defer measuresProposed="review not finished"
              incidentctl task done INC-2026-000123 pipl-individuals \\
                  --recipient customers --channel e-mail --as-drafted --lang zh-CN
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The task's id, as 'incidentctl show' lists it.", completion: Completions.tasks) var task: String

    @Option(name: .customLong("set"), help: "A captured field, as name=value; repeatable.")
    var captures: [String] = []

    @Option(name: .long, help: "Why: required for decisions, and for notifications made after their deadline.")
    var reason: String?

    @Option(name: .long, help: "For notification tasks: who was told.")
    var recipient: String?

    @Option(name: .long, help: "For notification tasks: how (portal, e-mail, letter).")
    var channel: String?

    @Option(name: .long, help: "For notification tasks: the regulator's case number.")
    var regulatorRef: String?

    @Option(name: .long, help: "For notification tasks: a digest of what was sent.")
    var contentDigest: String?

    @Option(name: .long, help: "For tasks with a notice: the file holding the exact text sent (- for stdin).")
    var textFile: String?

    @Flag(name: .long, help: "For tasks with a notice: the text sent is the draft, as notice draft writes it.")
    var asDrafted = false

    @Option(name: .customLong("lang"), help: "For tasks with a notice: the language of the text sent (en, zh-CN).")
    var language: String?

    @Option(
        name: .customLong("defer"),
        help: "For tasks with a notice: an element left to a later notice, as element=reason; repeatable."
    )
    var deferrals: [String] = []

    @Option(name: .long, help: "Refuse if the incident changed since this version.")
    var ifVersion: Int?

    func run() throws {
        let given = try CaptureArguments(captures)
        var notification: WorkflowWire.NotificationParameters?
        if recipient != nil || channel != nil {
            guard let recipient, let channel else {
                throw CLIError("A notification needs both --recipient and --channel.", status: .usage)
            }
            notification = .init(
                recipient: recipient,
                channel: channel,
                reference: regulatorRef,
                contentDigest: contentDigest
            )
        }
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        if textFile != nil || asDrafted || language != nil || !deferrals.isEmpty {
            guard notification != nil else {
                throw CLIError("A notice is sent with a notification: give --recipient and --channel.", status: .usage)
            }
            notification?.text = try noticeText(reference, on: &connection)
            notification?.language = language
            notification?.deferred = try Self.deferred(deferrals)
        }
        var typed: (captures: [String: CaptureValue], estimated: [String]) = ([:], [])
        if !given.isEmpty {
            // The case file says each field's type, so each capture goes as JSON of it.
            let file = try connection.call(Methods.Incidents.get, .init(reference: reference))
            typed = try given.typed(by: file.fieldTypes ?? [:])
        }
        try sendWorkflow(
            global,
            Methods.Incidents.completeTask,
            WorkflowWire.CompleteTaskParameters(
                reference: reference,
                task: task,
                values: typed.captures.isEmpty ? nil : typed.captures,
                estimated: typed.estimated.isEmpty ? nil : typed.estimated,
                reason: reason,
                notification: notification,
                version: ifVersion
            ),
            done: "Completed \(task) of \(reference).",
            on: connection
        )
    }

    /// The exact text sent: the file's bytes, standard input's, or the draft as it stands.
    private func noticeText(_ reference: IncidentReference, on connection: inout DaemonConnection) throws -> String? {
        switch (textFile, asDrafted) {
        case (.some, true):
            throw CLIError("Give the text sent either with --text-file or --as-drafted, not both.", status: .usage)
        case (let path?, false):
            let data: Data?
            data =
                path == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
            guard let data else { throw CLIError("Cannot read --text-file \(path); check the path.", status: .usage) }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CLIError("--text-file \(path) is not UTF-8 text.", status: .usage)
            }
            return text
        case (nil, true):
            return try connection.call(
                Methods.Notices.draft,
                NoticesWire.DraftParameters(reference: reference, task: task, language: language)
            ).text
        case (nil, false):
            return nil
        }
    }

    /// `--defer element=reason`, each element once.
    static func deferred(_ arguments: [String]) throws -> [String: String]? {
        guard !arguments.isEmpty else { return nil }
        var deferred: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw CLIError("--defer \(argument) must look like element=reason.", status: .usage)
            }
            deferred[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
        }
        return deferred
    }
}

struct TaskSkipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skip",
        abstract: "Skip a task, saying why.",
        discussion: """
            Example:
              incidentctl task skip INC-2026-000123 customers \\
                  --reason "no customer data involved"
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The task's id.", completion: Completions.tasks) var task: String
    @Option(name: .long, help: "Why it is skipped (recorded).") var reason: String
    @Option(name: .long, help: "Refuse if the incident changed since this version.") var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        try sendWorkflow(
            global,
            Methods.Incidents.skipTask,
            WorkflowWire.SkipTaskParameters(reference: reference, task: task, reason: reason, version: ifVersion),
            done: "Skipped \(task) of \(reference)."
        )
    }
}

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Update an incident's triage facts; the tasks that apply follow.",
        discussion: """
            Examples:
              incidentctl update INC-2026-000123 --severity high --people 1200
              incidentctl update INC-2026-000123 --people-in US-CA:600 --people-in US-NV:40
              incidentctl update INC-2026-000123 --people 5000 --estimate
              incidentctl update INC-2026-000123 \\
                  --set likelyConsequences="phishing aimed at the customers named"
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "untriaged, low, medium, high or critical.") var severity: Severity?
    @Option(name: .long, help: "What kind of event caused it.") var category: IncidentCategory?
    @Option(name: .customLong("data"), help: "A kind of personal data involved; repeatable (replaces the list).")
    var dataCategories: [DataCategory] = []
    @Option(name: .customLong("people"), help: "People affected.") var peopleAffected: Int64?
    @Option(name: .customLong("records"), help: "Records affected.") var recordsAffected: Int64?
    @Option(
        name: .customLong("jurisdiction"),
        help: "An ISO code, EU or a US state (US-CA); repeatable (replaces the list)."
    )
    var jurisdictions: [String] = []
    @Option(
        name: .customLong("people-in"),
        help: "People affected per jurisdiction, as CN:1200 or CN:1200,DE:40 (as --set takes them); repeatable."
    )
    var peopleIn: [String] = []
    @Flag(name: .long, help: "The counts given (--people, --records, --people-in) are estimates.") var estimate = false
    @Option(
        name: .long,
        help:
            "When the breach was first known to anyone in the organisation (2026-05-01T09:30:00Z, or a local date and time)."
    )
    var discovered: String?
    @Option(
        name: .customLong("set"),
        help: "Another field of the playbook, not a decision, as name=value; repeatable."
    )
    var values: [String] = []
    @Option(name: .long, help: "Refuse if the incident changed since this version.") var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var parameters = WorkflowWire.UpdateParameters(reference: reference, version: ifVersion)
        parameters.severity = severity
        parameters.category = category
        parameters.dataCategories = dataCategories.isEmpty ? nil : dataCategories
        parameters.peopleAffected = peopleAffected
        parameters.recordsAffected = recordsAffected
        parameters.discovered = try discovered.map { try InstantParser.instant($0, flag: "--discovered") }
        if !jurisdictions.isEmpty {
            parameters.jurisdictions = try jurisdictions.map { code in
                guard let jurisdiction = Jurisdiction(rawValue: code) else {
                    throw CLIError(
                        "--jurisdiction \(code) is not a country code, EU or a US state such as US-CA.",
                        status: .usage
                    )
                }
                return jurisdiction
            }
        }
        if !peopleIn.isEmpty {
            var counts: [String: Int64] = [:]
            for entry in peopleIn {
                // CODE:count, as --set peopleAffectedIn takes it; CODE=count is the deprecated form.
                let pair = entry.contains(":") ? entry : entry.replacingOccurrences(of: "=", with: ":")
                guard case .counts(let given)? = CaptureValue.parse(pair, as: .counts)?.value, !given.isEmpty,
                    given.keys.allSatisfy({ Jurisdiction(rawValue: $0) != nil })
                else {
                    throw CLIError(
                        "--people-in \(entry) must be counts such as CN:1200,DE:40 (ISO country codes, US-CA, EU), "
                            + "as --set peopleAffectedIn takes them.",
                        status: .usage
                    )
                }
                for (code, count) in given { counts[Jurisdiction(rawValue: code)!.rawValue] = count }
            }
            parameters.peopleAffectedIn = counts
        }
        if estimate {
            let given = [
                ("peopleAffected", peopleAffected != nil), ("recordsAffected", recordsAffected != nil),
                ("peopleAffectedIn", !peopleIn.isEmpty),
            ].filter(\.1).map(\.0)
            guard !given.isEmpty else {
                throw CLIError(
                    "--estimate marks the counts given; give --people, --records or --people-in.",
                    status: .usage
                )
            }
            parameters.estimated = given
        }
        let given = try CaptureArguments(values)
        var connection = global.connection()
        if !given.isEmpty {
            // Typed by the case file's field types, as task done types its captures.
            let file = try connection.call(Methods.Incidents.get, .init(reference: reference))
            let typed = try given.typed(by: file.fieldTypes ?? [:])
            parameters.values = typed.captures
            if !typed.estimated.isEmpty { parameters.estimated = (parameters.estimated ?? []) + typed.estimated }
        }
        try sendWorkflow(global, Methods.Incidents.update, parameters, done: "Updated \(reference).", on: connection)
    }
}

struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve the current phase's gate.",
        discussion: "Example:\n  incidentctl approve INC-2026-000123"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "Refuse if the incident changed since this version.") var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        try sendWorkflow(
            global,
            Methods.Incidents.approve,
            WorkflowWire.ReasonParameters(reference: reference, version: ifVersion),
            done: "Approved the gate of \(reference)."
        )
    }
}

struct AdvanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advance",
        abstract: "Move an incident to its next phase.",
        discussion: """
            Refused with the missing tasks and gate named, unless a manager forces it with a
            reason.
            Examples:
              incidentctl advance INC-2026-000123
              incidentctl advance INC-2026-000123 \\
                  --force "authority asked for the notification today"
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "Move anyway, for this reason (managers; recorded).") var force: String?
    @Option(name: .long, help: "Refuse if the incident changed since this version.") var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        try sendWorkflow(
            global,
            Methods.Incidents.advance,
            WorkflowWire.AdvanceParameters(reference: reference, force: force, version: ifVersion),
            done: "\(reference) moved on."
        )
    }
}

struct CloseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close",
        abstract: "Close an incident from its notify phase (managers).",
        discussion: """
            Example:
              incidentctl close INC-2026-000123 \\
                  --resolution "recalled; partner confirmed deletion" \\
                  --lessons "confirm recipients before sending customer lists"
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "How it ended.") var resolution: String
    @Option(name: .long, help: "What the organisation learned.") var lessons: String
    @Option(name: .long, help: "Close although tasks are open, for this reason (recorded).") var force: String?
    @Option(name: .long, help: "Refuse if the incident changed since this version.") var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        try sendWorkflow(
            global,
            Methods.Incidents.close,
            WorkflowWire.CloseParameters(
                reference: reference,
                resolution: resolution,
                lessonsLearned: lessons,
                force: force,
                version: ifVersion
            ),
            done: "Closed \(reference)."
        )
    }
}

/// reopen: an incident and a reason.
struct ReasonCommand {
    static func run(
        _ global: GlobalOptions,
        _ method: Method<WorkflowWire.ReasonParameters, WorkflowWire.CaseFileReply>,
        _ reference: String,
        _ reason: String,
        done: String
    ) throws {
        let reference = try IncidentReference.parse(reference)
        try sendWorkflow(
            global,
            method,
            WorkflowWire.ReasonParameters(reference: reference, reason: reason),
            done: "\(reference): \(done)"
        )
    }
}

struct ReopenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen",
        abstract: "Reopen a closed incident (managers).",
        discussion: "Example:\n  incidentctl reopen INC-2026-000123 --reason \"the partner found a second copy\""
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "Why (recorded).") var reason: String
    func run() throws { try ReasonCommand.run(global, Methods.Incidents.reopen, reference, reason, done: "reopened.") }
}

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause the clocks of the regimes whose law allows a delay, such as law enforcement's (managers).",
        discussion: """
            A pause names its basis. It moves only the clocks of the regimes whose law
            allows a delay on that basis, for at most what the law allows; GDPR, NIS2, PIPL
            and China's reporting measures allow none, and their clocks keep running. `show`
            lists each regime's bases. A pause with an end ends by itself then.

            Bases in the shipped regimes:
              law-enforcement-written  a written request; lasts the period it states
                                       (HIPAA, US states)
              law-enforcement-oral     an oral request; HIPAA at most 30 days (HIPAA, US
                                       states)
              attorney-general         the US Attorney General's determination; 30 days
                                       (SEC 8-K)

            Examples:
              incidentctl pause INC-2026-000123 --basis law-enforcement-written \\
                  --until 2027-01-15 --reason "FBI letter of 2026-12-01, ref 77/26"
              incidentctl pause INC-2026-000123 --basis law-enforcement-oral \\
                  --regime hipaa \\
                  --reason "call from Det. Ruiz, 2026-12-01 10:40; letter to follow"
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "The basis the law allows (see above).") var basis: String
    @Option(
        name: .long,
        help: "Pause only this regime (repeatable); default: every regime with a running clock that allows the basis."
    )
    var regime: [String] = []
    @Option(name: .long, help: "When the pause ends by itself, such as 2027-01-15 (needed for a written request).")
    var until: String?
    @Option(name: .long, help: "Why, and the request's reference (recorded, sealed).") var reason: String
    @Option(name: .long, help: "Refuse if the incident changed since this version.") var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        let parameters = WorkflowWire.PauseParameters(
            reference: reference,
            basis: basis,
            regimes: regime.isEmpty ? nil : regime,
            until: try until.map { try InstantParser.instant($0, flag: "--until") },
            reason: reason,
            version: ifVersion
        )
        var connection = global.connection()
        let reply = try connection.call(Methods.Incidents.pauseClock, parameters)
        if global.json { return printOut(try Output.json(reply)) }
        let newest = (reply.pauses ?? []).filter { $0.endedAt == nil }.map(\.since).max()
        let added = (reply.pauses ?? []).filter { $0.endedAt == nil && $0.since == newest }
        let paused = Set((reply.pauses ?? []).filter { $0.isRunning(at: Date()) }.compactMap(\.regime))
        var lines = added.map { pause in
            "\(reference): \(pause.regime ?? "every clock") paused"
                + (pause.until.map { " until \(Output().time($0))" } ?? " until resumed") + " (\(pause.basis))."
        }
        let running = (reply.runningRegimes ?? []).filter { !paused.contains($0) }
        if !running.isEmpty {
            let list = running.joined(separator: ", ")
            lines.append(
                regime.isEmpty ? "No such delay under \(list): their clocks keep running." : "Still running: \(list)."
            )
        }
        printOut(lines.joined(separator: "\n"))
        printOut("")
        printOut(Output().caseFile(reply))
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Lift clock pauses; deadlines move by the time paused (managers).",
        discussion: """
            Examples:
              incidentctl resume INC-2026-000123 \\
                  --reason "FBI lifted the delay by letter of 2026-12-20"
              incidentctl resume INC-2026-000123 --regime hipaa \\
                  --reason "oral request not confirmed in writing"
            """
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "Resume only this regime (repeatable); default: every running pause.") var regime:
        [String] = []
    @Option(name: .long, help: "Why (recorded).") var reason: String
    @Option(name: .long, help: "Refuse if the incident changed since this version.") var ifVersion: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        try sendWorkflow(
            global,
            Methods.Incidents.resumeClock,
            WorkflowWire.ResumeParameters(
                reference: reference,
                regimes: regime.isEmpty ? nil : regime,
                reason: reason,
                version: ifVersion
            ),
            done: "\(reference): clocks resumed; their deadlines moved by the time paused."
        )
    }
}

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Add a note to an incident's timeline.",
        discussion: "Example:\n  incidentctl note INC-2026-000123 \"Partner B confirmed deletion by phone\""
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Argument(help: "The note.") var text: String

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        try sendWorkflow(
            global,
            Methods.Incidents.note,
            WorkflowWire.NoteParameters(reference: reference, text: text),
            done: "Noted on \(reference)."
        )
    }
}

struct TimelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timeline",
        abstract: "Show what happened to an incident, oldest first.",
        discussion:
            "Examples:\n  incidentctl timeline INC-2026-000123\n  incidentctl timeline INC-2026-000123 --latest 20"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident's reference.", completion: Completions.references) var reference: String
    @Option(name: .long, help: "Only the latest this many events (1 to 1000).") var latest: Int?

    func run() throws {
        let reference = try IncidentReference.parse(reference)
        var connection = global.connection()
        let reply = try connection.call(
            Methods.Incidents.timeline,
            WorkflowWire.TimelineParameters(reference: reference, latest: latest),
            retries: 2
        )
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        printOut(Output().timeline(reply.events))
    }
}

extension Output {
    /// Events as a table: time, who, what, details.
    func timeline(_ events: [WorkflowWire.TimelineReply.Event]) -> String {
        var rows: [[String]] = [["TIME", "WHO", "EVENT", "DETAIL"]]
        for event in events {
            let detail = event.data.keys.sorted().map { "\($0)=\(event.data[$0]!)" }.joined(separator: " ")
            rows.append([time(event.at), event.actor ?? "-", event.kind, detail])
        }
        return columns(rows)
    }
}
