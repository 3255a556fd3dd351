import Foundation
import TestSupport
import Testing

/// Notices through incidentctl and the real daemon: checked, supplied with update --set, and
/// drafted in English and Chinese.
@Suite struct NoticeEndToEndTests {
    @Test func aGDPRNoticeLacksItsConsequencesUntilGivenAndAPIPLNoticeIsDraftedInChinese() async throws {
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let directory = try TemporaryDirectory(prefix: "notice")
        defer { directory.remove() }
        let config = directory.appending("incidentd.yaml")
        try """
        roles:
          users:
            \(user): [manager, investigator]
        profile:
          legalName: 示例科技有限公司
          contact: 数据保护负责人 王芳
          email: privacy@example.cn
          timeZone: Asia/Shanghai
        """.write(toFile: config, atomically: true, encoding: .utf8)
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in
            let filed = try await daemon.ctl([
                "report", "--title", "客户名单误发", "--description", "一份客户名单被发送给了错误的供应商。",
                "--jurisdiction", "DE", "--jurisdiction", "CN",
            ])
            #expect(filed.status == 0, "\(filed)")
            let reference = try #require(filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })

            let lacking = try await daemon.ctl(["notice", "check", reference, "gdpr-authority"])
            #expect(lacking.status == 1, "a missing element fails the check: \(lacking)")
            #expect(lacking.stdout.contains("MISSING likelyConsequences"), "\(lacking.stdout)")
            #expect(lacking.stdout.contains("→ give it with incidentctl update --set likelyConsequences=…"))
            #expect(lacking.stdout.split(separator: "\n").allSatisfy { $0.count <= 80 }, "fits 80 columns")

            let given = try await daemon.ctl([
                "update", reference, "--set", "likelyConsequences=Phishing aimed at the customers named.",
            ])
            #expect(given.status == 0, "\(given)")
            let complete = try await daemon.ctl(["notice", "check", reference, "gdpr-authority"])
            #expect(complete.status == 0, "\(complete)")
            let draft = try await daemon.ctl(["notice", "draft", reference, "gdpr-authority"])
            #expect(draft.status == 0)
            #expect(draft.stdout.contains("Phishing aimed at the customers named."))
            #expect(draft.stdout.contains("Controller: 示例科技有限公司"))

            let chinese = try await daemon.ctl(["notice", "draft", reference, "pipl-individuals", "--lang", "zh-CN"])
            #expect(chinese.status == 0, "\(chinese)")
            #expect(chinese.stdout.contains("尊敬的用户："))
            #expect(chinese.stdout.contains("一份客户名单被发送给了错误的供应商。"))
            #expect(chinese.stderr.contains("the notice lacks cause"), "says what is missing: \(chinese.stderr)")

            // Sent in Chinese, and shown again byte for byte. A draft that still holds a
            // placeholder is unfinished: refused.
            func drafted() async throws -> String {
                let reply = try await daemon.ctl([
                    "notice", "draft", reference, "pipl-individuals", "--lang", "zh-CN", "--json",
                ])
                return try #require(
                    (try JSONSerialization.jsonObject(with: Data(reply.stdout.utf8)) as? [String: Any])?["text"]
                        as? String
                )
            }
            let send = [
                "task", "done", reference, "pipl-individuals", "--recipient", "客户", "--channel", "e-mail",
                "--text-file", "-", "--lang", "zh-CN",
            ]
            let unfinished = try await daemon.ctl(send, input: try await drafted())
            #expect(unfinished.status == 2 && unfinished.stderr.contains("placeholder"), "\(unfinished)")
            for (field, value) in [
                ("rootCause", "邮件地址自动补全出错。"), ("containment", "供应商已删除该文件。"),
                ("adviceToPeople", "请警惕要求提供密码的邮件。"),
            ] {
                #expect(try await daemon.ctl(["update", reference, "--set", "\(field)=\(value)"]).status == 0)
            }
            let text = try await drafted()
            let sent = try await daemon.ctl(send, input: text)
            #expect(sent.status == 0, "\(sent)")
            let shown = try await daemon.ctl(["notice", "show", reference, "pipl-individuals"])
            #expect(shown.status == 0, "\(shown)")
            #expect(shown.stdout == text, "shown byte for byte")
            #expect(shown.stderr.contains("sha256 "))
            // The export carries the text sent; a redacted one its digest and elements only.
            let digest = SentNoticeDigest.of(text)
            let export = try await daemon.ctl(["export", reference])
            #expect(export.stdout.contains("## Notices sent") && export.stdout.contains("    尊敬的用户："), "\(export)")
            #expect(export.stdout.contains(digest))
            let redacted = try await daemon.ctl(["export", reference, "--redact", "--format", "json"])
            #expect(redacted.status == 0, "\(redacted)")
            #expect(redacted.stdout.contains(digest) && !redacted.stdout.contains("尊敬的用户"), "\(redacted.stdout)")

            let french = try await daemon.ctl(["notice", "draft", reference, "gdpr-authority", "--lang", "fr"])
            #expect(french.status == 2)
            #expect(french.stderr.contains("fr is not one of the notice's languages: en"), "\(french)")
        }
    }
}

/// SHA-256 of a text as the ledger writes it, computed here without the daemon's code.
enum SentNoticeDigest {
    static func of(_ text: String) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        let output = (try? runCommandBlocking("/usr/bin/sha256sum", [file.path]).stdout) ?? ""
        return String(output.prefix(64))
    }
}
