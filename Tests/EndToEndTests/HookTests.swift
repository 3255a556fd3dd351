import Foundation
import Glibc
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// Hooks never lose an event: real processes, a live database, daemons killed mid-delivery.
@Suite struct HookTests {
    /// A scratch directory holding hook scripts and what they record, and a config using them.
    struct Setup {
        let directory: TemporaryDirectory
        let config: String

        init(hooks: String, extra: String = "", pollMilliseconds: Int = 50) throws {
            directory = try TemporaryDirectory(prefix: "ihook")
            config = directory.appending("incidentd.yaml")
            let text = """
                hookRetryBaseMilliseconds: 50
                hookPollIntervalMilliseconds: \(pollMilliseconds)
                hookLeaseMarginMilliseconds: 500
                schedulerIntervalMilliseconds: 100
                hookUser: root
                \(extra)
                hooks:
                \(hooks.replacingOccurrences(of: "$DIR", with: directory.path))
                """
            try text.write(toFile: config, atomically: true, encoding: .utf8)
        }

        /// A hook that writes a line to `delivered` for each report's delivery, and fails while
        /// the file `receiver-down` exists (a receiver that is down).
        static func receiver(extra: String = "") throws -> Setup {
            let setup = try Setup(
                hooks: """
                      - name: receiver
                        exec: [$DIR/receive.sh]
                        events: [incident.reported]
                        maxAttempts: 100
                    """,
                extra: extra
            )
            try setup.script("receive.sh", "[ -e $DIR/receiver-down ] && exit 1\necho delivered >> $DIR/delivered")
            return setup
        }

        func script(_ name: String, _ body: String) throws {
            let path = directory.appending(name)
            try ("#!/bin/sh\n" + body.replacingOccurrences(of: "$DIR", with: directory.path))
                .write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
        }

        func lines(_ name: String) -> [String] {
            ((try? String(contentsOfFile: directory.appending(name), encoding: .utf8)) ?? "")
                .split(separator: "\n").map(String.init)
        }
    }

    /// Alive and not a zombie waiting for whoever inherited it to reap it.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    func deliveries(
        _ database: TestDatabase,
        _ condition: String = "true"
    ) throws -> [(state: String, attempts: Int, error: String?)] {
        let connection = try database.connect()
        defer { connection.close() }
        return try connection.query(
            PostgresQuery(unsafeSQL: "SELECT state, attempts, last_error FROM hook_deliveries WHERE \(condition)")
        ).map {
            (
                try $0.decode(String.self, "state"), try $0.decode(Int.self, "attempts"),
                try $0.decode(String?.self, "last_error")
            )
        }
    }

    func waitFor(_ seconds: Double = 30, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try condition()
    }

    @Test func aHookThatFailsTwiceRunsThreeTimesWithOneDeliveryID() async throws {
        let setup = try Setup(
            hooks: """
                  - name: flaky
                    exec: [$DIR/flaky.sh]
                    events: [incident.reported]
                    maxAttempts: 5
                """
        )
        defer { setup.directory.remove() }
        try setup.script(
            "flaky.sh",
            """
            payload=$(cat)
            echo "$INCIDENTD_DELIVERY_ID $INCIDENTD_ATTEMPT $INCIDENTD_EVENT $INCIDENTD_INCIDENT" >> $DIR/runs
            echo "$payload" > $DIR/payload.json
            [ "$INCIDENTD_ATTEMPT" -ge 3 ]
            """
        )
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            #expect(
                try await daemon.ctl(["report", "--title", "Flaky hook", "--description", "secret details"]).status == 0
            )
            #expect(try await waitFor(90) { try deliveries(database).first?.state == "delivered" }, "\(daemon.log)")
            let runs = setup.lines("runs")
            #expect(runs.count == 3, "\(runs)")
            #expect(Set(runs.map { $0.split(separator: " ")[0] }).count == 1, "the same delivery id every time")
            #expect(runs.map { String($0.split(separator: " ")[1]) } == ["1", "2", "3"])
            #expect(runs.allSatisfy { $0.contains("incident.reported INC-") })
            let payload = try String(contentsOfFile: setup.directory.appending("payload.json"), encoding: .utf8)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
            #expect(object["schema"] as? Int == 1, "\(payload)")
            #expect(object["event"] as? String == "incident.reported")
            #expect((object["incident"] as? [String: Any])?["title"] as? String == "Flaky hook")
            #expect(!payload.contains("secret details"), "no personal data unless configured")
            #expect(try deliveries(database).first?.attempts == 3)
            let listed = try await daemon.ctl(["hooks", "--state", "delivered"])
            #expect(listed.stdout.contains("flaky") && listed.stdout.contains("3/5"), "\(listed)")
        }
    }

    @Test func aHangingHookIsKilledWithItsChildrenAndRetriedThenDead() async throws {
        let setup = try Setup(
            hooks: """
                  - name: hang
                    exec: [$DIR/hang.sh]
                    events: [incident.reported]
                    timeoutSeconds: 1
                    maxAttempts: 2
                """
        )
        defer { setup.directory.remove() }
        try setup.script(
            "hang.sh",
            """
            sleep 300 &
            echo $! >> $DIR/children
            sleep 300
            """
        )
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            #expect(try await daemon.ctl(["report", "--title", "Hang", "--description", "d"]).status == 0)
            #expect(try await waitFor(90) { try deliveries(database).first?.state == "dead" }, "\(daemon.log)")
            let delivery = try #require(try deliveries(database).first)
            #expect(delivery.attempts == 2)
            #expect(delivery.error?.contains("timed out") == true)
            let children = setup.lines("children").compactMap { Int32($0) }
            #expect(children.count == 2)
            try await Task.sleep(for: .milliseconds(200))
            for child in children { #expect(!Self.isAlive(child), "child \(child) of a killed hook survived") }
            // An operator requeues it by the short id the list shows, as git takes a short hash.
            let id = try #require(
                try await daemon.ctl(["hooks", "--state", "dead", "--json"]).stdout
                    .split(separator: "\"").first { $0.count == 36 && $0.filter { $0 == "-" }.count == 4 }
                    .map { $0.lowercased() }
            )
            let listed = try await daemon.ctl(["hooks", "--state", "dead"])
            #expect(listed.stdout.contains(String(id.prefix(8)) + "  hang"), "\(listed)")
            #expect(!listed.stdout.contains(String(id)), "the list shows the short id")
            let unknown = try await daemon.ctl(["hooks", "retry", id.first == "0" ? "1111" : "0000"])
            #expect(unknown.status == 3 && unknown.stderr.contains("No dead delivery's id starts with"), "\(unknown)")
            let junk = try await daemon.ctl(["hooks", "retry", "zz"])
            #expect(junk.status == 2, "\(junk)")
            let requeued = try await daemon.ctl(["hooks", "retry", String(id.prefix(8))])
            #expect(requeued.status == 0 && requeued.stdout.contains("Requeued \(id)"), "\(requeued)")
            // It runs again, with a fresh set of attempts (it hangs again, so it ends at 4).
            #expect(
                try await waitFor(90) { (try deliveries(database).first?.attempts ?? 0) >= 3 },
                "\(daemon.log.suffix(2000))"
            )
        }
    }

    @Test func aDeliveryInterruptedBySIGKILLCompletesAfterRestart() async throws {
        let setup = try Setup(
            hooks: """
                  - name: slow
                    exec: [$DIR/slow.sh]
                    events: [incident.reported]
                    timeoutSeconds: 20
                """
        )
        defer { setup.directory.remove() }
        try setup.script(
            "slow.sh",
            """
            echo "start $INCIDENTD_DELIVERY_ID $INCIDENTD_ATTEMPT" >> $DIR/log
            # Hold the delivery open while the test says so, however slow the machine is.
            for i in $(seq 1 900); do [ -f $DIR/hold ] || break; sleep 0.1; done
            echo "done $INCIDENTD_DELIVERY_ID $INCIDENTD_ATTEMPT" >> $DIR/log
            """
        )
        FileManager.default.createFile(atPath: setup.directory.appending("hold"), contents: nil)
        try await withTestDatabase { database in
            let first = try await DaemonProcess(database: database, arguments: ["--config", setup.config])
            defer { first.cleanUp() }
            try await first.waitUntilReady()
            #expect(try await first.ctl(["report", "--title", "Killed mid-hook", "--description", "d"]).status == 0)
            // Watched and killed from a thread of its own: a test starved of the shared pool on a
            // loaded machine must not let the attempt time out first.
            let pid = first.pid
            let started = try await onThread { () -> Bool in
                for _ in 0..<1200 {
                    if setup.lines("log").contains(where: { $0.hasPrefix("start") }) {
                        kill(pid, SIGKILL)
                        return true
                    }
                    usleep(25_000)
                }
                return false
            }
            #expect(started, "the hook started")
            _ = await first.stop()
            // Running when it was killed, or waiting to retry if a starved test let the attempt
            // time out first; never delivered, since the hook was still held.
            let state = try deliveries(database).first?.state
            #expect(state == "running" || state == "pending", "acknowledged but not yet delivered: \(state ?? "none")")
            // On a loaded machine the first attempt may already have timed out and a second
            // begun before the kill: count what the dead daemon started.
            let startedBefore = setup.lines("log").filter { $0.hasPrefix("start") }.count
            // From here a run completes at once, so the new daemon's attempt cannot time out
            // however long this test process is kept off the CPU.
            try FileManager.default.removeItem(atPath: setup.directory.appending("hold"))

            let second = try await DaemonProcess(database: database, arguments: ["--config", setup.config])
            defer { second.cleanUp() }
            try await second.waitUntilReady()
            // Once the dead daemon's lease expires, the new one runs the delivery again.
            #expect(try await waitFor(90) { try deliveries(database).first?.state == "delivered" }, "\(second.log)")
            let starts = setup.lines("log").filter { $0.hasPrefix("start") }
            #expect(starts.count == startedBefore + 1, "\(setup.lines("log"))")
            #expect(Set(starts.map { $0.split(separator: " ")[1] }).count == 1, "one delivery id across the crash")
        }
    }

    @Test(.timeLimit(.minutes(8)))
    func twoDaemonsDeliverEachOf500EventsExactlyOnce() async throws {
        let setup = try Setup(
            hooks: """
                  - name: count
                    exec: [$DIR/count.sh]
                    events: [incident.reported]
                """,
            extra: "hookConcurrency: 8"
        )
        defer { setup.directory.remove() }
        try setup.script("count.sh", "echo \"$INCIDENTD_DELIVERY_ID\" >> $DIR/seen\n")
        try await withTestDatabase { database in
            let first = try await DaemonProcess(database: database, arguments: ["--config", setup.config])
            defer { first.cleanUp() }
            let second = try await DaemonProcess(database: database, arguments: ["--config", setup.config])
            defer { second.cleanUp() }
            try await first.waitUntilReady()
            try await second.waitUntilReady()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<4 {
                    let socket = client.isMultiple(of: 2) ? first.socketPath : second.socketPath
                    group.addTask {
                        let errors = try await onThread {
                            let connection = try VarlinkClient(path: socket)
                            var errors = 0
                            for index in 0..<125 {
                                let reply = try connection.call(
                                    VarlinkCall(
                                        method: Methods.Incidents.report.name,
                                        parameters: [
                                            "title": .string("event \(client)-\(index)"), "description": .string("d"),
                                        ]
                                    )
                                )
                                if reply.error != nil { errors += 1 }
                            }
                            return errors
                        }
                        #expect(errors == 0)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await waitFor(120) { try deliveries(database, "state = 'delivered'").count == 500 })
            let seen = setup.lines("seen")
            #expect(seen.count == 500, "every delivery ran exactly once")
            #expect(Set(seen).count == 500)
        }
    }

    @Test func anOverdueTaskFiresOnceWithTwoDaemonsAndARestart() async throws {
        let setup = try Setup(
            hooks: """
                  - name: pager
                    exec: [$DIR/page.sh]
                    events: [task.overdue]
                """
        )
        defer { setup.directory.remove() }
        try setup.script("page.sh", "cat > /dev/null; echo \"$INCIDENTD_INCIDENT $INCIDENTD_EVENT\" >> $DIR/pages\n")
        let playbooks = setup.directory.appending("playbooks")
        try FileManager.default.createDirectory(atPath: playbooks, withIntermediateDirectories: true)
        try """
        playbook: quick
        version: "1"
        title: Quick
        default: true
        hooks: [pager]
        phases:
          report:
            tasks:
              - {id: triage, title: Triage, role: investigator, due: 1m after aware}
        escalations:
          - {on: overdue, task: triage, hook: pager}
        """.write(toFile: playbooks + "/quick.yaml", atomically: true, encoding: .utf8)
        try await withTestDatabase { database in
            let arguments = ["--config", setup.config, "--playbooks-dir", playbooks]
            let first = try await DaemonProcess(database: database, arguments: arguments)
            defer { first.cleanUp() }
            let second = try await DaemonProcess(database: database, arguments: arguments)
            defer { second.cleanUp() }
            try await first.waitUntilReady()
            try await second.waitUntilReady()
            let aware = Date().addingTimeInterval(-3600).formatted(Date.ISO8601FormatStyle())
            #expect(
                try await first.ctl(["report", "--title", "Late", "--description", "d", "--aware", aware]).status == 0
            )
            #expect(await waitFor(20) { !setup.lines("pages").isEmpty }, "\(first.log)")
            _ = await second.stop()
            let third = try await DaemonProcess(database: database, arguments: arguments)
            defer { third.cleanUp() }
            try await third.waitUntilReady()
            try await Task.sleep(for: .milliseconds(1500))  // several scheduler rounds on both daemons
            let pages = setup.lines("pages")
            // The configured hook and the playbook's escalation name the same hook: one page.
            #expect(pages.count == 1, "\(pages)")
            #expect(pages.first?.hasSuffix("task.overdue") == true)
            let timeline = try await first.ctl([
                "timeline", "INC-\(Calendar(identifier: .gregorian).component(.year, from: Date()))-000001",
            ])
            #expect(timeline.stdout.components(separatedBy: "task.overdue").count - 1 == 1, "\(timeline)")
        }
    }

    /// Both hooks fire for every report; one hangs until released. The other is served all the
    /// while: the hanging one holds its share of the slots, not the dispatcher.
    @Test(.timeLimit(.minutes(8)))
    func aHangingHookDoesNotStarveTheOtherHooks() async throws {
        let setup = try Setup(
            hooks: """
                  - name: stuck
                    exec: [$DIR/stuck.sh]
                    events: [incident.reported]
                    timeoutSeconds: 3600
                  - name: quick
                    exec: [$DIR/quick.sh]
                    events: [incident.reported]
                """,
            extra: "hookConcurrency: 2"
        )
        defer { setup.directory.remove() }
        try setup.script(
            "stuck.sh",
            """
            echo "$INCIDENTD_INCIDENT" >> $DIR/stuck
            until [ -f $DIR/release ]; do sleep 0.1; done
            """
        )
        try setup.script("quick.sh", "echo \"$INCIDENTD_INCIDENT\" >> $DIR/quick\n")
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            for index in 1...6 {
                let filed = try await daemon.ctl(["report", "--title", "Report \(index)", "--description", "d"])
                #expect(filed.status == 0)
            }
            let served = await waitFor(60) { setup.lines("quick").count == 6 }
            #expect(served, "quick ran \(setup.lines("quick").count) of 6 times")
            // The stuck hook holds one of the two slots: its first delivery, and no more. It hangs
            // until released, longer than any loaded machine takes to get here: a timeout would
            // retry it and run it twice.
            #expect(setup.lines("stuck").count == 1)
            #expect(try deliveries(database, "hook = 'stuck' AND state = 'pending'").count == 5)
            FileManager.default.createFile(atPath: setup.directory.appending("release"), contents: nil)
            #expect(
                try await waitFor(90) { try deliveries(database, "state = 'delivered'").count == 12 },
                "\(daemon.log.suffix(2000))"
            )
        }
    }

    /// Thousands of deliveries waiting behind hooks that hang: filing and reading go on at their
    /// usual speed, the backlog stays in PostgreSQL rather than in the daemon's memory, and it
    /// drains once the hook answers again.
    @Test(.timeLimit(.minutes(8)))
    func aFullHookQueueDoesNotSlowTheSocketAndDrainsAfterwards() async throws {
        let backlog = 3000
        let setup = try Setup(
            hooks: """
                  - name: stuck
                    exec: [$DIR/stuck.sh]
                    events: [incident.reported]
                    timeoutSeconds: 120
                """,
            extra: "hookConcurrency: 4"
        )
        defer { setup.directory.remove() }
        try setup.script("stuck.sh", "cat > /dev/null\n")  // answers at once, for now
        try await withDaemon(arguments: ["--config", setup.config]) { daemon, database in
            let socket = daemon.socketPath
            // 50 reports, each followed by a Get of it, timed: the latency of filing and reading.
            func fileAndRead(_ label: String) async throws -> (reports: [Double], reads: [Double]) {
                try await onThread {
                    let client = try VarlinkClient(path: socket)
                    func timed(_ call: VarlinkCall) throws -> (Double, VarlinkReply) {
                        let start = ContinuousClock.now
                        let reply = try client.call(call)
                        let error = reply.error
                        #expect(error == nil)
                        let elapsed = ContinuousClock.now - start
                        return (
                            Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15,
                            reply
                        )
                    }
                    var reports: [Double] = []
                    var reads: [Double] = []
                    for index in 0..<50 {
                        let (filing, reply) = try timed(
                            VarlinkCall(
                                method: Methods.Incidents.report.name,
                                parameters: ["title": .string("\(label) \(index)"), "description": .string("d")]
                            )
                        )
                        reports.append(filing)
                        let reference = reply.parameters["incident"]?.objectValue?["reference"] ?? .null
                        reads.append(
                            try timed(
                                VarlinkCall(method: Methods.Incidents.get.name, parameters: ["reference": reference])
                            ).0
                        )
                    }
                    return (reports.sorted(), reads.sorted())
                }
            }
            let before = try await fileAndRead("Before the backlog")
            #expect(try await waitFor(30) { try deliveries(database, "state = 'delivered'").count == 50 })
            // The hook hangs from now on, and 3,000 deliveries wait behind it.
            try setup.script(
                "stuck.sh",
                """
                for i in $(seq 1 1200); do [ -f $DIR/release ] && exit 0; sleep 0.1; done
                exit 1
                """
            )
            let connection = try database.connect()
            defer { connection.close() }
            _ = try connection.execute(
                """
                INSERT INTO hook_deliveries (hook, event, payload, max_attempts, created_at, next_attempt_at)
                SELECT 'stuck', 'incident.updated', '{"schema": 1}', 3, now() - interval '1 hour', now() - interval '1 hour'
                FROM generate_series(1, \(backlog))
                """
            )
            // Every slot is taken by a hanging delivery.
            #expect(try await waitFor(30) { try deliveries(database, "state = 'running'").count == 4 })
            let during = try await fileAndRead("During the backlog")
            func ms(_ value: Double) -> String { String(format: "%.1f", value) }
            let rss =
                (try? String(contentsOfFile: "/proc/\(daemon.pid)/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
                .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            let waiting = try deliveries(database, "state = 'pending'").count
            print(
                "full hook queue: \(waiting) deliveries waiting behind 4 hanging ones; Report p50 \(ms(during.reports[25])) ms "
                    + "(before: \(ms(before.reports[25]))), p99 \(ms(during.reports[49])) ms; Get p50 \(ms(during.reads[25])) ms "
                    + "(before: \(ms(before.reads[25]))), p99 \(ms(during.reads[49])) ms; daemon RSS \(rss / 1024) MiB"
            )
            #expect(waiting == backlog + 50 - 4, "every report queued its delivery behind the backlog")
            // Not held up: a blocked dispatcher would cost seconds; a loaded host costs a few times.
            #expect(
                during.reports[25] < max(5 * before.reports[25], before.reports[25] + 100),
                "filing is not held up by the hooks"
            )
            #expect(
                during.reads[25] < max(5 * before.reads[25], before.reads[25] + 100),
                "reading is not held up by the hooks"
            )
            #expect(rss > 0 && rss < 128 * 1024, "the backlog is not held in memory")
            FileManager.default.createFile(atPath: setup.directory.appending("release"), contents: nil)
            let total = backlog + 100
            let drained = try await waitFor(150) { try deliveries(database, "state = 'delivered'").count == total }
            let delivered = try deliveries(database, "state = 'delivered'").count
            #expect(drained, "\(delivered) of \(total) delivered")
            #expect(try deliveries(database, "state = 'dead'").isEmpty)
        }
    }
}
