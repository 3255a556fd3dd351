import Foundation
import Testing

@testable import IncidentCore

@Suite struct PlaybookLoaderTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let minimal = """
        playbook: minimal
        version: "1"
        title: Minimal
        default: true
        hooks: [notify-dpo]
        fields:
          notifiable: {type: boolean, decision: true}
        instants: [assessed]
        phases:
          report:
            tasks:
              - id: triage
                title: Triage
                role: investigator
                due: 4h after reported
          investigate:
            gate: manager
            tasks:
              - id: assess
                title: Assess
                role: manager
                captures: [notifiable]
                records: assessed
                hooks: [notify-dpo]
          notify:
            tasks:
              - id: authority
                title: Tell the authority
                role: manager
                when: {notifiable: true}
                due: 72h after aware
                notification: authority
        """

    func problems(_ text: String, knownHooks: Set<String>? = ["notify-dpo"]) -> [PlaybookProblem] {
        switch PlaybookLoader.load(text, file: "test.yaml", knownHooks: knownHooks) {
        case .success: return []
        case .failure(let error): return error.problems
        }
    }

    @Test func theMinimalPlaybookLoads() throws {
        let playbook = try PlaybookLoader.load(Self.minimal, file: "minimal.yaml", knownHooks: ["notify-dpo"]).get()
        #expect(playbook.name == "minimal")
        #expect(playbook.phases.map(\.phase) == [.report, .investigate, .notify])
        #expect(playbook.plan(for: .investigate)?.gate == .manager)
        #expect(
            playbook.task("authority")?.due == Clock(duration: ClockDuration(value: 72, unit: .hours), after: "aware")
        )
        #expect(playbook.task("authority")?.when == .isBool(field: "notifiable", value: true))
        #expect(playbook.digest.count == 64)
    }

    /// One error class per row: the edit that breaks the minimal playbook, and where and what
    /// the loader must say.
    @Test(arguments: [
        ("unknown key", "title: Minimal", "title: Minimal\ntitel: typo", "unknown key 'titel'"),
        ("unknown phase", "  notify:", "  escalate:\n    tasks: []\n  notify:", "unknown phase 'escalate'"),
        ("duplicate id", "id: authority", "id: triage", "duplicate task id 'triage'"),
        ("bad duration", "due: 4h after reported", "due: 4w after reported", "bad duration '4w'"),
        ("unknown instant", "due: 72h after aware", "due: 72h after noticed", "unknown instant 'noticed'"),
        ("unknown field", "when: {notifiable: true}", "when: {notifyable: true}", "unknown field 'notifyable'"),
        // Found by the condition fuzzer: an empty key crashed the loader.
        ("empty condition key", "when: {notifiable: true}", "when: {'': true}", "a condition needs a field name"),
        ("empty field before a dot", "when: {notifiable: true}", "when: {.US: {atLeast: 1}}", "unknown field '.US'"),
        (
            "wrong operator", "when: {notifiable: true}", "when: {severity: {atLeast: 3}}",
            "'atLeast' does not apply to 'severity'"
        ),
        (
            "unknown value", "when: {notifiable: true}", "when: {severity: {in: [apocalyptic]}}",
            "'apocalyptic' is not a value of 'severity'"
        ),
        ("unknown role", "role: investigator", "role: intern", "unknown role 'intern'"),
        ("unknown hook", "hooks: [notify-dpo]\nfields", "hooks: [notify-ceo]\nfields", "unknown hook 'notify-ceo'"),
        ("unrecorded instant", "records: assessed", "records: noticed", "records unknown instant 'noticed'"),
    ])
    func eachProblemIsLocatedAndSaid(name: String, find: String, replace: String, message: String) {
        let text = Self.minimal.replacingOccurrences(of: find, with: replace)
        #expect(text != Self.minimal, "\(name): the edit did not apply")
        // The problem is reported on the line the edit put in (its last occurrence, for duplicates).
        let marker = replace.split(separator: "\n").map(String.init).first { !find.contains($0) } ?? replace
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (lines.lastIndex { $0.contains(marker) } ?? -1) + 1
        let found = problems(text)
        #expect(found.contains { $0.message.contains(message) }, "\(name): \(found)")
        let problem = found.first { $0.message.contains(message) }
        #expect(problem?.line == line, "\(name): \(problem.map(String.init(describing:)) ?? "none")")
        #expect(problem?.file == "test.yaml")
    }

    @Test func aCycleBetweenRecordedInstantsIsRefused() {
        let text = """
            playbook: cyclic
            version: "1"
            title: Cyclic
            instants: [first, second]
            phases:
              investigate:
                tasks:
                  - {id: a, title: A, role: manager, records: first, due: 1d after second}
                  - {id: b, title: B, role: manager, records: second, due: 1d after first}
            """
        #expect(problems(text).contains { $0.message.contains("a cycle between recorded instants") })
    }

    /// `doneWhen: assigned` marks a manager's task that assigning completes; anything else,
    /// or on a task that captures or notifies, is refused with the reason.
    @Test func doneWhenAssignedIsForAManagersTaskThatCapturesNothing() throws {
        let acknowledged = Self.minimal.replacingOccurrences(
            of: "        role: investigator\n        due: 4h after reported",
            with: "        role: manager\n        due: 4h after reported\n        doneWhen: assigned"
        )
        let playbook = try PlaybookLoader.load(acknowledged, file: "a.yaml", knownHooks: ["notify-dpo"]).get()
        #expect(playbook.task("triage")?.doneWhenAssigned == true)
        #expect(playbook.task("assess")?.doneWhenAssigned == false)
        let unknown = acknowledged.replacingOccurrences(of: "doneWhen: assigned", with: "doneWhen: approved")
        #expect(
            problems(unknown).contains { $0.message.contains("the one event is 'assigned'") },
            "\(problems(unknown))"
        )
        let capturing = Self.minimal.replacingOccurrences(
            of: "        captures: [notifiable]",
            with: "        captures: [notifiable]\n        doneWhen: assigned"
        )
        #expect(problems(capturing).contains { $0.message.contains("capture nothing") }, "\(problems(capturing))")
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let text = Self.minimal.replacingOccurrences(of: "role: investigator", with: "role: intern")
            .replacingOccurrences(of: "due: 72h after aware", with: "due: soon")
        #expect(problems(text).count >= 2)
    }

    @Test func invalidYAMLIsLocated() {
        let found = problems("playbook: x\nphases: [unclosed\n")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("not valid YAML") == true)
        #expect(found.first?.line ?? 0 >= 2)
    }

    @Test func aSetNeedsUniqueNamesAndOneDefault() {
        let other = Self.minimal.replacingOccurrences(of: "default: true\n", with: "")
        if case .failure(let error) = PlaybookLoader.loadSet(
            [("a.yaml", Self.minimal), ("b.yaml", other)],
            knownHooks: ["notify-dpo"]
        ) {
            #expect(error.problems.contains { $0.message.contains("also defined in a.yaml") })
        } else {
            Issue.record("two playbooks named minimal were accepted")
        }
        let renamed = other.replacingOccurrences(of: "playbook: minimal", with: "playbook: second")
        if case .failure(let error) = PlaybookLoader.loadSet([("a.yaml", renamed)], knownHooks: ["notify-dpo"]) {
            #expect(error.problems.contains { $0.message.contains("no playbook is the default") })
        } else {
            Issue.record("a set without a default was accepted")
        }
    }

    @Test func theShippedPlaybooksAreValid() throws {
        let playbooks = try PlaybookLoader.loadDirectory(Self.repository.appendingPathComponent("playbooks")).get()
        #expect(
            Set(playbooks.map(\.name)) == [
                "customer-data-breach", "lost-or-stolen-device", "vendor-data-exposure", "insider-access-misuse",
            ]
        )
        for playbook in playbooks {
            for task in playbook.allTasks where task.notification != nil || task.due != nil {
                #expect(!task.title.isEmpty)
            }
        }
    }

    @Test(arguments: [("30m", 1800.0), ("4h", 14_400), ("3d", 259_200)])
    func durationsAdd(text: String, seconds: Double) throws {
        let duration = try #require(ClockDuration(parsing: text))
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(duration.added(to: start).timeIntervalSince(start) == seconds)
    }

    @Test func businessDaysSkipWeekends() throws {
        let formatter = ISO8601DateFormatter()
        let friday = formatter.date(from: "2026-05-01T10:00:00Z")!
        #expect(ClockDuration(parsing: "4bd")!.added(to: friday) == formatter.date(from: "2026-05-07T10:00:00Z")!)
        let saturday = formatter.date(from: "2026-05-02T15:00:00Z")!
        #expect(ClockDuration(parsing: "1bd")!.added(to: saturday) == formatter.date(from: "2026-05-05T00:00:00Z")!)
        for bad in ["", "4", "h", "4w", "-4h", "4 h", "1000000000h"] {
            #expect(ClockDuration(parsing: bad) == nil, "\(bad)")
        }
    }

    /// Business days jump whole weeks at once; this checks the jump against counting day by day,
    /// from every day of a fortnight and every hour, for 1 to 40 business days.
    @Test func businessDaysAgreeWithCountingDayByDay() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func counted(_ days: Int, from start: Date) -> Date {
            var date = start
            if calendar.isDateInWeekend(date) {
                date = calendar.startOfDay(for: date)
                while calendar.isDateInWeekend(date) { date = date.addingTimeInterval(86_400) }
            }
            var remaining = days
            while remaining > 0 {
                date = date.addingTimeInterval(86_400)
                if !calendar.isDateInWeekend(date) { remaining -= 1 }
            }
            return date
        }
        let monday = ISO8601DateFormatter().date(from: "2026-05-04T00:00:00Z")!
        for hour in stride(from: 0, to: 14 * 24, by: 5) {
            let start = monday.addingTimeInterval(Double(hour) * 3600)
            for days in 1...40 {
                #expect(ClockDuration(value: days, unit: .businessDays).added(to: start) == counted(days, from: start))
            }
        }
        // The longest a playbook may write: 199,999 whole weeks and 4 days, Monday to Friday.
        let friday = monday.addingTimeInterval(Double(199_999 * 7 + 4) * 86_400)
        #expect(ClockDuration(parsing: "999999bd")!.added(to: monday) == friday)
    }
}
