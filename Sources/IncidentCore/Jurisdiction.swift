/// Where an incident has legal effect: an ISO 3166-1 alpha-2 country code, `EU`, or a US
/// state as its ISO 3166-2 code (`US-CA`), since US breach laws are the states'.
public struct Jurisdiction: RawRepresentable, Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts any case (`de`, `DE`) and stores upper case; nil for anything not a known code.
    public init?(rawValue: String) {
        let code = rawValue.uppercased()
        guard
            code == "EU" || Self.countryCodes.contains(code)
                || (code.hasPrefix("US-") && Self.usStates.contains(String(code.dropFirst(3))))
        else { return nil }
        self.rawValue = code
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Jurisdiction(rawValue: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "\(text) is not an ISO 3166-1 code or EU")
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    public static func < (lhs: Jurisdiction, rhs: Jurisdiction) -> Bool { lhs.rawValue < rhs.rawValue }

    public static let eu = Jurisdiction(rawValue: "EU")!

    /// The member states of the European Union, for rules that apply to "EU".
    public static let euMemberStates: Set<String> = [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    ]

    /// The country a subdivision code belongs to (`US` for `US-CA`), or the code itself.
    public var country: String { String(rawValue.prefix(while: { $0 != "-" })) }

    /// US states and DC, the suffixes of their ISO 3166-2 codes.
    static let usStates: Set<String> = Set(
        """
        AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC
        ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    )

    /// ISO 3166-1 alpha-2, officially assigned codes.
    static let countryCodes: Set<String> = Set(
        """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
        BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
        DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
        GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
        KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
        MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
        PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
        SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
        VN VU WF WS YE YT ZA ZM ZW
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    )
}
