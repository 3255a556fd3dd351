import Foundation

/// The language incidentctl speaks to people: English, the language of the source, or one of
/// the gettext catalogues in `Catalogs/` (compiled into the binary at build time, see
/// docs/translating.md). Screens, prompts and errors go through ``text(_:_:)``; help texts,
/// JSON, identifiers people type back (phases, severities, roles, task ids) and anything the
/// daemon records stay English.
struct Language: Sendable, Equatable, CustomStringConvertible {
    /// The catalogue's name (`zh_CN`), nil for English.
    let catalogue: String?
    private let entries: [String: String]

    static let english = Language(catalogue: nil, entries: [:])
    static let simplifiedChinese = Language(catalogue: "zh_CN", entries: compiledCatalogues["zh_CN"] ?? [:])

    private init(catalogue: String?, entries: [String: String]) {
        self.catalogue = catalogue
        self.entries = entries
    }

    var isChinese: Bool { catalogue == "zh_CN" }

    var description: String { catalogue ?? "en" }

    /// The language this process's environment asks for.
    static let current = chosen(from: ProcessInfo.processInfo.environment)

    /// The language as gettext chooses it, without needing the locale to be generated (many
    /// servers have only C.UTF-8, where `setlocale` fails for zh_CN): the locale is the first
    /// of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set; under `C` or `POSIX` it is English;
    /// otherwise `LANGUAGE`, a colon-separated list of preferences, is tried first, then the
    /// locale. The first language with a catalogue wins, else English.
    static func chosen(from environment: [String: String]) -> Language {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        guard let locale, !["C", "POSIX"].contains(base(locale)) else { return .english }
        let preferences = (environment["LANGUAGE"] ?? "").split(separator: ":").map(String.init) + [locale]
        for preference in preferences {
            let name = base(preference)
            if name == "en" || name.hasPrefix("en_") { return .english }
            if let language = catalogueLanguage(name) { return language }
        }
        return .english
    }

    /// `zh_CN.UTF-8@modifier` → `zh_CN`; `C.UTF-8` → `C`.
    private static func base(_ locale: String) -> String {
        String(locale.prefix { $0 != "." && $0 != "@" }).replacingOccurrences(of: "-", with: "_")
    }

    /// The catalogue for a language name: Simplified Chinese for zh, zh_CN, zh_SG and
    /// zh_Hans; none for Traditional Chinese (zh_TW, zh_HK, zh_MO, zh_Hant), which a
    /// Simplified catalogue would not serve well.
    private static func catalogueLanguage(_ name: String) -> Language? {
        let lowered = name.lowercased()
        guard lowered == "zh" || lowered.hasPrefix("zh_") else { return nil }
        let traditional = ["zh_tw", "zh_hk", "zh_mo", "zh_hant"].contains { lowered.hasPrefix($0) }
        return traditional ? nil : .simplifiedChinese
    }

    /// `english` in this language, its `%s` (in order) and `%1$s` (by position) replaced by
    /// `arguments`; `%%` is a percent sign. An entry the catalogue lacks stays English.
    func text(_ english: String, _ arguments: String...) -> String { text(english, arguments: arguments) }

    func text(_ english: String, arguments: [String]) -> String {
        Self.format(entries[english] ?? english, arguments)
    }

    static func format(_ format: String, _ arguments: [String]) -> String {
        guard format.contains("%") else { return format }
        var result = ""
        var next = 0
        var characters = Substring(format)
        while let first = characters.first {
            characters = characters.dropFirst()
            guard first == "%" else {
                result.append(first)
                continue
            }
            if characters.first == "%" {
                result.append("%")
                characters = characters.dropFirst()
                continue
            }
            let digits = characters.prefix { $0.isNumber }
            if !digits.isEmpty, characters.dropFirst(digits.count).hasPrefix("$s"), let position = Int(digits) {
                if position >= 1, position <= arguments.count { result += arguments[position - 1] }
                characters = characters.dropFirst(digits.count + 2)
            } else if characters.first == "s" {
                if next < arguments.count { result += arguments[next] }
                next += 1
                characters = characters.dropFirst()
            } else {
                result.append("%")
            }
        }
        return result
    }
}
