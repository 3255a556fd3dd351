/// The four phases every incident moves through, the same for every playbook.
public enum Phase: String, CaseIterable, Codable, Sendable, Comparable {
    case report
    case investigate
    case notify
    case closed

    public var isOpen: Bool { self != .closed }

    public static func < (lhs: Phase, rhs: Phase) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How bad an incident is; `untriaged` until someone has looked.
public enum Severity: String, CaseIterable, Codable, Sendable, Comparable {
    case untriaged
    case low
    case medium
    case high
    case critical

    public static func < (lhs: Severity, rhs: Severity) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
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
