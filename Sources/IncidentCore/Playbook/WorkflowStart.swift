import Foundation

/// How a new report's workflow starts, decided by the pure engine before the store files it:
/// the playbook chosen for it, and the state and events of `Workflow.apply(.start)`. The store
/// writes it with the incident, in the transaction that files the report; a report folded
/// into an open incident or matching an earlier idempotency key uses none of it.
public struct WorkflowStart: Sendable {
    public let playbook: Playbook
    public let state: CaseState
    public let events: [IncidentEvent]

    /// The start of the workflow of `draft`, filed by `reporter` at `reported`, under the
    /// playbook of `playbooks` it matches (else the default); nil when there is none.
    public init?(
        _ draft: ReportDraft,
        by reporter: Incident.Person,
        reported: Date,
        playbooks: [Playbook]
    ) {
        let incident = Incident.filing(draft, by: reporter, reported: reported)
        guard let playbook = Playbook.choose(for: incident, from: playbooks),
            case .success(let (state, events)) = Workflow.apply(
                .start,
                to: CaseState(facts: CaseFacts(incident: incident)),
                playbook: playbook,
                actor: reporter.name,
                now: reported
            )
        else { return nil }
        self.playbook = playbook
        self.state = state
        self.events = events
    }
}

extension Incident {
    /// The incident `draft` files when reported at `reported`, as far as it is known before the
    /// store numbers it: the facts a playbook is chosen on and its clocks start from.
    public static func filing(_ draft: ReportDraft, by reporter: Person, reported: Date) -> Incident {
        Incident(
            reference: IncidentReference(
                year: Calendar(identifier: .gregorian).component(.year, from: reported),
                number: 0
            ),
            title: draft.title,
            description: draft.description,
            phase: .report,
            severity: draft.severity,
            category: draft.category,
            dataCategories: draft.dataCategories,
            peopleAffected: draft.peopleAffected,
            recordsAffected: draft.recordsAffected,
            jurisdictions: draft.jurisdictions,
            reporter: reporter,
            assignee: nil,
            restricted: false,
            reported: reported,
            aware: draft.aware ?? reported,
            discovered: draft.discovered,
            phaseEntered: reported,
            closed: nil,
            version: 1,
            dedupKey: draft.dedupKey
        )
    }
}
