import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Varlink

/// `io.incidentd.Notices`: a notification task's notice drafted from the case file, and
/// checked against the elements its law requires. Both are reads of the case file, audited as
/// such; they need the team's full view, since a notice holds what a reporter does not see.
extension IncidentsAPI {
    func registerNotices(_ router: inout VarlinkRouter<Caller>) {
        registerSentNotices(&router)
        serve(Methods.Notices.check, on: &router) { parameters, call, caller in
            let (task, notice, file) = try await noticeCase(parameters.reference, parameters.task, call, caller)
            let language = try Self.language(parameters.language, of: notice)
            let checked = NoticesWire.Element.checked(notice.check(file, language: language), language: language)
            return NoticesWire.CheckReply(
                task: task.id,
                recipient: task.notification ?? .authority,
                languages: notice.languages,
                elements: checked.elements,
                complete: checked.complete
            )
        }
        serve(Methods.Notices.draft, on: &router) { parameters, call, caller in
            let (task, notice, file) = try await noticeCase(parameters.reference, parameters.task, call, caller)
            let language = try Self.language(parameters.language, of: notice)
            guard let format = NoticeFormat(rawValue: parameters.format ?? NoticeFormat.text.rawValue) else {
                throw WireError.invalidValue(parameter: "format", reason: "must be text or markdown")
            }
            let checks = notice.check(file, language: language)
            guard case .success(let text) = notice.draft(file, checked: checks, language: language, format: format)
            else { throw Self.unknownLanguage(language, of: notice) }
            let checked = NoticesWire.Element.checked(checks, language: language)
            return NoticesWire.DraftReply(
                task: task.id,
                recipient: task.notification ?? .authority,
                language: language,
                format: format.rawValue,
                text: text,
                elements: checked.elements,
                complete: checked.complete
            )
        }
    }

    /// Show: a sent notice, byte for byte, checked against the ledger's digest.
    private func registerSentNotices(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Notices.show, on: &router) { parameters, call, caller in
            let (task, _, file) = try await noticeCase(parameters.reference, parameters.task, call, caller)
            guard let sent = file.state.notifications.last(where: { $0.task == task.id && $0.notice != nil }),
                let notice = sent.notice
            else {
                throw WireError.invalidValue(
                    parameter: "task",
                    reason: "has sent no notice yet; incidentctl notice draft writes one from the case file"
                )
            }
            let digest = sent.contentDigest ?? ""
            return NoticesWire.ShowReply(
                task: task.id,
                recipient: sent.kind,
                sentAt: sent.sentAt,
                by: sent.by,
                language: notice.language,
                text: notice.text,
                digest: digest,
                intact: notice.digest == digest,
                elements: notice.elements,
                deferred: notice.deferred
            )
        }
    }

    /// The task's notice and what it is drafted from, read (and audited) under the access rule.
    private func noticeCase(
        _ reference: IncidentReference,
        _ taskID: String,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> (TaskPlan, NoticePlan, NoticeCase) {
        let (file, view) = try await readableCaseFile(reference, caller, call)
        guard view == .full else {
            throw WireError.permissionDenied(
                reason: "notices are drafted by the incident's team; a reporter sees only their report"
            )
        }
        guard let task = file.playbook.task(taskID) else {
            let ids = file.playbook.phases.flatMap(\.tasks).filter { $0.notice != nil }.map(\.id)
            throw WireError.invalidValue(
                parameter: "task",
                reason: "is not a task of playbook \(file.playbook.name)\(Suggestions.sentence(for: taskID, in: ids)) "
                    + "incidentctl show lists the incident's tasks"
            )
        }
        guard let notice = task.notice else {
            let withNotices = file.playbook.phases.flatMap(\.tasks).filter { $0.notice != nil }.map(\.id)
            throw WireError.invalidValue(
                parameter: "task",
                reason: "has no notice; the tasks with one are \(withNotices.joined(separator: ", "))"
            )
        }
        return (
            task, notice,
            NoticeCase(incident: file.incident, state: file.state, playbook: file.playbook, profile: settings.profile)
        )
    }

    /// The language asked for, English when none was; refused naming those the notice has.
    static func language(_ asked: String?, of notice: NoticePlan) throws -> String {
        let language = asked ?? NoticeLanguage.english
        guard notice.templates[language] != nil else { throw unknownLanguage(language, of: notice) }
        return language
    }

    static func unknownLanguage(_ language: String, of notice: NoticePlan) -> WireError {
        .invalidValue(
            parameter: "language",
            reason: "\(language) is not one of the notice's languages: \(notice.languages.joined(separator: ", "))"
        )
    }
}
