import Crypto
import Foundation

/// A notice as it was sent, kept with the notification it made: the exact text (sealed at
/// rest), its language, the elements the case file held then, and those left to a later
/// notice with the reason given for each.
public struct SentNotice: Sendable, Equatable, Codable {
    public var text: String
    public var language: String
    /// The elements the case file held when it was sent, by id, in the law's order.
    public var elements: [String]
    /// The elements left to a later notice (GDPR Art. 33(4)), each with the reason given.
    public var deferred: [String: String]

    public init(text: String, language: String, elements: [String], deferred: [String: String] = [:]) {
        self.text = text
        self.language = language
        self.elements = elements
        self.deferred = deferred
    }

    /// SHA-256 of the text's UTF-8 bytes, as lower-case hex: the ledger's content digest.
    public var digest: String { Self.digest(of: text) }

    public static func digest(of text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension NoticePlan {
    /// The details a completion of `task` records when it sends this notice: its text, digest,
    /// language and elements. Refused while the case file lacks an element the first notice
    /// must hold, while one the law lets follow is not yet known and no reason is given for
    /// leaving it to later, or when a digest given is not the text's.
    public func sending(
        _ details: WorkflowCommand.NotificationDetails,
        task: String,
        in file: NoticeCase
    ) -> Result<WorkflowCommand.NotificationDetails, WorkflowRefusal> {
        guard let text = details.text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(.noticeTextRequired(task: task))
        }
        if NoticeWriter.placeholderMarks.contains(where: text.contains) {
            return .failure(.noticeTextUnfinished(task: task))
        }
        let language = details.language ?? NoticeLanguage.english
        guard templates[language] != nil else {
            return .failure(.unknownNoticeLanguage(language, available: languages))
        }
        let checks = check(file, language: language)
        let missing = checks.filter { $0.status == .missing }.map(\.element.id)
        guard missing.isEmpty else { return .failure(.noticeIncomplete(task: task, missing: missing)) }
        let deferrable = checks.filter { $0.status == .deferrable }.map(\.element.id)
        var deferred: [String: String] = [:]
        for (element, reason) in (details.deferred ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard deferrable.contains(element) else {
                let why =
                    self.element(element) == nil
                    ? "is not an element of the notice"
                    : "is known or must be in the first notice, so it cannot be left to later"
                return .failure(.invalidDeferral(element: element, reason: why))
            }
            let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { return .failure(.deferralReasonRequired(task: task, elements: [element])) }
            deferred[element] = trimmed
        }
        let unexplained = deferrable.filter { deferred[$0] == nil }
        guard unexplained.isEmpty else { return .failure(.deferralReasonRequired(task: task, elements: unexplained)) }
        let sent = SentNotice(
            text: text,
            language: language,
            elements: checks.filter { $0.status == .present }.map(\.element.id),
            deferred: deferred
        )
        if let given = details.contentDigest, given.lowercased() != sent.digest {
            return .failure(.noticeDigestMismatch(task: task))
        }
        var details = details
        details.contentDigest = sent.digest
        details.notice = sent
        return .success(details)
    }
}
