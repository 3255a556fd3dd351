import Foundation
import Testing

@testable import IncidentDaemon

/// The hook runner itself, without the dispatcher: what a hook reads, what it may print, how
/// it ends, and that nothing it was given stays open in the daemon.
@Suite(.serialized) struct ExecHookRunnerTests {
    let runner = ExecHookRunner(account: nil)
    /// Long enough that only a hang reaches it: the full suite can starve this process's
    /// threads for a minute (CI once timed `read; echo` out at 30 s), and these tests are not
    /// about the timeout.
    static let patience = Duration.seconds(600)

    /// The payload files this process holds open (the suite runs serially, so none belongs to
    /// a run still going).
    static func openPayloads() -> Int {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.filter { descriptor in
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
            return target?.contains("incidentd-hook-payload") == true
        }.count
    }

    @Test func theHookReadsThePayloadAndTheEnvironmentItIsGiven() async {
        let run = await runner.run(
            argv: ["/bin/sh", "-c", "read line; echo \"$INCIDENTD_EVENT:$line\""],
            environment: ["INCIDENTD_EVENT": "incident.reported", "PATH": "/usr/bin:/bin"],
            input: "{\"kind\":\"x\"}\n",
            timeout: Self.patience
        )
        #expect(run.ending == .exited(0))
        #expect(run.output == "incident.reported:{\"kind\":\"x\"}\n")
    }

    /// swift-subprocess 1.0.2 stopped the daemon when a hook exited before reading a piped
    /// payload; the payload is a file now, so this must simply succeed, many times over.
    @Test func aHookThatNeverReadsItsPayloadEndsCleanly() async {
        let payload = String(repeating: "x", count: 256 * 1024)
        for _ in 0..<20 {
            let run = await runner.run(argv: ["/bin/true"], environment: [:], input: payload, timeout: Self.patience)
            #expect(run.ending == .exited(0))
        }
        #expect(Self.openPayloads() == 0, "a payload file stayed open")
    }

    @Test func outputIsKeptUpToTheLimitAndTheHookIsNotBlockedByTheRest() async {
        let run = await runner.run(
            argv: ["/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a; echo done >&2"],
            environment: ["PATH": "/usr/bin:/bin"],
            input: "",
            timeout: Self.patience
        )
        #expect(run.ending == .exited(0))
        #expect(run.output.utf8.count == ExecHookRunner.outputLimit)
    }

    @Test func aTimeoutKillsTheHookAndWhatItStarted() async {
        let started = ContinuousClock.now
        let run = await runner.run(
            argv: ["/bin/sh", "-c", "sleep 60 & sleep 60"],
            environment: ["PATH": "/usr/bin:/bin"],
            input: "",
            timeout: .milliseconds(300)
        )
        #expect(run.ending == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(30), "the background sleep did not hold the run open")
    }

    @Test func aProgramThatCannotStartIsSaidSoAndLeavesNothingOpen() async {
        for _ in 0..<10 {
            let run = await runner.run(argv: ["/no/such/hook"], environment: [:], input: "{}", timeout: .seconds(5))
            guard case .couldNotStart = run.ending else {
                Issue.record("a missing program ended as \(run.ending)")
                return
            }
        }
        #expect(Self.openPayloads() == 0, "a payload file stayed open")
    }
}
