import Foundation

/// Masks personal data in free text, for case files shared outside the team.
///
/// It masks e-mail addresses (also full-width, and obfuscated as `name [at] example [dot] com`
/// or `name at example dot com`), IP addresses, card and account numbers (IBANs, bank cards),
/// ID numbers (mainland resident IDs, US SSNs), passport numbers, phone numbers (mainland
/// mobiles with or without +86, international and local forms), long numbers, and names:
/// those the case file records (reporter, assignee, whoever acted) and those it mentions
/// anywhere — after a title (Mr, Ms, Dr …), a run of two or three capitalised words ("Alice
/// Example"), or a Chinese surname followed by a given name ("王小明", "欧阳娜娜"). A name
/// found once is masked everywhere, in any case ("wang wei"), and a Chinese given name alone
/// ("小明") too. Full-width letters and digits are matched as their ASCII forms.
///
/// It errs towards masking: some place, product and ordinary Chinese words that begin with a
/// surname are masked too. Dates, times and incident references are kept, so the file still
/// reads as a case file. Pattern-based: an unusual single name can still slip through, so
/// read a redacted export before you send it.
public struct Redactor: Sendable {
    /// Names to mask wherever they appear, longest first.
    public let names: [String]

    /// `names`: the people the case records. `texts`: everything the case says, searched for
    /// the names it mentions, so that each is masked in every text, however it is written.
    public init(names: [String] = [], mentionedIn texts: [String] = []) {
        let mentioned = texts.flatMap(Self.namesMentioned(in:))
        let all = (names + mentioned).map { $0.trimmingCharacters(in: .whitespaces) }.filter(Self.isMaskable)
        self.names = Array(Set(all)).sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// A name long enough to mask on its own: three letters, or two Chinese characters.
    static func isMaskable(_ name: String) -> Bool {
        name.count >= 3 || (name.count == 2 && name.unicodeScalars.allSatisfy { $0.properties.isIdeographic })
    }

    /// The names `text` mentions: titled, capitalised runs, Chinese names and their given names.
    public static func namesMentioned(in text: String) -> [String] {
        let normal = Text(text).normal
        var found: [String] = []
        for pattern in [Pattern.titled, Pattern.capitalisedRun, Pattern.chineseName] {
            for match in normal.matches(of: pattern.regex) {
                guard let range = match.output[0].range, let name = match.output[0].substring.map(String.init),
                    pattern.accepts(
                        normal[range],
                        range.lowerBound > normal.startIndex ? normal[normal.index(before: range.lowerBound)] : nil
                    )
                else { continue }
                found.append(name)
                if pattern === Pattern.titled, let surname = name.split(separator: " ").last {
                    found.append(String(surname))
                }
                if pattern === Pattern.chineseName, let given = Self.givenName(of: name) { found.append(given) }
            }
        }
        return found
    }

    /// "小明" of "王小明", "娜娜" of "欧阳娜娜"; nil when it is a single character.
    static func givenName(of name: String) -> String? {
        let surname = Pattern.compoundSurnames.first { name.hasPrefix($0) } ?? String(name.prefix(1))
        let given = String(name.dropFirst(surname.count))
        return given.count >= 2 ? given : nil
    }

    public func redact(_ text: String) -> String {
        let text = Text(text)
        var spans = Spans()
        for pattern in Pattern.ordered {
            for match in text.normal.matches(of: pattern.regex) {
                let captured = pattern.group < match.output.count ? match.output[pattern.group] : match.output[0]
                guard let range = captured.range, let whole = match.output[0].range,
                    let span = text.offsets(range), let bounds = text.offsets(whole),
                    pattern.accepts(
                        text.normal[range],
                        span.lowerBound > 0 ? text.characters[span.lowerBound - 1] : nil
                    ),
                    text.isBounded(bounds, by: pattern.boundary)
                else { continue }
                spans.add(span, label: pattern.label)
            }
        }
        for name in names {
            var searchFrom = text.normal.startIndex
            while let range = text.normal.range(
                of: name,
                options: [.caseInsensitive],
                range: searchFrom..<text.normal.endIndex
            ) {
                if let span = text.offsets(range) { spans.add(span, label: "[name]") }
                searchFrom = range.upperBound
            }
        }
        return text.replacing(spans)
    }
}

/// A text and its normal form for matching: full-width ASCII forms and the ideographic space
/// and full stop mapped to ASCII, one character for one, so a match's place in the normal form
/// is its place in the original.
private struct Text {
    let original: [Character]
    let normal: String
    let characters: [Character]
    let offsetOf: [String.Index: Int]

    init(_ text: String) {
        original = Array(text)
        let mapped = String(original.map(Self.normalised))
        normal = mapped.count == original.count ? mapped : text
        characters = Array(normal)
        var offsets: [String.Index: Int] = [:]
        for (offset, index) in normal.indices.enumerated() { offsets[index] = offset }
        offsets[normal.endIndex] = original.count
        offsetOf = offsets
    }

    static func normalised(_ character: Character) -> Character {
        guard character.unicodeScalars.count == 1, let scalar = character.unicodeScalars.first else { return character }
        switch scalar.value {
        case 0xFF01...0xFF5E: return Character(Unicode.Scalar(scalar.value - 0xFEE0)!)
        case 0x3000: return " "
        case 0x3002: return "."
        default: return character
        }
    }

    func offsets(_ range: Range<String.Index>) -> Range<Int>? {
        guard let lower = offsetOf[range.lowerBound], let upper = offsetOf[range.upperBound], lower < upper else {
            return nil
        }
        return lower..<upper
    }

    /// Whether the characters either side of `span` do not continue what it matched.
    func isBounded(_ span: Range<Int>, by boundary: Pattern.Boundary) -> Bool {
        let continues: (Character) -> Bool
        switch boundary {
        case .none: return true
        case .digits: continues = { $0.isASCII && $0.isNumber }
        case .alphanumerics: continues = { $0.isASCII && ($0.isNumber || $0.isLetter) }
        }
        if span.lowerBound > 0, continues(characters[span.lowerBound - 1]) { return false }
        if span.upperBound < characters.count, continues(characters[span.upperBound]) { return false }
        return true
    }

    func replacing(_ spans: Spans) -> String {
        var result = ""
        var offset = 0
        for (span, label) in spans.sorted {
            result += String(original[offset..<span.lowerBound])
            result += label ?? String(original[span])
            offset = span.upperBound
        }
        return result + String(original[offset...])
    }
}

/// The parts of a text already claimed: masked under a label, or kept (no label).
private struct Spans {
    private var claimed: [(Range<Int>, String?)] = []

    mutating func add(_ span: Range<Int>, label: String?) {
        guard !claimed.contains(where: { $0.0.overlaps(span) }) else { return }
        claimed.append((span, label))
    }

    var sorted: [(Range<Int>, String?)] { claimed.sorted { $0.0.lowerBound < $1.0.lowerBound } }
}

/// One kind of personal data (or of text to keep), matched in the normal form.
private final class Pattern: @unchecked Sendable {
    enum Boundary { case none, digits, alphanumerics }

    let regex: Regex<AnyRegexOutput>
    /// What replaces it; nil keeps it as it is.
    let label: String?
    /// The capture group that is masked (0: the whole match).
    let group: Int
    let boundary: Boundary
    /// Whether a match (and the character before it) is what the pattern is for.
    let accepts: (Substring, Character?) -> Bool

    init(
        _ pattern: String,
        _ label: String?,
        group: Int = 0,
        boundary: Boundary = .none,
        accepts: @escaping (Substring, Character?) -> Bool = { _, _ in true }
    ) {
        regex = try! Regex(pattern)
        self.label = label
        self.group = group
        self.boundary = boundary
        self.accepts = accepts
    }

    static let commonTopLevelDomains =
        "com|net|org|edu|gov|mil|int|info|biz|io|co|cn|hk|tw|sg|jp|kr|de|fr|uk|eu|nl|be|at|ch|it|es|pt|pl|se|no|dk|fi|ie|us|ca|au|nz|in|ru|br|mx|me"
    static let at = #"(?:@|\s*[\[\(\{<]\s*(?i:at)\s*[\]\)\}>]\s*)"#
    static let dot = #"(?:\.|\s*[\[\(\{<]\s*(?i:dot)\s*[\]\)\}>]\s*)"#
    static let localPart = #"[A-Za-z0-9._%+-]+"#

    /// Earlier patterns claim their text first.
    static let ordered: [Pattern] = [
        // name@example.com, name [at] example [dot] com, name(at)example.com (and full-width).
        Pattern(localPart + at + #"[A-Za-z0-9-]+(?:"# + dot + #"[A-Za-z0-9-]+)*"# + dot + "[A-Za-z]{2,}", "[email]"),
        // name at example dot com, name at example.com: spelt out, so only under a common domain.
        Pattern(
            localPart + #"\s+(?i:at)\s+[A-Za-z0-9-]+(?:(?:\s+(?i:dot)\s+|\.)[A-Za-z0-9-]+)*(?:\s+(?i:dot)\s+|\.)(?i:"#
                + commonTopLevelDomains + ")",
            "[email]",
            boundary: .alphanumerics
        ),
        Pattern(
            #"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?:/\d{1,2})?"#,
            "[IP address]",
            boundary: .digits
        ),
        Pattern(
            #"(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{1,4}?::(?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4}"#,
            "[IP address]",
            boundary: .alphanumerics,
            accepts: { match, _ in match.filter(\.isHexDigit).count >= 2 }
        ),
        // Kept: incident references, dates and instants, times of day.
        Pattern(
            #"INC-\d{4}-\d{6}|\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\b\d{1,2}:\d{2}(?::\d{2})?\b"#,
            nil
        ),
        Pattern(#"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"#, "[account number]"),
        // Mainland resident identity numbers: region, birth date, sequence, check digit (X).
        Pattern(
            #"[1-9]\d{5}[ -]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ -]?\d{3}[0-9Xx]|\d{17}[Xx]"#,
            "[ID number]",
            boundary: .alphanumerics
        ),
        // Mainland mobiles: 1[3-9]x xxxx xxxx, with or without +86.
        Pattern(#"(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}"#, "[phone]", boundary: .digits),
        Pattern(#"\d{3}-\d{2}-\d{4}"#, "[ID number]", boundary: .digits),
        Pattern(#"\d(?:[ -]?\d){12,18}"#, "[card or account number]", boundary: .digits),
        Pattern(
            #"(?:\+|\b00)\d{1,3}[ .\/-]?(?:\(\d{1,4}\)[ .\/-]?)?\d{2,4}(?:[ .\/-]?\d{2,4}){1,4}\b|\(\d{2,5}\) ?\d{3,4}[ .-]?\d{3,4}\b|\b0\d{2,4}[ \/-]\d{3,4}[ -]?\d{2,5}\b"#,
            "[phone]"
        ),
        // After the word, whatever the number looks like; else one or two letters and 7–8 digits (E12345678).
        Pattern(
            #"(?i:passport|护照)(?:\s*(?i:no\.?|number|号码|号))?\s*[:：#]?\s*([A-Za-z0-9]{5,12})"#,
            "[passport number]",
            group: 1
        ),
        Pattern(#"[A-Za-z]{1,2}\d{7,8}"#, "[passport number]", boundary: .alphanumerics),
        // Not inside a word: digests and identifiers in the JSON export stay whole.
        Pattern(#"\d{6,}"#, "[number]", boundary: .alphanumerics),
        titled, capitalisedRun, chineseName,
    ]

    static let titled = Pattern(
        #"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Herr|Frau|Mme|M)\.? [A-Z][\p{L}'-]+(?: [A-Z][\p{L}'-]+)?"#,
        "[name]"
    )
    static let capitalisedRun = Pattern(#"\b\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+){1,2}\b"#, "[name]")

    /// Compound surnames, then the most common single ones (together far over 90 % of people),
    /// less 和, 时, 成, 应 and 明: as conjunctions and in everyday words they would mask
    /// half of every Chinese sentence.
    static let compoundSurnames = [
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "端木", "独孤",
        "南宫", "西门", "轩辕", "呼延", "申屠", "澹台", "钟离", "闻人", "赫连", "百里", "东郭", "太史",
    ]
    static let singleSurnames =
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝"
    /// Ordinary words that begin with a surname; a match that begins with one is not a name.
    static let notNames = Set<String>([
        "高风", "高危", "高度", "高级", "高层", "高管", "高效", "金额", "金融", "周一", "周二", "周三", "周四", "周五", "周六", "周日",
        "周末", "周期", "周内", "方式", "方案", "方面", "方法", "方向", "方便", "马上", "于是", "于此", "万元", "万条", "万人", "万名",
        "万户", "严重", "程序", "任何", "任务", "曾经", "董事", "史上", "许多", "余额", "余下", "范围", "陆续", "安全", "安排", "安装",
        "文件", "文档", "文字", "时间", "时候", "时段", "全部", "全面", "全体", "全国", "全球", "应该", "应当", "应用", "明确", "明天",
        "明显", "和解", "成功", "成员", "成本", "关于", "关键", "关联", "关系", "关闭", "单位", "单独", "华为", "管理", "管控", "简单",
        "简要", "连接", "连续", "项目", "车辆", "路径", "路由", "常见", "常规", "康复", "包括", "包含", "宁可", "尚未", "符合", "左右",
        "季度", "毕竟", "解决", "解释", "解密", "屈服", "房屋", "费用", "冷却", "席位", "卫生", "米国", "宗旨", "江苏", "黄金", "石油",
        "白天", "龙头", "毛利", "武装", "邮件", "信息", "司法", "谷歌", "苹果", "师傅", "商业", "商户", "商家", "沙箱",
        "查询", "查看", "查明", "查找", "池子", "迟到", "迟延", "温度", "施工", "牛市", "齐全", "易于", "乔迁", "伍拾", "章节", "鲁棒",
        "岳父", "申请", "申报", "欧盟", "欧洲", "耿直", "兰州", "焦点", "柳州", "甘肃", "祝贺", "符号", "舒适", "纪录", "梅花", "凌晨",
        "涂改", "苗头", "盛大", "曲线", "游戏", "管道", "蒙古", "华东", "华南", "华北", "解析", "艾滋", "尤其", "阳性", "时效", "穆斯",
        "农业", "司机", "卓越", "古代", "吉林", "简称", "车主", "项下", "连带", "麦克", "景区", "党员", "宫颈", "卜算", "晏子", "冷静",
        "桂林", "全额", "应急", "边界", "师生", "和平", "商品", "仲裁", "明细", "池州", "马来", "杨浦", "黄浦", "林业", "罗马", "郑州",
        "梁山", "谢谢", "唐山", "韩国", "冯氏", "邓氏", "彭博", "田野", "袁氏", "潘多", "蒋氏", "余姚", "杜绝", "叶片", "苏州", "魏氏",
        "丁香", "任意", "沈阳", "姚氏", "卢森", "姜汁", "崔氏", "钟表", "谭氏", "陆地", "汪洋", "夏季", "付款", "付费", "傅里", "白色",
        "白名", "邹氏", "孟加", "熊猫", "秦朝", "邱氏", "江西", "尹氏", "薛定", "段时", "雷达", "侯选", "龙卷", "陶瓷", "黎明", "贺卡",
        "顾客", "顾问", "毛病", "郝氏", "龚氏", "邵氏", "钱款", "钱财", "严格", "严禁", "覃氏", "武汉", "戴上", "莫斯", "孔子", "向量",
        "汤圆", "常用", "常态", "文明", "牛奶", "葛氏", "邢台", "安徽", "齐鲁", "乔氏", "庞大", "颜色", "倪氏", "庄园", "聂氏", "鲁迅",
        "翟氏", "殷勤", "詹氏", "关注", "兰花", "俞氏", "左侧", "柳树", "甘愿", "祝福", "包裹", "宁波", "尚可", "舒服", "阮氏", "柯氏",
        "梅州", "童年", "凌乱", "毕业", "单据", "季节", "裴氏", "霍乱", "涂料", "成都", "苗族", "谷物", "盛行", "曲折", "翁氏", "冉冉",
        "骆驼", "蓝色", "蓝牙", "路上", "游客", "辛苦", "靳氏", "管辖", "柴油", "蒙受", "鲍鱼", "华人", "喻氏", "祁连", "蒲公", "房间",
        "滕州", "屈指", "饶恕", "解除", "牟利", "艾草", "尤为", "阳光", "时期", "穆氏", "农村", "司令", "卓氏", "古老", "吉祥", "缪氏",
        "简历", "车间", "项链", "连锁", "芦苇", "麦当", "褚氏", "娄底", "窦氏", "戚氏", "岑氏", "景色", "党委", "宫殿", "费心", "卜氏",
        "冷链", "晏氏", "席卷", "卫星", "米饭", "柏林", "宗教", "瞿氏", "桂花", "全程", "佟氏", "应答", "臧氏", "闵行", "苟且", "邬氏",
        "边缘", "卞氏", "姬氏", "师范", "和谐", "仇恨", "栾氏", "隋朝", "商量", "刁难", "沙漠", "荣誉", "巫师", "寇氏", "桑拿", "郎中",
        "甄别", "丛林", "仲介", "虞氏", "敖包", "巩固", "明白", "佘山", "池塘", "查处", "麻烦", "苑氏", "迟迟", "邝氏", "何时", "何处",
        "何种", "何况", "朱红", "胡乱", "郭氏", "罗列", "宋体", "许可", "曹操", "肖像", "董氏", "潘氏", "蔡氏", "杜氏", "吕氏", "石头",
        "廖氏", "贾氏", "韦氏", "孙子", "赵氏", "吴氏", "徐徐", "刘海", "陈述", "陈列", "李子", "张贴", "王国", "王者", "杨树", "黄色",
    ])
    /// Ordinary words that end with a surname ("监管", "对方", "由于"): a surname that ends one is
    /// not the start of a name.
    static let notNamesAfter = Set<String>([
        "监管", "主管", "保管", "托管", "接管", "不管", "尽管", "分管", "一周", "每周", "本周", "上周", "下周", "提高", "最高", "较高",
        "资金", "现金", "罚金", "基金", "对方", "双方", "各方", "三方", "官方", "地方", "警方", "甲方", "乙方", "作方", "木马", "由于",
        "对于", "关于", "属于", "位于", "等于", "至于", "处于", "用于", "基于", "鉴于", "安全", "完全", "中文", "英文", "原文", "明文",
        "密文", "公安", "公司", "有关", "相关", "机关", "海关", "事项", "选项", "名单", "清单", "订单", "账单", "表单", "正常", "异常",
        "非常", "经常", "日常", "通常", "了解", "理解", "破解", "厂商", "应商", "营商", "务商", "协商", "任何", "如何", "为何", "历史",
        "调查", "检查", "审查", "排查", "核查", "据包", "钱包", "过程", "流程", "工程", "远程", "进程", "责任", "信任", "主任", "其余",
        "剩余", "允许", "也许", "或许", "交易", "容易", "字符", "机房", "收费", "免费", "身边", "周边", "律师", "老师", "延迟", "推迟",
        "分钟", "大陆", "登陆", "规范", "防范", "支付", "手段", "阶段", "字段", "回顾", "照顾", "感谢", "多谢", "管理", "管控",
    ])
    static let chineseName = Pattern(
        "(?:" + compoundSurnames.joined(separator: "|") + "|[" + singleSurnames + "])" + #"\p{Han}{1,2}"#,
        "[name]",
        accepts: { match, before in
            !notNames.contains(String(match.prefix(2)))
                && !notNamesAfter.contains(String(before.map { [$0] } ?? []) + String(match.prefix(1)))
        }
    )
}
