import Foundation
import IncidentCore
import IncidentProtocol
import TestSupport
import Testing
import Varlink

/// No slow leak: 8 clients file reports, each on a connection of its own as incidentctl does,
/// for `SOAK_SECONDS` (`make test`: 180; `make soak`: 1800), while the daemon's resident memory and
/// open descriptors are sampled every `SOAK_SAMPLE_SECONDS` (10). After the warm-up (the first
/// 30 s) the memory's trend grows it less than 5 MiB over the run, and the descriptors,
/// counted when no call is in flight, end where they began.
@Suite struct SoakTests {
    static var seconds: Int { ProcessInfo.processInfo.environment["SOAK_SECONDS"].flatMap(Int.init) ?? 180 }
    static var sampleSeconds: Int {
        ProcessInfo.processInfo.environment["SOAK_SAMPLE_SECONDS"].flatMap(Int.init) ?? 10
    }
    /// Each client's pause between reports (`SOAK_PAUSE_MS`, 50): a steady load, not a
    /// benchmark, so that the suites running beside it in CI keep their pace.
    static var pauseMicroseconds: UInt32 {
        UInt32(ProcessInfo.processInfo.environment["SOAK_PAUSE_MS"].flatMap(Int.init) ?? 50) * 1000
    }

    struct Sample {
        var at: Double
        var rssKiB: Int
        var descriptors: Int
        var reports: Int
    }

    static func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func descriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    @Test func eightClientsForAWhileLeakNeitherMemoryNorDescriptors() async throws {
        try await withDaemon { daemon, _ in
            let load = Load()
            let duration = Double(Self.seconds)
            let started = Date()
            let taken = Samples()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Each client on a thread of its own: their calls block, and must not starve
                // the task that samples.
                for client in 0..<8 {
                    group.addTask {
                        try await offThePool {
                            var number = 0
                            while Date().timeIntervalSince(started) < duration {
                                guard load.enter() else {
                                    usleep(5000)
                                    continue
                                }
                                defer { load.leave() }
                                number += 1
                                let connection = try VarlinkClient(path: daemon.socketPath)
                                defer { connection.close() }
                                var report = IncidentsWire.ReportParameters(
                                    draft: ReportDraft(title: "Soak \(client) \(number)", description: "soak")
                                )
                                report.idempotencyKey = "soak-\(client)-\(number)"
                                _ = try connection.call(Methods.Incidents.report, report)
                                load.count()
                                usleep(Self.pauseMicroseconds)
                            }
                        }
                    }
                }
                group.addTask {
                    while Date().timeIntervalSince(started) < duration {
                        try await Task.sleep(for: .seconds(Self.sampleSeconds))
                        // Counted with no call in flight, so that the connections of the
                        // moment are not taken for a leak.
                        load.pause()
                        while load.inFlight > 0 { try await Task.sleep(for: .milliseconds(5)) }
                        try await Task.sleep(for: .milliseconds(200))
                        taken.append(
                            Sample(
                                at: Date().timeIntervalSince(started),
                                rssKiB: Self.residentKiB(daemon.pid),
                                descriptors: Self.descriptors(daemon.pid),
                                reports: load.reports
                            )
                        )
                        load.resume()
                    }
                }
                try await group.waitForAll()
            }
            let samples = taken.all
            for sample in samples {
                print(
                    "soak: \(Int(sample.at)) s  rss \(String(format: "%.1f", Double(sample.rssKiB) / 1024)) MiB  "
                        + "fds \(sample.descriptors)  reports \(sample.reports)"
                )
            }
            let settled = samples.filter { $0.at >= 30 }
            try #require(settled.count >= 2, "enough samples after the warm-up: \(samples.count)")
            // Growth is the trend over the run (least squares, MiB per hour, times the hours
            // sampled), not a passing peak: the heap rises and falls by a few MiB as it works.
            let times = settled.map { $0.at / 3600 }
            let sizes = settled.map { Double($0.rssKiB) / 1024 }
            let meanTime = times.reduce(0, +) / Double(times.count)
            let meanSize = sizes.reduce(0, +) / Double(sizes.count)
            var covariance = 0.0
            var variance = 0.0
            for (time, size) in zip(times, sizes) {
                covariance += (time - meanTime) * (size - meanSize)
                variance += (time - meanTime) * (time - meanTime)
            }
            let slope = covariance / max(variance, .ulpOfOne)
            let growth = slope * (times.last! - times.first!)
            let peak = sizes.max()! - sizes.first!
            // A descriptor open at one sample and closed by the next is the work of the moment;
            // a leak stays: the count at the end is the count after the warm-up.
            let descriptors = settled.map(\.descriptors)
            print(
                "soak: \(load.reports) reports in \(Self.seconds) s; after the warm-up the RSS trend is "
                    + "\(String(format: "%.1f", slope)) MiB/h (\(String(format: "%.2f", growth)) MiB over the run, "
                    + "peak \(String(format: "%.2f", peak)) MiB above the first sample), descriptors "
                    + "\(Set(descriptors).sorted()) (first \(descriptors.first!), last \(descriptors.last!))"
            )
            #expect(growth < 5, "the RSS grew \(growth) MiB over the run (\(slope) MiB/h)")
            #expect(descriptors.last == descriptors.first, "descriptors: \(descriptors)")
            #expect(load.reports > 100, "the clients filed: \(load.reports)")
        }
    }
}

/// The samples, taken by one task and read after the run.
final class Samples: @unchecked Sendable {
    private let lock = NSLock()
    private var taken: [SoakTests.Sample] = []
    func append(_ sample: SoakTests.Sample) { lock.withLock { taken.append(sample) } }
    var all: [SoakTests.Sample] { lock.withLock { taken } }
}

/// The clients' reports in flight, paused while a sample is taken.
final class Load: @unchecked Sendable {
    private let lock = NSLock()
    private var paused = false
    private var active = 0
    private var filed = 0

    /// Starts a call unless sampling is under way.
    func enter() -> Bool {
        lock.withLock {
            guard !paused else { return false }
            active += 1
            return true
        }
    }

    func leave() { lock.withLock { active -= 1 } }
    func count() { lock.withLock { filed += 1 } }
    func pause() { lock.withLock { paused = true } }
    func resume() { lock.withLock { paused = false } }
    var inFlight: Int { lock.withLock { active } }
    var reports: Int { lock.withLock { filed } }
}
