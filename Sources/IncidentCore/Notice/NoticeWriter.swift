import Foundation

/// Writes a case file's values as a notice in one language reads them: dates, counts, data
/// categories, yes and no. Chinese notices write dates as 2026年12月1日 09:30 and list with 、.
struct NoticeWriter {
    let language: String
    let timeZone: TimeZone

    init(language: String, timeZone: String?) {
        self.language = language
        self.timeZone = timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
    }

    var isChinese: Bool { language.hasPrefix("zh") }

    func write(_ value: FactValue, field: String, estimated: Bool) -> String {
        switch value {
        case .text(let text): return choiceLabel(text, of: field) ?? text
        case .number(let number): return count(number, estimated: estimated)
        case .bool(let flag): return isChinese ? (flag ? "是" : "否") : (flag ? "yes" : "no")
        case .instant(let date): return write(date)
        case .set(let values):
            let labels = field == "dataCategories" ? values.map(categoryLabel) : values
            return list(labels)
        case .counts(let counts):
            let parts = counts.sorted { $0.key < $1.key }.map { "\($0.key) \(count($0.value, estimated: false))" }
            let written = list(parts)
            return estimated ? (isChinese ? "约：\(written)" : "about: \(written)") : written
        }
    }

    func list(_ items: [String]) -> String {
        items.joined(separator: isChinese ? "、" : ", ")
    }

    func count(_ number: Int64, estimated: Bool) -> String {
        if isChinese { return estimated ? "约\(number)" : "\(number)" }
        let digits = String(number.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        let written = (number < 0 ? "-" : "") + grouped
        return estimated ? "about \(written)" : written
    }

    /// `1 December 2026, 09:30 UTC`; `2026年12月1日 09:30`, with the zone unless it is China's.
    func write(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let (year, month, day) = (parts.year ?? 0, parts.month ?? 1, parts.day ?? 1)
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        let zone = zoneName(at: date)
        if isChinese {
            let china = ["Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "PRC"]
            let written = "\(year)年\(month)月\(day)日 \(time)"
            return china.contains(timeZone.identifier) ? written : "\(written)（\(zone)）"
        }
        return "\(day) \(Self.months[month - 1]) \(year), \(time) \(zone)"
    }

    /// `UTC`, or the offset from it: `UTC+01:00`.
    func zoneName(at date: Date) -> String {
        let seconds = timeZone.secondsFromGMT(for: date)
        guard seconds != 0 else { return "UTC" }
        let sign = seconds < 0 ? "-" : "+"
        let minutes = abs(seconds) / 60
        return String(format: "UTC%@%02d:%02d", sign, minutes / 60, minutes % 60)
    }

    static let months = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    func categoryLabel(_ raw: String) -> String {
        guard let category = DataCategory(rawValue: raw), let label = Self.categoryLabels[category] else { return raw }
        return isChinese ? label.zh : label.en
    }

    static let categoryLabels: [DataCategory: (en: String, zh: String)] = [
        .identity: ("identity data", "身份信息"),
        .contact: ("contact details", "联系方式"),
        .transactions: ("transaction records", "交易记录"),
        .financial: ("financial information", "财产信息"),
        .credentials: ("account credentials", "账户凭证"),
        .health: ("health information", "健康信息"),
        .other: ("other personal information", "其他个人信息"),
    ]

    /// The words for a choice the notices write: an incident's category, China's levels.
    func choiceLabel(_ value: String, of field: String) -> String? {
        guard let label = Self.choiceLabels[field]?[value] else { return nil }
        return isChinese ? label.zh : label.en
    }

    static let choiceLabels: [String: [String: (en: String, zh: String)]] = [
        "category": [
            IncidentCategory.externalAttack.rawValue: ("an external attack", "外部攻击"),
            IncidentCategory.accidentalDisclosure.rawValue: ("an accidental disclosure", "意外泄露"),
            IncidentCategory.lostOrStolenDevice.rawValue: ("a lost or stolen device", "设备丢失或被盗"),
            IncidentCategory.vendorExposure.rawValue: ("an exposure at a vendor", "供应商处的数据暴露"),
            IncidentCategory.insiderMisuse.rawValue: ("misuse by an insider", "内部人员滥用"),
            IncidentCategory.other.rawValue: ("other", "其他"),
        ],
        // 国家网络安全事件报告管理办法's four levels.
        "cnIncidentLevel": [
            "ordinary": ("ordinary (一般)", "一般"), "relativelyMajor": ("relatively major (较大)", "较大"),
            "major": ("major (重大)", "重大"), "especiallyMajor": ("especially major (特别重大)", "特别重大"),
        ],
    ]

    /// What stands in a draft for a value not yet known.
    func placeholder(_ label: String) -> String {
        isChinese ? "\(Self.chineseMark)\(label)】" : "\(Self.englishMark)\(label)]"
    }

    private static let chineseMark = "【待补充："
    private static let englishMark = "[to be completed: "

    /// What stands for a value the law lets follow in a later notice (GDPR Art. 33(4)).
    var toFollow: String { isChinese ? "（将在后续报告中补充）" : "to follow in a later notice" }

    /// How every placeholder starts: a text sent with one is unfinished.
    static let placeholderMarks = [chineseMark, englishMark]

    var organisationLabel: String { isChinese ? "单位名称" : "the organisation's legal name" }

    /// A value made safe to stand in Markdown: its punctuation cannot start emphasis, a
    /// heading, a link or a list.
    static func escapeMarkdown(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "\\`*_[]<>#|".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// The plain text of a notice written in the small part of Markdown templates use:
    /// headings lose their `#`, bold its `**`, and escapes their backslash.
    static func plainText(fromMarkdown markdown: String) -> String {
        markdown.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var line = String(line)
            if line.hasPrefix("#") {
                line = String(line.drop { $0 == "#" }.drop { $0 == " " })
            }
            line = line.replacingOccurrences(of: "**", with: "")
            var plain = ""
            var escaping = false
            for character in line {
                if !escaping, character == "\\" {
                    escaping = true
                    continue
                }
                escaping = false
                plain.append(character)
            }
            return plain
        }.joined(separator: "\n")
    }
}
