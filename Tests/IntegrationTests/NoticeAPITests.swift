import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Postgres
import TestSupport
import Testing
import Varlink

@testable import IncidentDaemon

/// `io.incidentd.Notices` through the daemon's router: notices drafted from a real case file,
/// checked against their law, and the Update that supplies what they lack.
@Suite struct NoticeAPITests {
    static let configuration = """
        profile:
          legalName: Example Shop GmbH
          contact: "Data Protection Officer: Jana Richter"
          email: privacy@example.com
          timeZone: Europe/Berlin
          authorities:
            DE: {name: BfDI, channel: "https://www.bfdi.bund.de"}
        """

    func withRouter(_ body: (Daemon.Parts, VarlinkRouter<Caller>) async throws -> Void) async throws {
        try await withMigratedPool { pool, _ in
            let directory = try TemporaryDirectory(prefix: "notice")
            defer { directory.remove() }
            let parts = try await InProcessAPITests.daemon(in: directory, file: Self.configuration).parts(on: pool)
            try await body(parts, parts.api.makeRouter())
        }
    }

    func call<P, R>(
        _ router: VarlinkRouter<Caller>,
        _ method: Method<P, R>,
        _ parameters: P,
        as caller: Caller = InProcessAPITests.mia
    )
        async throws -> Result<R, WireError>
    {
        try await InProcessAPITests.call(router, method, parameters, as: caller)
    }

    func file(
        _ router: VarlinkRouter<Caller>,
        as caller: Caller = InProcessAPITests.mia
    ) async throws -> IncidentReference {
        let draft = ReportDraft(
            title: "Customer list sent to the wrong supplier",
            description: "A spreadsheet of 1,200 customers went to the wrong address.",
            jurisdictions: [Jurisdiction(rawValue: "DE")!, Jurisdiction(rawValue: "CN")!]
        )
        return try await call(router, Methods.Incidents.report, .init(draft: draft), as: caller).get().incident
            .reference
    }

    @Test func aGDPRNoticeLacksItsLikelyConsequencesUntilAnUpdateGivesThem() async throws {
        try await withRouter { parts, router in
            let reference = try await file(router)
            let check = Methods.Notices.check
            let before = try await call(router, check, .init(reference: reference, task: "gdpr-authority")).get()
            #expect(!before.complete)
            #expect(before.recipient == .authority)
            let consequences = try #require(before.elements.first { $0.id == "likelyConsequences" })
            #expect(consequences.status == "missing" && consequences.article == "GDPR Art. 33(3)(c)")
            #expect(before.elements.first { $0.id == "contact" }?.value?.contains("privacy@example.com") == true)

            let text = "Targeted phishing of the customers named."
            var update = WorkflowWire.UpdateParameters(reference: reference)
            update.values = ["likelyConsequences": .text(text)]
            _ = try await call(router, Methods.Incidents.update, update).get()
            let after = try await call(router, check, .init(reference: reference, task: "gdpr-authority")).get()
            #expect(after.complete, "\(after.elements.filter { $0.status == "missing" }.map(\.id))")
            #expect(after.elements.first { $0.id == "measuresTaken" }?.status == "deferrable")

            let draft = try await call(
                router,
                Methods.Notices.draft,
                .init(reference: reference, task: "gdpr-authority")
            )
            .get()
            #expect(draft.text.contains(text))
            #expect(draft.text.contains("Controller: Example Shop GmbH"))
            #expect(draft.text.contains("UTC+01:00"), "dates in the profile's time zone: \(draft.text)")
            let markdown = try await call(
                router,
                Methods.Notices.draft,
                .init(reference: reference, task: "gdpr-authority", format: "markdown")
            ).get()
            #expect(markdown.text.hasPrefix("# Notification of a personal data breach"))

            // Both were reads of the case file, audited under their own actions.
            let audit = try await parts.auditStore.query(
                AuditFilter(limit: 1000),
                audit: AuditRecord(caller: InProcessAPITests.mia, action: Methods.Audit.query.auditAction)
            )
            #expect(Set(audit.map(\.action)).isSuperset(of: ["NoticesCheck", "NoticesDraft", "Update"]))
        }
    }

    @Test func thePIPLNoticeToIndividualsIsDraftedInChinese() async throws {
        try await withRouter { _, router in
            let reference = try await file(router)
            let draft = try await call(
                router,
                Methods.Notices.draft,
                .init(reference: reference, task: "pipl-individuals", language: "zh-CN")
            ).get()
            #expect(draft.language == "zh-CN")
            #expect(draft.text.contains("尊敬的用户："))
            #expect(draft.text.contains("【待补充：原因】"), "what is not known yet shows as a placeholder")
            #expect(draft.text.contains("Example Shop GmbH"))
        }
    }

    @Test func badRequestsAreRefusedByName() async throws {
        try await withRouter { _, router in
            let reference = try await file(router)
            let draft = Methods.Notices.draft
            let french = await #expect(throws: WireError.self) {
                try await call(router, draft, .init(reference: reference, task: "gdpr-authority", language: "fr")).get()
            }
            #expect(
                french == .invalidValue(parameter: "language", reason: "fr is not one of the notice's languages: en")
            )
            let format = await #expect(throws: WireError.self) {
                try await call(router, draft, .init(reference: reference, task: "gdpr-authority", format: "pdf")).get()
            }
            // The interface's enumeration refuses it before the handler sees it.
            #expect(format?.exitStatus == .usage, "\(String(describing: format))")
            let noNotice = await #expect(throws: WireError.self) {
                try await call(router, draft, .init(reference: reference, task: "triage")).get()
            }
            guard case .invalidValue("task", let reason)? = noNotice else {
                Issue.record("a task without a notice is an InvalidValue: \(String(describing: noNotice))")
                return
            }
            #expect(reason.contains("gdpr-authority"), "names the tasks that have one: \(reason)")
            let unknown = await #expect(throws: WireError.self) {
                try await call(router, draft, .init(reference: reference, task: "no-such-task")).get()
            }
            #expect(unknown?.exitStatus == .usage)

            // A decision is taken by its task, with a reason, not slipped in with an update.
            var update = WorkflowWire.UpdateParameters(reference: reference)
            update.values = ["notifiable": .boolean(false)]
            let decision = await #expect(throws: WireError.self) {
                try await call(router, Methods.Incidents.update, update).get()
            }
            guard case .invalidValue(_, let why)? = decision else {
                Issue.record("a decision in an update is an InvalidValue: \(String(describing: decision))")
                return
            }
            #expect(why.contains("decision"))
        }
    }

    @Test func aReporterCannotDraftANoticeOfTheirOwnReport() async throws {
        try await withRouter { _, router in
            let rita = Caller(uid: 5151, gid: 5151, pid: 5151, userName: "rita")
            let reference = try await file(router, as: rita)
            let refused = await #expect(throws: WireError.self) {
                try await call(
                    router,
                    Methods.Notices.draft,
                    .init(reference: reference, task: "gdpr-authority"),
                    as: rita
                )
                .get()
            }
            #expect(refused?.exitStatus == .permissionDenied)
        }
    }

    /// Completing a notification task sends its notice: refused, naming the elements, while the
    /// case file lacks one the law requires first; then kept byte for byte, its digest in the
    /// ledger, and shown again identical.
    @Test func aNoticeIsRefusedWhileIncompleteThenKeptByteForByte() async throws {
        try await withRouter { _, router in
            let reference = try await file(router)
            let complete = Methods.Incidents.completeTask
            // Sent byte for byte: trailing spaces, a tab, Chinese, no final newline. (Control
            // characters other than tab and newline are refused in every text, as elsewhere.)
            let text = "Dear BfDI,\n\twe report a breach.  \n数据保护负责人 王芳 "
            func send(
                _ details: WorkflowWire.NotificationParameters
            ) async throws -> Result<
                WorkflowWire.CaseFileReply, WireError
            > {
                try await call(
                    router,
                    complete,
                    .init(
                        reference: reference,
                        task: "gdpr-authority",
                        values: ["regulatorReference": .text("BfDI-1")],
                        notification: details
                    )
                )
            }
            let noText = await #expect(throws: WireError.self) {
                try await send(.init(recipient: "BfDI", channel: "portal")).get()
            }
            guard case .invalidValue("notification.text", _)? = noText else {
                Issue.record("a notice needs its text: \(String(describing: noText))")
                return
            }
            let incomplete = await #expect(throws: WireError.self) {
                try await send(.init(recipient: "BfDI", channel: "portal", text: text)).get()
            }
            #expect(incomplete == .noticeIncomplete(task: "gdpr-authority", missing: ["likelyConsequences"]))
            #expect(incomplete?.message.contains("likelyConsequences, which the law requires") == true)

            var update = WorkflowWire.UpdateParameters(reference: reference)
            update.values = ["likelyConsequences": .text("Phishing of the customers named.")]
            _ = try await call(router, Methods.Incidents.update, update).get()
            let unexplained = await #expect(throws: WireError.self) {
                try await send(.init(recipient: "BfDI", channel: "portal", text: text)).get()
            }
            guard case .invalidValue("notification.deferred", let reason)? = unexplained else {
                Issue.record("a deferral needs its reason: \(String(describing: unexplained))")
                return
            }
            #expect(reason.contains("measuresTaken"), "\(reason)")
            let deferred = [
                "subjectCategories": "being counted", "recordsAffected": "being counted",
                "peopleAffected": "being counted",
                "measuresTaken": "containment under way", "measuresProposed": "review not finished",
            ]
            let wrongDigest = await #expect(throws: WireError.self) {
                try await send(
                    .init(recipient: "BfDI", channel: "portal", contentDigest: "00", text: text, deferred: deferred)
                ).get()
            }
            #expect(wrongDigest?.exitStatus == .usage)
            let done = try await send(.init(recipient: "BfDI", channel: "portal", text: text, deferred: deferred)).get()
            let ledger = try #require(done.notifications?.first { $0.task == "gdpr-authority" })
            #expect(ledger.contentDigest == SentNotice.digest(of: text))

            let shown = try await call(
                router,
                Methods.Notices.show,
                .init(reference: reference, task: "gdpr-authority")
            )
            .get()
            #expect(shown.text == text && Array(shown.text.utf8) == Array(text.utf8), "byte for byte")
            #expect(shown.intact && shown.digest == ledger.contentDigest)
            #expect(shown.deferred == deferred)
            #expect(shown.elements.contains("likelyConsequences") && !shown.elements.contains("measuresTaken"))
            #expect(shown.language == "en")

            // What was deferred is owed in a supplementary notice, which must hold every element.
            let supplementID = "gdpr-authority-supplement"
            #expect(done.tasks?.first { $0.id == supplementID }?.status == .open, "\(done.tasks ?? [])")
            let check = try await call(router, Methods.Notices.check, .init(reference: reference, task: supplementID))
                .get()
            #expect(
                Set(check.elements.filter { $0.status == "missing" }.map(\.id)) == Set(deferred.keys),
                "\(check.elements)"
            )
            let stillIncomplete = await #expect(throws: WireError.self) {
                try await call(
                    router,
                    complete,
                    .init(
                        reference: reference,
                        task: supplementID,
                        notification: .init(recipient: "BfDI", channel: "portal", text: "More.", deferred: deferred)
                    )
                )
                .get()
            }
            guard case .noticeIncomplete(supplementID, let missing)? = stillIncomplete else {
                Issue.record("a supplementary notice cannot defer again: \(String(describing: stillIncomplete))")
                return
            }
            #expect(Set(missing) == Set(deferred.keys))

            let nothingSent = await #expect(throws: WireError.self) {
                try await call(router, Methods.Notices.show, .init(reference: reference, task: "pipl-notify")).get()
            }
            #expect(nothingSent?.exitStatus == .usage)
        }
    }
}
