import Foundation

extension Incident {
    /// Brings the incident's own attributes in line with the workflow's `state`: the triage
    /// attributes follow the facts, the phase and its instants follow the state. The reverse
    /// of ``CaseFacts/init(incident:)``; `previous` is nil for a new incident, whose version
    /// stays as filed.
    public mutating func project(_ state: CaseState, previous: CaseState?) {
        let facts = state.facts
        if case .text(let text)? = facts.values["severity"], let value = Severity(rawValue: text) { severity = value }
        if case .text(let text)? = facts.values["category"] { category = IncidentCategory(rawValue: text) }
        if case .set(let values)? = facts.values["dataCategories"] {
            dataCategories = values.compactMap(DataCategory.init(rawValue:))
        }
        if case .set(let values)? = facts.values["jurisdictions"] {
            jurisdictions = values.compactMap(Jurisdiction.init(rawValue:)).sorted()
        }
        if case .number(let people)? = facts.values["peopleAffected"] { peopleAffected = people }
        if case .number(let records)? = facts.values["recordsAffected"] { recordsAffected = records }
        // Discovery defaults to awareness in the facts: only an update that gave it changes it.
        if let previous, let given = facts.instants[CaseFacts.discovered],
            given != previous.facts.instants[CaseFacts.discovered]
        {
            discovered = given
        }
        if let previous, previous.phase != state.phase {
            phase = state.phase
            phaseEntered = facts.instants["phase:\(state.phase.rawValue)"] ?? Date()
        }
        closed = state.phase == .closed ? (facts.instants["phase:closed"] ?? Date()) : nil
        if previous != nil { version += 1 }
    }
}
