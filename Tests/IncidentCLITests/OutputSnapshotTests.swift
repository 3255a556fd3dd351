import Foundation
import IncidentCore
import IncidentProtocol
import Testing
import Varlink

@testable import IncidentCLI

/// incidentctl's human output, compared with committed snapshots. The replies are recorded
/// from a real daemon (Fixtures/); the clock and time zone are fixed, so the snapshots hold on
/// any machine. After an intended change, run with INCIDENTD_RECORD_SNAPSHOTS=1 and review
/// the diff of Snapshots/.
@Suite struct OutputSnapshotTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    /// Two hours after the fixtures' reports were filed.
    static let now = VarlinkJSON.parseInstant("2026-11-29T08:52:55Z")!
    static let output = Output(
        timeZone: TimeZone(identifier: "Europe/Berlin")!,
        now: now,
        colour: false,
        width: 100,
        language: .english
    )

    static func fixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let data = try Data(contentsOf: directory.appendingPathComponent("Fixtures/\(name).json"))
        return try VarlinkJSON.decoder().decode(T.self, from: data)
    }

    /// Compares `text` with Snapshots/`name`.txt (or writes it, when recording).
    static func assertSnapshot(
        _ text: String,
        named name: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let file = directory.appendingPathComponent("Snapshots/\(name).txt")
        if ProcessInfo.processInfo.environment["INCIDENTD_RECORD_SNAPSHOTS"] == "1" {
            try (text + "\n").write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(
            text + "\n" == expected,
            "\(name) differs from its snapshot; got:\n\(text)",
            sourceLocation: sourceLocation
        )
    }

    @Test func statusScreen() throws {
        let reply = try Self.fixture("status", as: IncidentsWire.StatusReply.self)
        let text = StatusCommand.render(reply, output: Self.output)
        try Self.assertSnapshot(text, named: "status")
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 }, "fits 100 columns")
    }

    /// Titles in Latin, Chinese and emoji, at 80 and 100 columns: every line fits in display
    /// columns, titles give way with `…`, and references and task ids stay whole.
    static let titles = [
        "Customer list with names, e-mail addresses and order totals sent to the wrong partner",
        "客户名单（姓名、手机号、订单金额）误发给了错误的合作伙伴，需立即召回",
        "🔥 Payment export 💳 left on a public share 📂 for two days",
    ]

    @Test(arguments: [80, 100], [Language.english, .simplifiedChinese])
    func screensFitTheTerminalWithWideCharacters(width: Int, language: Language) throws {
        var output = Self.output
        output.width = width
        output.language = language
        let suffix = language == .english ? "" : "-\(language.catalogue!)"
        var list = try Self.fixture("list", as: IncidentsWire.ListReply.self)
        for index in list.incidents.indices { list.incidents[index].title = Self.titles[index % Self.titles.count] }
        var status = try Self.fixture("status", as: IncidentsWire.StatusReply.self)
        func retitle(_ tasks: [IncidentsWire.DueTask]?) -> [IncidentsWire.DueTask]? {
            tasks.map {
                $0.enumerated().map { index, task in
                    var task = task
                    task.title = Self.titles[(index + 1) % Self.titles.count]
                    task.incidentTitle = Self.titles[index % Self.titles.count]
                    return task
                }
            }
        }
        status.overdue = retitle(status.overdue)
        status.dueSoon = retitle(status.dueSoon)
        status.myTasks = retitle(status.myTasks)
        status.owedNotifications = retitle(status.owedNotifications)
        status.oldestOpen?.title = Self.titles[1]
        var file = try Self.fixture("casefile", as: WorkflowWire.CaseFileReply.self)
        file.incident.title = Self.titles[1]
        let screens = [
            ("list", output.table(list.incidents)), ("status", StatusCommand.render(status, output: output)),
            ("casefile", output.caseFile(file)),
            ("stats", output.statistics(try Self.fixture("stats", as: IncidentsWire.StatsReply.self))),
        ]
        for (name, text) in screens {
            try Self.assertSnapshot(text, named: "\(name)-wide-\(width)\(suffix)")
            for line in text.split(separator: "\n") {
                #expect(DisplayWidth.of(line) <= width, "\(name) at \(width): \(line)")
            }
        }
        let ids = (status.overdue ?? []) + (status.dueSoon ?? [])
        for task in ids {
            #expect(screens[1].1.contains("\(task.reference)  \(task.task)"), "task ids are never shortened")
        }
    }

    /// The operators' screens, `hooks` and `audit`, at 80 and 100 columns: ids people type
    /// back stay whole (the short delivery id, sequence numbers, references), the rest gives way.
    @Test(arguments: [80, 100])
    func hooksAndAuditFitTheTerminal(width: Int) throws {
        var output = Self.output
        output.width = width
        let reference = "INC-2026-000001"
        let deliveries = HooksWire.DeliveriesReply(
            deliveries: [
                DeliveryInfo(
                    id: UUID(uuidString: "3F1C2A9E-5B7D-4C1E-9A0F-2D6B8E4C7A10")!,
                    hook: "chat-webhook",
                    event: "incident.reported",
                    incident: reference,
                    state: "dead",
                    attempts: 8,
                    maxAttempts: 8,
                    nextAttempt: nil,
                    lastError: "HTTP 503 from https://chat.example.com/hooks/incidents (Service Unavailable)",
                    createdAt: Self.now.addingTimeInterval(-7200),
                    deliveredAt: nil
                ),
                DeliveryInfo(
                    id: UUID(uuidString: "8A0B7C6D-1E2F-4A3B-8C9D-0E1F2A3B4C5D")!,
                    hook: "log-to-file",
                    event: "task.completed",
                    incident: reference,
                    state: "delivered",
                    attempts: 1,
                    maxAttempts: 5,
                    nextAttempt: nil,
                    lastError: nil,
                    createdAt: Self.now.addingTimeInterval(-600),
                    deliveredAt: Self.now.addingTimeInterval(-590)
                ),
            ],
            disabled: [DisabledHook(name: "gone", reason: "the receiver answered 410 Gone", since: Self.now)]
        )
        let audit = AuditWire.QueryReply(
            records: [
                AuditEntry(
                    seq: 1042,
                    at: Self.now,
                    uid: 1001,
                    userName: "alice",
                    pid: 4242,
                    action: "Get",
                    incident: IncidentReference(rawValue: reference),
                    outcome: "ok",
                    detail: "",
                    chainPosition: 1040
                ),
                AuditEntry(
                    seq: 1043,
                    at: Self.now,
                    uid: 1002,
                    userName: "mallory",
                    pid: 4243,
                    action: "CompleteTask",
                    incident: IncidentReference(rawValue: reference),
                    outcome: "denied",
                    detail: "only investigators and managers may complete tasks",
                    chainPosition: nil
                ),
            ],
            next: 1043
        )
        for (name, text) in [("hooks", output.deliveries(deliveries)), ("audit", output.auditRecords(audit))] {
            try Self.assertSnapshot(text, named: "\(name)-wide-\(width)")
            for line in text.split(separator: "\n") {
                #expect(DisplayWidth.of(line) <= width, "\(name) at \(width): \(line)")
            }
        }
        #expect(output.deliveries(deliveries).contains("3f1c2a9e  chat-webhook"), "the short id, whole")
        #expect(output.auditRecords(audit).contains("1043"))
    }

    @Test(arguments: [
        ("abc", 3), ("中文", 4), ("e\u{301}", 1), ("🔥", 2), ("👨‍👩‍👧", 2), ("☺\u{FE0F}", 2), ("ｆｕｌｌ", 8),
        ("\u{1B}[31mred\u{1B}[0m", 3),
        ("한국어", 6),
    ])
    func displayWidthsAreTheTerminals(text: String, columns: Int) {
        #expect(DisplayWidth.of(text) == columns)
    }

    @Test func truncationEndsWithAnEllipsisAndNeverCutsACharacter() {
        #expect(DisplayWidth.truncate("客户名单误发给了错误的供应商", to: 10) == "客户名单…")
        #expect(DisplayWidth.truncate("short", to: 10) == "short")
        #expect(DisplayWidth.truncate("🔥🔥🔥🔥", to: 5) == "🔥🔥…")
        #expect(DisplayWidth.truncate("e\u{301}e\u{301}e\u{301}", to: 2) == "e\u{301}…")
        #expect(
            DisplayWidth.of(Self.output.fit("中文标题很长很长", 7)) == 7,
            "padded to the column when cut on a wide character"
        )
    }

    /// Lines break at spaces, and between Chinese characters, which have none.
    @Test func wrappingBreaksLatinAtSpacesAndChineseAnywhere() {
        #expect(DisplayWidth.wrap("one two three", first: "", rest: "  ", width: 9) == ["one two", "  three"])
        let wrapped = DisplayWidth.wrap(
            "时间为中位数，其下一行为第 90 百分位：确认从报告起算，其余从知悉起算。",
            first: "",
            rest: "",
            width: 20
        )
        #expect(wrapped.count > 1 && wrapped.allSatisfy { DisplayWidth.of($0) <= 20 }, "\(wrapped)")
        let text = "时间为中位数，其下一行为第 90 百分位：确认从报告起算，其余从知悉起算。"
        #expect(
            wrapped.joined().replacingOccurrences(of: " ", with: "") == text.replacingOccurrences(of: " ", with: ""),
            "nothing is lost"
        )
        #expect(DisplayWidth.wrap("批准 incidentctl", first: "", rest: "", width: 6) == ["批准", "incidentctl"])
    }

    @Test func theWidthComesFromColumnsWhenNotATerminal() {
        #expect(DisplayWidth.terminal(environment: ["COLUMNS": "80"], terminalColumns: nil) == 80)
        #expect(DisplayWidth.terminal(environment: [:], terminalColumns: nil) == 100)
        #expect(DisplayWidth.terminal(environment: ["COLUMNS": "junk"], terminalColumns: nil) == 100)
        #expect(
            DisplayWidth.terminal(environment: ["COLUMNS": "80"], terminalColumns: 120) == 120,
            "the terminal's own"
        )
    }

    @Test func caseFile() throws {
        let reply = try Self.fixture("casefile", as: WorkflowWire.CaseFileReply.self)
        try Self.assertSnapshot(Self.output.caseFile(reply), named: "casefile")
    }

    @Test func caseFileOfAFoldedAutomatedReport() throws {
        let reply = try Self.fixture("folded", as: WorkflowWire.CaseFileReply.self)
        try Self.assertSnapshot(Self.output.caseFile(reply), named: "folded")
    }

    @Test func list() throws {
        let reply = try Self.fixture("list", as: IncidentsWire.ListReply.self)
        try Self.assertSnapshot(Self.output.table(reply.incidents), named: "list")
    }

    @Test func statistics() throws {
        let reply = try Self.fixture("stats", as: IncidentsWire.StatsReply.self)
        let text = Self.output.statistics(reply)
        try Self.assertSnapshot(text, named: "stats")
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 }, "fits 100 columns")
    }

    @Test func timeline() throws {
        let json = #"""
            {"events": [
              {"at": "2026-11-29T06:52:55Z", "kind": "incident.reported", "actor": "root", "data": {}},
              {"at": "2026-11-29T06:53:10Z", "kind": "task.completed", "actor": "mia", "data": {"task": "acknowledge"}},
              {"at": "2026-11-29T07:30:00Z", "kind": "task.overdue", "data": {"task": "triage", "due": "2026-11-29T07:29:00Z"}}
            ]}
            """#
        let reply = try VarlinkJSON.decoder().decode(WorkflowWire.TimelineReply.self, from: Data(json.utf8))
        try Self.assertSnapshot(Self.output.timeline(reply.events), named: "timeline")
    }

    @Test func watchLine() throws {
        let event = WatchEvent(
            id: 7,
            at: Self.now,
            reference: IncidentReference(rawValue: "INC-2026-000001")!,
            title: "Customer list e-mailed",
            kind: "task.completed",
            actor: "mia",
            data: ["task": "contain"],
            severity: .high
        )
        var wide = Self.output
        wide.width = 120
        #expect(
            wide.event(event)
                == "2026-11-29 09:52 GMT+1  INC-2026-000001  high  task.completed  by mia  task=contain  Customer list e-mailed"
        )
        var narrow = Self.output
        narrow.width = 96
        #expect(
            narrow.event(event)
                == "2026-11-29 09:52 GMT+1  INC-2026-000001  high  task.completed  by mia  task=contain  Customer l…",
            "the title gives way"
        )
        narrow.width = 80
        #expect(
            narrow.event(event)
                == "2026-11-29 09:52 GMT+1  INC-2026-000001  high  task.completed  by mia  task=contain",
            "and goes when there is no room for it"
        )
        var overdue = event
        overdue.kind = "task.overdue"
        overdue.data = ["task": "notify-authority", "due": "2026-11-29T07:29:00Z"]
        #expect(
            wide.event(overdue).contains("due=2026-11-29_08:29_GMT+1 task=notify-authority"),
            "instants in the data are local times like the event's: \(wide.event(overdue))"
        )
        var chinese = wide
        chinese.language = .simplifiedChinese
        #expect(
            chinese.event(event)
                == "2026年11月29日 09:52 GMT+1  INC-2026-000001  high  task.completed  操作人 mia  task=contain  Customer list e-mailed"
        )
        var coloured = wide
        coloured.colour = true
        #expect(coloured.event(event).contains("\u{1B}[33mhigh\u{1B}[0m"), "the severity is coloured on a terminal")
    }

    /// The language comes from the environment as gettext reads it, without the locale
    /// having to be generated.
    @Test(arguments: [
        (["LANG": "zh_CN.UTF-8"], "zh_CN"),
        (["LANG": "zh_CN.GB18030"], "zh_CN"),
        (["LC_ALL": "zh_SG.UTF-8", "LANG": "en_GB.UTF-8"], "zh_CN"),
        (["LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C.UTF-8"], "zh_CN"),
        (["LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"], "en"),
        (["LANG": "de_DE.UTF-8", "LANGUAGE": "zh_CN:de"], "zh_CN"),
        (["LANG": "C", "LANGUAGE": "zh_CN"], "en"),
        (["LANG": "zh_TW.UTF-8"], "en"),
        (["LANG": "zh_CN.UTF-8", "LANGUAGE": "en_US:zh_CN"], "en"),
        (["LANG": ""], "en"),
        ([:], "en"),
    ])
    func theLanguageFollowsTheEnvironment(environment: [String: String], expected: String) {
        #expect((Language.chosen(from: environment).catalogue ?? "en") == expected, "\(environment)")
    }

    @Test func translationsFillInTheirArgumentsByOrderOrPosition() {
        #expect(Language.format("%s of %s", ["a", "b"]) == "a of b")
        #expect(Language.format("%2$s 项中 %1$s%%", ["80", "5"]) == "5 项中 80%")
        #expect(Language.format("100%% %s %s", ["x"]) == "100% x ", "a missing argument is empty, not a crash")
        #expect(Language.simplifiedChinese.text("Open incidents: %s", "3") == "未结事件：3")
        #expect(Language.simplifiedChinese.text("not in the catalogue") == "not in the catalogue")
        #expect(Language.english.text("Open incidents: %s", "3") == "Open incidents: 3")
    }

    /// Every message the sources pass to tr(…) or text(…) has its translation in every
    /// catalogue, and no catalogue keeps one that is no longer used.
    @Test func everyCatalogueTranslatesEveryMessage() throws {
        let root = Self.directory.deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/extract-messages.py").path, "--check"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let report = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(report)")
    }

    @Test func colourOnlyOnATerminalAndNeverWithNoColor() throws {
        #expect(Output.colourWanted(environment: [:], isTerminal: true))
        #expect(!Output.colourWanted(environment: [:], isTerminal: false))
        #expect(!Output.colourWanted(environment: ["NO_COLOR": "1"], isTerminal: true))
        #expect(Output.colourWanted(environment: ["NO_COLOR": ""], isTerminal: true), "an empty NO_COLOR is unset")
        #expect(!Output.colourWanted(environment: ["TERM": "dumb"], isTerminal: true))

        var coloured = Self.output
        coloured.colour = true
        let reply = try Self.fixture("status", as: IncidentsWire.StatusReply.self)
        let text = StatusCommand.render(reply, output: coloured)
        #expect(text.contains("\u{1B}[31m"), "overdue in red")
        let plain = StatusCommand.render(reply, output: Self.output)
        #expect(!plain.contains("\u{1B}"))
        // Colour codes take no room: columns line up the same.
        #expect(text.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression) == plain)
    }

    @Test(arguments: [
        (0.0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (7260, "2h 1m"), (86_400, "1d"),
        (93_600, "1d 2h"),
    ])
    func durations(seconds: Double, text: String) {
        #expect(Self.output.duration(seconds) == text)
    }

    @Test func relativeTimes() {
        #expect(Self.output.relative(Self.now.addingTimeInterval(3 * 3600 + 12 * 60)) == "in 3h 12m")
        #expect(Self.output.relative(Self.now.addingTimeInterval(-7200)) == "2h 0m ago")
        #expect(Self.output.relative(Self.now.addingTimeInterval(30)) == "just now")
    }
}
