import Foundation
import Glibc
import TestSupport
import Testing

@testable import IncidentCLI

/// A tab press never waits on a daemon that takes the connection and does not answer for
/// longer than the completion deadline (timed here, in-process, away from process start-up).
@Suite struct CompletionTests {
    @Test func aSilentDaemonIsGivenUpOnWithinTheDeadline() throws {
        let directory = NSTemporaryDirectory() + "completion-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/silent.sock"
        let listener = try makeListeningSocket(path: path)
        defer { close(listener) }
        let words = ["incidentctl", "show", "--socket", path, ""]
        let started = ContinuousClock.now
        #expect(Completions.references(words: words, prefix: "").isEmpty)
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .milliseconds(700), "the 200 ms deadline holds: \(elapsed)")
        #expect(elapsed >= .milliseconds(150), "it did wait for an answer: \(elapsed)")
        #expect(
            Completions.tasks(words: ["incidentctl", "task", "done", "INC-2026-000001", ""], index: 4, prefix: "")
                .isEmpty
        )
    }

    @Test func theDeadlineIs200MillisecondsUnlessTheEnvironmentSaysOtherwise() {
        #expect(Completions.deadlineMilliseconds([:]) == 200)
        #expect(Completions.deadlineMilliseconds(["INCIDENTD_COMPLETION_DEADLINE_MS": "1500"]) == 1500)
        #expect(Completions.deadlineMilliseconds(["INCIDENTD_COMPLETION_DEADLINE_MS": "soon"]) == 200)
    }
}
