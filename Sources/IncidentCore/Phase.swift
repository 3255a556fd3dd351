/// An enumeration ordered by the order its cases are declared in.
public protocol DeclarationOrdered: CaseIterable, Comparable, Equatable {}

extension DeclarationOrdered {
    public static func < (lhs: Self, rhs: Self) -> Bool {
        let cases = Array(allCases)
        return cases.firstIndex(of: lhs)! < cases.firstIndex(of: rhs)!
    }
}

/// The four phases every incident moves through, the same for every playbook.
public enum Phase: String, Codable, Sendable, DeclarationOrdered {
    case report
    case investigate
    case notify
    case closed

    public var isOpen: Bool { self != .closed }
}

/// How bad an incident is; `untriaged` until someone has looked.
public enum Severity: String, Codable, Sendable, DeclarationOrdered {
    case untriaged
    case low
    case medium
    case high
    case critical
}

/// The kinds of personal data an incident may involve.
public enum DataCategory: String, CaseIterable, Codable, Sendable {
    case identity
    case contact
    case transactions
    case financial
    case credentials
    case health
    case other
}

/// What kind of event caused the incident; playbooks match on it. Values are Varlink
/// identifiers, so words are joined with underscores.
public enum IncidentCategory: String, CaseIterable, Codable, Sendable {
    case externalAttack = "external_attack"
    case accidentalDisclosure = "accidental_disclosure"
    case lostOrStolenDevice = "lost_or_stolen_device"
    case vendorExposure = "vendor_exposure"
    case insiderMisuse = "insider_misuse"
    case other
}
