import Foundation
import Glibc
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
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 4) == 0)
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
