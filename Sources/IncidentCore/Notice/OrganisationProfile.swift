import Foundation

/// Who the organisation is and how people reach it: what notices give as the contact point
/// (GDPR Art. 33(3)(b), PIPL Art. 57(3), 45 CFR 164.404(c)(1)(E)). Set under `profile:` in
/// the daemon's configuration.
public struct OrganisationProfile: Sendable, Equatable, Codable {
    public var legalName: String?
    /// The data protection officer or other contact point, by name or role.
    public var contact: String?
    public var address: String?
    public var telephone: String?
    /// A toll-free number, which HIPAA asks of a notice to individuals.
    public var tollFreeTelephone: String?
    public var email: String?
    public var website: String?
    /// Where the notices' dates are written in (an IANA name such as `Europe/Berlin`); UTC by default.
    public var timeZone: String?
    /// The authority to notify in each jurisdiction (`DE`, `CN`, `US-CA`), with its channel.
    public var authorities: [String: Authority]

    public struct Authority: Sendable, Equatable, Codable {
        public var name: String
        /// How it takes notifications: its portal's address, an e-mail, a form.
        public var channel: String?

        public init(name: String, channel: String? = nil) {
            self.name = name
            self.channel = channel
        }
    }

    /// What a notice element may take from the profile.
    public enum Key: String, Sendable, CaseIterable {
        case legalName
        case contact
        case address
        case telephone
        case tollFreeTelephone
        case email
        case website
        /// Every way of reaching the organisation the profile gives, one per line.
        case contactDetails
        /// The authority of each of the incident's jurisdictions the profile names.
        case authority
    }

    public init(
        legalName: String? = nil,
        contact: String? = nil,
        address: String? = nil,
        telephone: String? = nil,
        tollFreeTelephone: String? = nil,
        email: String? = nil,
        website: String? = nil,
        timeZone: String? = nil,
        authorities: [String: Authority] = [:]
    ) {
        self.legalName = legalName
        self.contact = contact
        self.address = address
        self.telephone = telephone
        self.tollFreeTelephone = tollFreeTelephone
        self.email = email
        self.website = website
        self.timeZone = timeZone
        self.authorities = authorities
    }

    /// The profile's entry for `key`; the incident's jurisdictions choose the authority. Nil
    /// when the profile does not give it.
    public func value(_ key: Key, jurisdictions: [String] = []) -> String? {
        func given(_ text: String?) -> String? {
            guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        switch key {
        case .legalName: return given(legalName)
        case .contact: return given(contact)
        case .address: return given(address)
        case .telephone: return given(telephone)
        case .tollFreeTelephone: return given(tollFreeTelephone)
        case .email: return given(email)
        case .website: return given(website)
        case .contactDetails:
            let lines = [contact, address, tollFreeTelephone ?? telephone, email, website].compactMap(given)
            return lines.isEmpty ? nil : lines.joined(separator: "\n")
        case .authority:
            let named = Self.candidates(for: jurisdictions).compactMap { code in
                authorities[code].map { authority in
                    [authority.name, authority.channel].compactMap(given).joined(separator: ", ")
                }
            }
            var seen = Set<String>()
            let unique = named.filter { seen.insert($0).inserted }
            return unique.isEmpty ? nil : unique.joined(separator: "\n")
        }
    }

    /// The codes an authority may be configured under for these jurisdictions: each one, then
    /// the whole it belongs to (`US` for `US-CA`, `EU` for `DE`).
    static func candidates(for jurisdictions: [String]) -> [String] {
        var codes: [String] = []
        for code in jurisdictions {
            codes.append(code)
            if let dash = code.firstIndex(of: "-") { codes.append(String(code[..<dash])) }
            if Jurisdiction.euMemberStates.contains(code) { codes.append("EU") }
        }
        var seen = Set<String>()
        return codes.filter { seen.insert($0).inserted }
    }
}

/// A profile entry a notice needs that the organisation's profile does not give.
public struct ProfileGap: Sendable, Equatable, CustomStringConvertible {
    /// The regime whose notice needs it; nil for a playbook's own task.
    public var regime: String?
    public var task: String
    public var key: OrganisationProfile.Key

    public var description: String {
        "\(regime.map { "regime \($0), " } ?? "")task \(task): the notice needs profile.\(key.rawValue)"
    }
}

extension Playbook {
    /// What the notices of this playbook need from `profile` and it does not give: the legal
    /// name every template may write, and each element taken from the profile. An authority
    /// depends on the incident's jurisdictions, so only a profile naming none is a gap.
    public func profileGaps(_ profile: OrganisationProfile) -> [ProfileGap] {
        var gaps: [ProfileGap] = []
        for task in phases.flatMap(\.tasks) {
            // A supplementary notice needs what its first notice does: told once, for that one.
            guard let notice = task.notice, !notice.isSupplement else { continue }
            var keys: [OrganisationProfile.Key] = profile.value(.legalName) == nil ? [.legalName] : []
            for element in notice.elements {
                guard case .profile(let key) = element.source, !keys.contains(key) else { continue }
                let missing = key == .authority ? profile.authorities.isEmpty : profile.value(key) == nil
                if missing { keys.append(key) }
            }
            gaps += keys.map { ProfileGap(regime: task.regime, task: task.id, key: $0) }
        }
        return gaps
    }
}
