import Testing

@testable import IncidentCore

@Suite struct RedactorTests {
    let redactor = Redactor(names: ["Alice Example", "mia", "x"])

    @Test(arguments: [
        ("Mail alice.example+work@example.co.uk now", "Mail [email] now"),
        (
            "Card 4111 1111 1111 1111 and 4111-1111-1111-1111",
            "Card [card or account number] and [card or account number]"
        ),
        ("IBAN DE89 3704 0044 0532 0130 00 leaked", "IBAN [account number] leaked"),
        ("SSN 078-05-1120 exposed", "SSN [ID number] exposed"),
        ("Call +49 30 1234567 or (030) 123 4567 or 030/1234-567", "Call [phone] or [phone] or [phone]"),
        ("Customer no. 99812734 affected", "Customer no. [number] affected"),
        ("Mr. John Smith and Dr Weber were told", "[name] and [name] were told"),
        ("Reported by Alice Example, handled by MIA", "Reported by [name], handled by [name]"),
        ("Bob Marker and Jean-Luc Picard revoked it", "[name] and [name] revoked it"),
    ])
    func masksPersonalData(text: String, expected: String) {
        #expect(redactor.redact(text) == expected)
    }

    /// What our users write in Chinese case files, and the ways an address or number is written
    /// to get past a filter.
    @Test(arguments: [
        // Names: a surname from the list and a given name; compound surnames; with a title.
        ("客户王小明的资料被发给了合作方", "客户[name]的资料被发给了合作方"),
        ("经办人：欧阳娜娜、李伟", "经办人：[name]、[name]"),
        ("已电话通知张先生", "已电话通知[name]"),
        // Mainland mobiles, with and without +86, spaced, dashed, glued to Chinese text.
        ("手机13800138000已停用", "手机[phone]已停用"),
        ("call +86 138 0013 8000 or 138-0013-8000", "call [phone] or [phone]"),
        ("联系电话：+8613912345678。", "联系电话：[phone]。"),
        // Resident identity numbers, the last digit an X or not.
        ("身份证号11010519491231002X泄露", "身份证号[ID number]泄露"),
        ("身份证 440301199001011234", "身份证 [ID number]"),
        // Bank cards (UnionPay, 19 digits), spaced or not.
        ("银行卡6222020200001234567", "银行卡[card or account number]"),
        ("card 6222 0202 0000 1234 567", "card [card or account number]"),
        // Passports: after the word, and the mainland form alone.
        ("护照号码：E12345678", "护照号码：[passport number]"),
        ("his passport no. C01X00T47 was scanned", "his passport no. [passport number] was scanned"),
        ("holder of EA1234567", "holder of [passport number]"),
        // IP addresses, IPv4 and IPv6.
        ("logged in from 203.0.113.45 and 10.0.0.1/24", "logged in from [IP address] and [IP address]"),
        ("source 2001:db8::1 and fe80::1ff:fe23:4567:890a", "source [IP address] and [IP address]"),
        ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334 seen", "full [IP address] seen"),
        // E-mail addresses obfuscated or in full-width forms.
        ("write to alice [at] example [dot] com", "write to [email]"),
        ("bob(at)example.cn or carol{AT}mail{DOT}org", "[email] or [email]"),
        ("dave at example dot com", "[email]"),
        ("邮箱：ｗａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "邮箱：[email]"),
        ("邮箱 li.na@example。cn", "邮箱 [email]"),
        // Full-width digits are numbers too.
        ("手机１３８００１３８０００", "手机[phone]"),
    ])
    func masksWhatOurUsersWrite(text: String, expected: String) {
        #expect(Redactor().redact(text) == expected)
    }

    @Test func aNameMentionedOnceIsMaskedEverywhereInAnyCase() {
        let redactor = Redactor(
            names: ["zhao"],
            mentionedIn: [
                "Containment: Wang Wei deleted the file", "客户王小明投诉", "Dr Okafor was told",
            ]
        )
        #expect(redactor.redact("then wang wei called; WANG WEI again") == "then [name] called; [name] again")
        #expect(redactor.redact("小明说他收到了邮件") == "[name]说他收到了邮件", "the given name alone")
        #expect(redactor.redact("okafor agreed") == "[name] agreed", "the surname after a title")
        #expect(redactor.redact("zhao and Zhao") == "[name] and [name]", "a recorded person in lower case")
    }

    @Test(arguments: [
        "INC-2026-000123 entered investigate at 2026-11-29T07:12:47Z",
        "Contained at 09:40 on 2026-05-01; 1,200 people, 40 records",
        "severity high, jurisdictions DE, EU; GDPR Art. 33(3)(d)",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "2a0cd291-47cb-494c-85f5-b5c58172ace7",
        "事件已上报监管机构，风险评估为高风险，72小时内完成通知",
    ])
    func keepsWhatMakesItACaseFile(text: String) {
        #expect(redactor.redact(text) == text)
    }
}
