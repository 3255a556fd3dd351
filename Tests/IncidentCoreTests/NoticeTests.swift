import Foundation
import Testing

@testable import IncidentCore

/// Notices: each shipped notice's legal elements, resolved from a constructed case file, and
/// rendered in English and Chinese.
@Suite struct NoticeTests {
    static var breach: Playbook { WorkflowTests.breach }

    static let profile = OrganisationProfile(
        legalName: "Example Shop GmbH",
        contact: "Data Protection Officer: Jana Richter",
        address: "Beispielstraße 1, 10115 Berlin",
        telephone: "+49 30 1234567",
        email: "privacy@example.com",
        website: "https://example.com/privacy",
        authorities: ["DE": .init(name: "BfDI", channel: "https://www.bfdi.bund.de")]
    )

    static func notice(_ task: String, in playbook: Playbook = breach) throws -> NoticePlan {
        try #require(playbook.task(task)?.notice, "task \(task) has a notice")
    }

    /// A breach of contact data of 1,200 people in Germany and China, with these extra facts.
    static func file(
        _ facts: [String: FactValue] = [:],
        estimated: Set<String> = [],
        profile: OrganisationProfile = profile
    )
        -> NoticeCase
    {
        var incident = WorkflowTests.incident(jurisdictions: ["DE", "CN"], people: 1200, data: [.contact, .identity])
        incident.description = "A spreadsheet of customers was e-mailed to the wrong supplier."
        var state = CaseState(facts: CaseFacts(incident: incident))
        state.facts.values.merge(facts) { _, new in new }
        state.facts.estimated = estimated
        return NoticeCase(incident: incident, state: state, playbook: breach, profile: profile)
    }

    static let complete: [String: FactValue] = [
        "likelyConsequences": .text("Phishing aimed at the customers named."),
        "containment": .text("The supplier deleted the file and confirmed it in writing."),
        "prevention": .text("Outgoing attachments with customer data now need a second pair of eyes."),
        "rootCause": .text("An address was completed automatically to the wrong recipient."),
        "adviceToPeople": .text("Be wary of e-mails that ask for your password."),
        "subjectCategories": .text("customers"),
        "recordsAffected": .number(1300),
    ]

    @Test func everyNotificationTaskHasANoticeInEnglishCitingTheLawForEachElement() throws {
        for playbook in WorkflowTests.playbooks {
            for task in playbook.phases.flatMap(\.tasks) where task.notification != nil {
                guard let notice = task.notice else {
                    Issue.record("notification task \(task.id) of \(playbook.name) has no notice")
                    continue
                }
                #expect(notice.templates[NoticeLanguage.english] != nil, "\(task.id) has an English template")
                for element in notice.elements {
                    #expect(!element.article.isEmpty, "\(task.id).\(element.id) cites its article")
                }
            }
        }
    }

    static let wholeProfile = OrganisationProfile(
        legalName: "Example Shop GmbH",
        contact: "Data Protection Officer: Jana Richter",
        address: "Beispielstraße 1, 10115 Berlin",
        telephone: "+49 30 1234567",
        tollFreeTelephone: "1-800-555-0100",
        email: "privacy@example.com",
        website: "https://example.com/privacy",
        authorities: ["DE": .init(name: "BfDI", channel: "https://www.bfdi.bund.de")]
    )

    /// The case file with a value for every element `notice` takes from a field or an instant.
    static func whole(for notice: NoticePlan, in playbook: Playbook = breach) -> NoticeCase {
        var file = Self.file(profile: wholeProfile)
        for element in notice.elements {
            switch element.source {
            case .field(let name) where file.state.facts.value(of: name) == nil:
                let value: FactValue =
                    switch playbook.field(name)?.type {
                    case .integer?: .number(7)
                    case .boolean?: .bool(true)
                    case .instant?: .instant(WorkflowTests.aware)
                    case .choice(let values)?: .text(values[0])
                    case .categories(let values)?: .set(Array(values.prefix(1)))
                    case .counts?: .counts(["US-CA": 600])
                    case .text?, nil: .text("the \(name)")
                    }
                file.state.facts.values[name] = value
            case .instant(let name) where file.state.facts.instants[name] == nil:
                file.state.facts.instants[name] = WorkflowTests.reported
            default: break
            }
        }
        return file
    }

    @Test func everyShippedNoticeDraftsWholeFromAWholeCaseFileAndNamesEachGapOfAnEmptyOne() throws {
        for playbook in WorkflowTests.playbooks {
            for task in playbook.phases.flatMap(\.tasks) {
                guard let notice = task.notice else { continue }
                for language in notice.languages {
                    let file = Self.whole(for: notice, in: playbook)
                    let checks = notice.check(file, language: language)
                    #expect(
                        checks.allSatisfy { $0.status == .present },
                        "\(task.id): \(checks.filter { $0.status != .present })"
                    )
                    let drafted = try notice.draft(file, language: language).get()
                    #expect(!NoticeWriter.placeholderMarks.contains(where: drafted.contains), "\(task.id) \(language)")
                    #expect(!drafted.contains("{{") && !drafted.contains("to follow in a later notice"), "\(task.id)")
                    for check in checks where check.element.source != .profile(.contactDetails) {
                        #expect(
                            drafted.contains(check.value ?? "\u{0}"),
                            "\(task.id) \(language) writes \(check.element.id)"
                        )
                    }
                }
                // With nothing known, every element from a field is missing or may follow, and
                // the draft shows a placeholder or says it follows; it never fails.
                var empty = Self.file(profile: Self.wholeProfile)
                empty.state.facts.values = [:]
                for check in notice.check(empty) {
                    if case .field(let name) = check.element.source, playbook.field(name)?.isDecision != true,
                        !FieldDeclaration.builtIn.contains(where: { $0.name == name })
                    {
                        #expect(check.status != .present, "\(task.id).\(check.element.id) is not yet known")
                        #expect(check.supply != nil, "\(task.id).\(check.element.id) says what supplies it")
                    }
                }
                #expect(throws: Never.self) { try notice.draft(empty).get() }
            }
        }
    }

    /// Each shipped notice cites every item of its law's list (LEGAL.md, "What each notice must contain").
    @Test(arguments: [
        ("uk-ico", ["UK GDPR Art. 33(3)(a)", "33(3)(b)", "33(3)(c)", "33(3)(d)"]),
        ("uk-data-subjects", ["UK GDPR Art. 34(2)"]),
        ("nis2-early-warning", ["NIS2 Art. 23(4)(a)"]),
        ("nis2-notification", ["NIS2 Art. 23(4)(b)"]),
        ("nis2-final-report", ["23(4)(d)(i)", "23(4)(d)(ii)", "23(4)(d)(iii)", "23(4)(d)(iv)"]),
        ("nis2-final-after-handling", ["23(4)(d)(i)", "23(4)(d)(ii)", "23(4)(d)(iii)", "23(4)(d)(iv)"]),
        ("dora-initial", ["DORA Art. 19(4)(a)"]),
        ("dora-intermediate", ["DORA Art. 19(4)(b)"]),
        ("dora-final", ["DORA Art. 19(4)(c)"]),
        ("sec-8k", ["Form 8-K Item 1.05(a)"]),
        ("sec-8k-amendment", ["Form 8-K Item 1.05(a)"]),
        ("ftc-notice", ["314.4(j)(1)(i)", "(j)(1)(ii)", "(j)(1)(iii)", "(j)(1)(iv)", "(j)(1)(v)", "(j)(1)(vi)"]),
        ("hipaa-media", ["164.404(c)(1)(A)", "(c)(1)(B)", "(c)(1)(C)", "(c)(1)(D)", "(c)(1)(E)"]),
        ("hipaa-hhs", ["45 CFR 164.408"]),
        ("hipaa-hhs-annual-log", ["45 CFR 164.408"]),
        ("hipaa-covered-entity-notice", ["164.410(c)(1)", "164.410(c)(2)"]),
        ("us-state-residents", ["Cal. Civ. Code 1798.82(d)"]),
        ("ca-attorney-general", ["Cal. Civ. Code 1798.82(f)"]),
        ("vt-attorney-general", ["9 V.S.A. 2435(b)(3)"]),
        ("pdpa-commission", ["reg 5"]),
        ("pdpa-individuals", ["reg 6"]),
        ("au-oaic", ["26WK(3)(a)", "26WK(3)(b)", "26WK(3)(c)", "26WK(3)(d)"]),
        ("au-individuals", ["26WL(2)"]),
        ("jp-final", (1...8).map { "Art. 8(1)(\(["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][$0 - 1]))" }),
        ("jp-individuals", ["Rules Art. 10"]),
        ("br-anpd", ["Art. 48 §1 I", "§1 II", "§1 III", "§1 IV", "§1 VI"]),
        ("br-data-subjects", ["Art. 48 §1 I", "§1 IV", "§1 VI"]),
        ("in-cert-in", ["CERT-In Directions 2022"]),
        ("ca-commissioner", ["s. 2(1)(a)", "2(1)(b)", "2(1)(c)", "2(1)(d)", "2(1)(e)", "2(1)(f)", "2(1)(g)"]),
        ("ca-individuals", ["s. 3(a)", "3(b)", "3(c)", "3(d)", "3(e)", "3(f)", "3(g)"]),
    ])
    func eachNoticeCitesEveryItemOfItsLawsList(task: String, items: [String]) throws {
        let notice = try Self.notice(task)
        let articles = notice.elements.map(\.article).joined(separator: " | ")
        for item in items {
            #expect(articles.contains(item), "\(task) cites \(item): \(articles)")
        }
    }

    @Test func aLaterReportOfTheLawsOwnTakesWhatTheFirstDeferredAndBrazilsSupplementHasItsClock() throws {
        let playbook = Self.breach
        for (first, later) in [
            ("nis2-notification", "nis2-final-report"), ("jp-preliminary", "jp-final"),
            ("sec-8k", "sec-8k-amendment"), ("dora-initial", "dora-intermediate"), ("dora-intermediate", "dora-final"),
        ] {
            #expect(try Self.notice(first).supplementedBy == later)
            #expect(playbook.task(TaskPlan.supplementID(of: first)) == nil, "no task beside \(later)")
        }
        let brazil = try #require(playbook.task("br-anpd-supplement"))
        #expect(brazil.due?.description == "20bd-br after deferred:br-anpd", "Res. CD/ANPD 15/2024: 20 business days")
        #expect(brazil.notification == .authority && brazil.notice?.isSupplement == true)
    }

    @Test func theGDPRAuthorityNoticeHoldsArticle33ThreesList() throws {
        let notice = try Self.notice("gdpr-authority")
        let articles = Set(notice.elements.map(\.article))
        for letter in ["a", "b", "c", "d"] {
            #expect(articles.contains("GDPR Art. 33(3)(\(letter))"), "Art. 33(3)(\(letter))")
        }
        // Counts and measures may follow in phases (Art. 33(4)); the likely consequences may not.
        #expect(notice.element("peopleAffected")?.later == "GDPR Art. 33(4)")
        #expect(notice.element("likelyConsequences")?.later == nil)
        #expect(notice.element("contact")?.source == .profile(.contactDetails))
    }

    @Test func thePIPLNoticesHoldArticle57sListInEnglishAndChinese() throws {
        for task in ["pipl-notify", "pipl-individuals"] {
            let notice = try Self.notice(task)
            #expect(notice.languages == ["en", "zh-CN"])
            let articles = notice.elements.map(\.article).joined(separator: " ")
            for item in ["57(1)", "57(2)", "57(3)"] {
                #expect(articles.contains("PIPL Art. \(item)"), "\(task) \(item)")
            }
            // PIPL allows nothing to follow later.
            #expect(notice.elements.allSatisfy { $0.later == nil })
            #expect(notice.element("cause")?.label(in: "zh-CN") == "原因")
        }
    }

    @Test func elementsArePresentMissingWithTheirSupplyOrDeferrable() throws {
        let checks = try Self.notice("gdpr-authority").check(Self.file())
        func status(_ id: String) -> ElementCheck? { checks.first { $0.element.id == id } }
        #expect(status("nature")?.status == .present)
        #expect(status("nature")?.value == "A spreadsheet of customers was e-mailed to the wrong supplier.")
        #expect(status("peopleAffected")?.value == "1,200")
        #expect(status("dataCategories")?.value == "contact details, identity data")
        #expect(status("aware")?.value == "2 March 2026, 09:00 UTC")
        #expect(status("contact")?.value?.hasPrefix("Data Protection Officer: Jana Richter\nBeispielstraße 1") == true)
        #expect(status("likelyConsequences")?.status == .missing)
        #expect(status("likelyConsequences")?.supply?.contains("incidentctl update") == true)
        #expect(status("measuresTaken")?.status == .deferrable)
        #expect(status("measuresTaken")?.supply?.contains("contain") == true, "the task that captures it")
        #expect(status("recordsAffected")?.status == .deferrable)

        let done = try Self.notice("gdpr-authority").check(Self.file(Self.complete))
        #expect(done.allSatisfy { $0.status == .present }, "\(done.filter { $0.status != .present }.map(\.element.id))")
    }

    @Test func aMissingProfileSaysWhichSettingSuppliesIt() throws {
        let checks = try Self.notice("gdpr-authority").check(Self.file(profile: OrganisationProfile()))
        let contact = try #require(checks.first { $0.element.id == "contact" })
        #expect(contact.status == .missing)
        #expect(contact.supply?.contains("profile.") == true)
    }

    @Test func estimatesAreWrittenAsEstimates() throws {
        let checks = try Self.notice("gdpr-authority").check(Self.file(estimated: ["peopleAffected"]))
        #expect(checks.first { $0.element.id == "peopleAffected" }?.value == "about 1,200")
        let chinese = try Self.notice("pipl-notify").check(Self.file(estimated: ["peopleAffected"]), language: "zh-CN")
        #expect(chinese.first { $0.element.id == "dataCategories" }?.value == "联系方式、身份信息")
    }

    @Test func aDraftShowsAPlaceholderForWhatIsNotKnownAndNeverFails() throws {
        let draft = try Self.notice("gdpr-authority").draft(Self.file()).get()
        #expect(draft.contains("[to be completed: The likely consequences of the breach]"))
        #expect(draft.contains("Taken: to follow in a later notice"), "what may follow says so: \(draft)")
        #expect(draft.contains("Controller: Example Shop GmbH"), "bold marks are gone from plain text")
        #expect(!draft.contains("#"))
        let markdown = try Self.notice("gdpr-authority").draft(Self.file(), format: .markdown).get()
        #expect(markdown.contains("# Notification of a personal data breach"))
        #expect(markdown.contains("\\[to be completed: The likely consequences of the breach\\]"))
    }

    @Test func valuesComeBackExactlyInPlainTextAndEscapedInMarkdown() throws {
        let tricky = "**Not bold** # not a heading \\ [not a link](x) <b>"
        let file = Self.file(["likelyConsequences": .text(tricky)])
        let text = try Self.notice("gdpr-authority").draft(file).get()
        #expect(text.contains(tricky))
        let markdown = try Self.notice("gdpr-authority").draft(file, format: .markdown).get()
        #expect(markdown.contains("\\*\\*Not bold\\*\\* \\# not a heading \\\\ \\[not a link\\](x) \\<b\\>"))
    }

    @Test func theChineseNoticeToIndividualsWritesChineseLabelsAndDates() throws {
        let notice = try Self.notice("pipl-individuals")
        var facts = Self.complete
        facts["likelyConsequences"] = .text("可能收到冒充我司的诈骗电话。")
        let draft = try notice.draft(Self.file(facts), language: "zh-CN").get()
        #expect(draft.contains("尊敬的用户："))
        #expect(draft.contains("联系方式、身份信息"))
        #expect(draft.contains("可能收到冒充我司的诈骗电话。"))
        #expect(draft.contains("INC-2026-000001"))
        #expect(!draft.contains("【待补充"), "\(draft)")
    }

    @Test func theChinaFirstReportIsWrittenInChineseWithItsLevelAndTimes() throws {
        let notice = try Self.notice("cn-first-report")
        #expect(notice.languages == ["en", "zh-CN"])
        // The first report's items come first; development, cause and planned measures may follow.
        #expect(notice.elements.filter { $0.later != nil }.map(\.id) == ["development", "cause", "plannedMeasures"])
        #expect(notice.elements.allSatisfy { $0.article.contains("article not confirmed") }, "as LEGAL.md marks it")
        var facts = Self.complete
        facts["cnIncidentLevel"] = .text("relativelyMajor")
        facts["category"] = .text("accidental_disclosure")
        facts["cnAffectedSystem"] = .text("客户关系管理系统")
        facts["cnIncidentPlace"] = .text("上海")
        facts["harmSoFar"] = .text("约120万条客户记录外泄。")
        let profile = OrganisationProfile(legalName: "示例科技有限公司", email: "privacy@example.cn", timeZone: "Asia/Shanghai")
        let draft = try notice.draft(Self.file(facts, profile: profile), language: "zh-CN").get()
        #expect(draft.contains("事件级别：较大"), "\(draft)")
        #expect(draft.contains("事件类型：意外泄露"))
        #expect(draft.contains("发现时间：2026年3月2日 17:00"), "the awareness instant in Beijing time: \(draft)")
        #expect(draft.contains("报告单位：示例科技有限公司"))
        #expect(notice.check(Self.file(facts, profile: profile)).allSatisfy { $0.status == .present })
        for task in ["cn-first-report-cii", "cn-first-report-state", "cn-summary-report"] {
            #expect(try Self.notice(task).templates["zh-CN"] != nil, "\(task) in Chinese")
        }
    }

    @Test func theHIPAANoticeToIndividualsHolds164404c() throws {
        let notice = try Self.notice("hipaa-individuals")
        let articles = notice.elements.map(\.article).joined(separator: " ")
        for item in ["A", "B", "C", "D", "E"] {
            #expect(articles.contains("164.404(c)(1)(\(item))"), "item \(item)")
        }
        let checks = notice.check(Self.file(Self.complete))
        #expect(checks.first { $0.element.id == "tollFree" }?.status == .missing, "a toll-free number is asked for")
        #expect(checks.first { $0.element.id == "breachDate" }?.status == .deferrable, "the breach date if known")
    }

    @Test func chineseDatesAreWrittenAsChineseReadersExpect() {
        let date = ISO8601DateFormatter().date(from: "2026-12-01T01:30:00Z")!
        #expect(NoticeWriter(language: "zh-CN", timeZone: "Asia/Shanghai").write(date) == "2026年12月1日 09:30")
        #expect(NoticeWriter(language: "zh-CN", timeZone: nil).write(date) == "2026年12月1日 01:30（UTC）")
        #expect(
            NoticeWriter(language: "en", timeZone: "Europe/Berlin").write(date) == "1 December 2026, 02:30 UTC+01:00"
        )
        #expect(NoticeWriter(language: "zh-CN", timeZone: nil).count(1200, estimated: true) == "约1200")
    }

    @Test func anUnknownLanguageNamesTheLanguagesTheNoticeHas() throws {
        let result = try Self.notice("gdpr-authority").draft(Self.file(), language: "fr")
        #expect(throws: NoticeError.unknownLanguage("fr", available: ["en"])) { try result.get() }
        #expect(NoticeError.unknownLanguage("fr", available: ["en"]).description.contains("it has en"))
    }

    @Test func sendingANoticeKeepsItsTextDigestAndElementsOrSaysWhatIsLacking() throws {
        let notice = try Self.notice("gdpr-authority")
        let details = WorkflowCommand.NotificationDetails(recipient: "BfDI", channel: "portal", text: "The notice.")
        #expect(
            notice.sending(details, task: "gdpr-authority", in: Self.file())
                == .failure(.noticeIncomplete(task: "gdpr-authority", missing: ["likelyConsequences"]))
        )
        var partial = Self.complete
        partial["containment"] = nil
        let file = Self.file(partial)
        #expect(
            notice.sending(details, task: "gdpr-authority", in: file)
                == .failure(.deferralReasonRequired(task: "gdpr-authority", elements: ["measuresTaken"]))
        )
        var deferring = details
        deferring.deferred = ["measuresTaken": "  "]
        #expect(
            notice.sending(deferring, task: "gdpr-authority", in: file)
                == .failure(.deferralReasonRequired(task: "gdpr-authority", elements: ["measuresTaken"]))
        )
        deferring.deferred = ["measuresTaken": "under way", "nature": "later"]
        guard case .failure(.invalidDeferral("nature", _)) = notice.sending(deferring, task: "gdpr-authority", in: file)
        else {
            Issue.record("a known element cannot be left to later")
            return
        }
        deferring.deferred = ["measuresTaken": " under way "]
        let sent = try notice.sending(deferring, task: "gdpr-authority", in: file).get()
        #expect(sent.contentDigest == SentNotice.digest(of: "The notice."))
        #expect(sent.contentDigest?.count == 64)
        #expect(sent.notice?.deferred == ["measuresTaken": "under way"])
        #expect(sent.notice?.elements.contains("likelyConsequences") == true)
        #expect(sent.notice?.elements.contains("measuresTaken") == false)
        var mismatched = deferring
        mismatched.contentDigest = String(repeating: "0", count: 64)
        #expect(
            notice.sending(mismatched, task: "gdpr-authority", in: file)
                == .failure(.noticeDigestMismatch(task: "gdpr-authority"))
        )
        var unfinished = deferring
        unfinished.text = "Consequences: [to be completed: The likely consequences of the breach]"
        #expect(notice.sending(unfinished, task: "t", in: file) == .failure(.noticeTextUnfinished(task: "t")))
        var blank = details
        blank.text = " \n"
        #expect(notice.sending(blank, task: "t", in: file) == .failure(.noticeTextRequired(task: "t")))
    }

    @Test func aNoticeSentWithDeferralsLeavesASupplementaryNoticeOwedThatNeedsEveryElement() throws {
        let playbook = Self.breach
        let supplement = try #require(playbook.task("gdpr-authority-supplement"))
        #expect(supplement.notification == .authority && supplement.isObligation && supplement.regime == "gdpr")
        #expect(supplement.due == nil, "GDPR Art. 33(4) sets no time, only 'without undue further delay'")
        #expect(supplement.description.contains("GDPR Art. 33(4)"))
        let notice = try #require(supplement.notice)
        #expect(notice.isSupplement && notice.elements.allSatisfy { $0.later == nil })
        #expect(playbook.task("gdpr-data-subjects-supplement") == nil, "nothing of an Art. 34 notice may follow")

        var incident = WorkflowTests.incident(jurisdictions: ["DE", "EU"], people: 1200)
        incident.description = "A spreadsheet of customers was e-mailed to the wrong supplier."
        let assessed = try WorkflowTests.throughInvestigation(
            WorkflowTests.started(incident),
            notifiable: true,
            highRisk: false,
            also: [.update(["likelyConsequences": .text("Phishing aimed at the customers named.")])]
        )
        #expect(assessed.task("gdpr-authority-supplement") == nil, "not listed until it is owed")
        func send(_ task: String, deferred: [String: String], in state: CaseState) throws -> CaseState {
            var details = WorkflowCommand.NotificationDetails(recipient: "BfDI", channel: "portal", text: "Notice.")
            details.notice = SentNotice(text: "Notice.", language: "en", elements: [], deferred: deferred)
            return try WorkflowTests.run(
                [
                    .completeTask(
                        id: task,
                        captures: ["regulatorReference": .text("B-1")],
                        reason: nil,
                        notification: details
                    )
                ],
                from: state
            )
        }
        let sentWhole = try send("gdpr-authority", deferred: [:], in: assessed)
        #expect(sentWhole.task("gdpr-authority-supplement") == nil, "nothing was deferred")

        let sentInPart = try send("gdpr-authority", deferred: ["subjectCategories": "being counted"], in: assessed)
        let owed = try #require(sentInPart.task("gdpr-authority-supplement"))
        #expect(owed.status == .open, "the supplementary notice is owed")
        #expect(sentInPart.facts.instants[TaskPlan.deferralInstant(of: "gdpr-authority")] == WorkflowTests.reported)
        let file = NoticeCase(incident: incident, state: sentInPart, playbook: playbook, profile: Self.profile)
        #expect(
            notice.check(file).filter { $0.status == .missing }.map(\.element.id) == ["subjectCategories"],
            "what was deferred is now required"
        )
        let drafted = try notice.draft(file).get()
        #expect(drafted.hasPrefix("Supplementary notification of a personal data breach"), "\(drafted)")
        #expect(!drafted.contains("provide it in phases"))
    }

    @Test func aSupplementsClockCountsFromTheFirstNoticeWhereTheLawSetsOne() throws {
        let playbook = try Self.loading(
            notice: """
                        elements:
                          - {id: harm, article: "Art. 1", from: field.harm}
                          - {id: counts, article: "Art. 2", from: field.peopleAffected, later: "Art. 3"}
                        supplement: {due: 30d after sent}
                        templates: {en: "{{harm}} {{counts}}"}
                """
        ).get()
        let supplement = try #require(playbook.task("r-authority-supplement"))
        #expect(supplement.due?.description == "30d after deferred:r-authority")
        #expect(supplement.description.contains("due 30d after the first notice"), "\(supplement.description)")
        for (notice, message) in [
            (
                """
                        elements: [{id: harm, article: A, from: field.harm}]
                        supplement: {due: 30d after sent}
                        templates: {en: x}
                """,
                "has a supplement but no element with 'later'"
            ),
            (
                """
                        elements: [{id: harm, article: A, from: field.harm, later: B}]
                        supplement: {due: 30d after nowhere}
                        templates: {en: x}
                """,
                "unknown instant 'nowhere'"
            ),
            (
                """
                        elements: [{id: harm, article: A, from: field.harm, later: B}]
                        supplement: {by: triage}
                        templates: {en: x}
                """,
                "is supplemented by 'triage', which is not a task with a notice"
            ),
            (
                """
                        elements: [{id: harm, article: A, from: field.harm, later: B}]
                        supplement: {}
                        templates: {en: x}
                """,
                "needs either 'due'"
            ),
            (
                """
                        elements: [{id: harm, article: A, from: field.harm, later: B}]
                        templates: {en: x}
                    - {id: r-authority-supplement, title: Taken, role: manager}
                """,
                "is taken by the supplementary notice"
            ),
        ] {
            let problems = Self.load(notice: notice)
            #expect(problems.contains { $0.message.contains(message) }, "\(problems)")
        }
    }

    // MARK: - Bad notices in a regime file

    static func load(notice: String) -> [PlaybookProblem] {
        switch loading(notice: notice) {
        case .success: return []
        case .failure(let error): return error.problems
        }
    }

    /// The playbook with regime `r`, whose task `r-authority` has `notice` (indented 8 spaces).
    static func loading(notice: String) -> Result<Playbook, PlaybookSetError> {
        let playbook = """
            playbook: p
            version: "1"
            title: P
            default: true
            include: [r]
            phases:
              report:
                tasks:
                  - {id: triage, title: Triage, role: investigator}
            """
        let regime = """
            regime: r
            title: R
            reviewed: 2026-12-01
            sources:
              - {cite: "A law", url: "https://example.org/law", sure: "primary text"}
            fields:
              harm: {type: text}
            tasks:
              notify:
                - id: r-authority
                  title: Tell the authority
                  role: manager
                  notification: authority
                  notice:
            \(notice)
            """
        let (bundled, problems) = PlaybookLoader.bundle(playbook, file: "/p/p.yaml") { name in
            name == "r" ? ("/p/regimes/r.yaml", regime) : nil
        }
        guard problems.isEmpty else { return .failure(PlaybookSetError(problems: problems)) }
        return PlaybookLoader.load(bundled, file: "/p/p.yaml")
    }

    @Test func aGoodNoticeLoads() {
        let problems = Self.load(
            notice: """
                        elements:
                          - {id: harm, article: "Art. 1", from: field.harm}
                        templates:
                          en: |
                            Harm: {{harm}} ({{reference}}, {{organisation}}){{#known.harm}} known{{/known.harm}}
                """
        )
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func aTemplateThatIsNotMustacheIsRefusedWithItsLineAndColumn() throws {
        let problems = Self.load(
            notice: """
                        elements:
                          - {id: harm, article: "Art. 1", from: field.harm}
                        templates:
                          en: |
                            First line
                            Harm: {{#harm}} never closed
                """
        )
        let problem = try #require(problems.first)
        #expect(problem.file.hasSuffix("regimes/r.yaml"))
        #expect(problem.message.contains("not valid Mustache"), "\(problem)")
        // Mustache finds the section unclosed at the template's end, the line after its last.
        #expect(problem.line == 21, "\(problem)")
    }

    @Test func aTemplateNamingAnUnknownElementIsRefusedWhereItIsUsed() throws {
        let problems = Self.load(
            notice: """
                        elements:
                          - {id: harm, article: "Art. 1", from: field.harm}
                        templates:
                          en: |
                            Harm: {{harm}}
                            Cause: {{cause}} and {{known.cause}}
                """
        )
        #expect(problems.count == 2, "\(problems)")
        let cause = try #require(problems.first { $0.message.contains("'cause'") })
        #expect(cause.line == 20 && cause.column == 20, "\(cause)")
        #expect(problems.contains { $0.message.contains("'known.cause'") })
    }

    @Test func anElementFromAnUnknownSourceOrWithoutItsArticleIsRefused() {
        let problems = Self.load(
            notice: """
                        elements:
                          - {id: harm, article: "Art. 1", from: field.nothing}
                          - {id: when, article: "Art. 1", from: instant.never}
                          - {id: who, article: "Art. 1", from: profile.shoeSize}
                          - {id: what, from: incident.title}
                        templates:
                          zh-CN: "{{harm}}"
                """
        )
        let messages = problems.map(\.message).joined(separator: "\n")
        #expect(messages.contains("unknown field 'nothing'"))
        #expect(messages.contains("unknown instant 'never'"))
        #expect(messages.contains("'profile.shoeSize' is not a source"))
        #expect(messages.contains("cites no 'article'"))
        #expect(messages.contains("no English template"))
    }
}
