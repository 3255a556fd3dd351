import Foundation
import Testing

@testable import IncidentCore

@Suite struct HookRoutingTests {
    static let incident = WorkflowTests.incident(jurisdictions: ["DE"], people: 10)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static let hooks = [
        HookDefinition(name: "all-reports", kind: .exec(argv: ["/bin/true"]), events: ["incident.reported"]),
        HookDefinition(
            name: "critical-only",
            kind: .exec(argv: ["/bin/true"]),
            events: ["incident.reported"],
            severities: [.critical]
        ),
        HookDefinition(name: "pager", kind: .exec(argv: ["/bin/true"]), events: ["task.overdue"], personalData: true),
        HookDefinition(name: "escalation", kind: .exec(argv: ["/bin/true"])),
        HookDefinition(name: "notify-dpo", kind: .exec(argv: ["/bin/true"])),
    ]

    static let playbook: Playbook = {
        var playbook = try! PlaybookLoader.load(PlaybookLoaderTests.minimal, file: "m.yaml").get()
        playbook.hooks = ["escalation", "pager"]
        playbook.escalations = [Escalation(trigger: .overdue, task: "authority", hook: "escalation")]
        return playbook
    }()

    func route(_ event: String, _ data: [String: String] = [:]) -> [OutboxEntry] {
        HookRouting.route(
            event: event,
            data: data,
            incident: Self.incident,
            playbook: Self.playbook,
            actor: "mia",
            hooks: Self.hooks,
            now: Self.now
        )
    }

    @Test func eventsFanOutToSubscribedHooksThatAcceptTheIncident() {
        #expect(route("incident.reported").map(\.hook) == ["all-reports"], "the high-severity incident is not critical")
        #expect(route("phase.entered").isEmpty)
    }

    @Test func escalationsAndSubscriptionsEachDeliverOnce() {
        let entries = route("task.overdue", ["task": "authority", "due": "2026-05-04T09:00:00Z"])
        #expect(entries.map(\.hook).sorted() == ["escalation", "pager"])
        #expect(
            entries.allSatisfy { $0.payload.task?.id == "authority" && $0.payload.task?.title == "Tell the authority" }
        )
        #expect(route("task.overdue", ["task": "triage"]).map(\.hook) == ["pager"], "no escalation on triage")
    }

    @Test func completionFiresTheTasksHooks() {
        #expect(route("task.completed", ["task": "assess"]).map(\.hook) == ["notify-dpo"])
        #expect(route("task.completed", ["task": "triage"]).isEmpty, "triage names no hooks")
    }

    @Test func personalDataOnlyForHooksThatMayHaveIt() {
        let pager = route("task.overdue", ["task": "triage", "text": "Jane Doe"]).first { $0.hook == "pager" }
        #expect(pager?.payload.incident.description == "d")
        #expect(pager?.payload.data["text"] == "Jane Doe")
        let reports = route("incident.reported", ["text": "Jane Doe"])
        #expect(reports.allSatisfy { $0.payload.incident.description == nil && $0.payload.data["text"] == nil })
        #expect(reports.allSatisfy { $0.payload.schema == 1 && $0.payload.actor == "mia" })
    }

    @Test func backoffDoublesCapsAndJitters() {
        let base = Duration.seconds(10)
        #expect(HookRouting.backoff(afterAttempt: 1, base: base, jitter: 0.5) == .seconds(10))
        #expect(HookRouting.backoff(afterAttempt: 3, base: base, jitter: 0.5) == .seconds(40))
        #expect(HookRouting.backoff(afterAttempt: 30, base: base, jitter: 0.5) == .seconds(3600))
        #expect(HookRouting.backoff(afterAttempt: 1, base: base, jitter: 0) == .seconds(8))
        #expect(HookRouting.backoff(afterAttempt: 1, base: base, jitter: 1) == .seconds(12))
    }
}

extension HookRoutingTests {
    @Test func aRestrictedIncidentsHooksHearOnlyWhatTheyAreConfiguredFor() {
        var incident = Self.incident
        incident.restricted = true
        incident.assignee = "ana"
        func payloads(_ content: HookDefinition.RestrictedContent) -> [HookPayload] {
            var hook = HookDefinition(
                name: "h",
                kind: .exec(argv: ["/bin/true"]),
                events: ["note.added"],
                personalData: true
            )
            hook.restricted = content
            return HookRouting.route(
                event: "note.added",
                data: ["text": "secret note"],
                incident: incident,
                playbook: nil,
                actor: "mia",
                hooks: [hook],
                now: Self.now
            ).map(\.payload)
        }
        #expect(payloads(.none).isEmpty)
        let reference = try! #require(payloads(.reference).first)
        #expect(
            reference.incident.reference == incident.reference.rawValue && reference.incident.title == "(restricted)"
        )
        #expect(reference.incident.assignee == nil && reference.incident.description == nil && reference.actor == nil)
        #expect(reference.data.isEmpty)
        let full = try! #require(payloads(.full).first)
        #expect(full.incident.title == incident.title && full.data["text"] == "secret note")
    }
}
