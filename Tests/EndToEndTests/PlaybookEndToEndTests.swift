import Foundation
import TestSupport
import Testing

/// Playbooks driving real incidents, through incidentctl alone.
@Suite struct PlaybookEndToEndTests {
    static var userName: String { String(cString: getpwuid(getuid()).pointee.pw_name) }

    /// A daemon where the current user is manager and investigator (and idt-inv an investigator).
    func withWorkflowDaemon(_ body: (DaemonProcess) async throws -> Void) async throws {
        let config = "/tmp/incidentd-roles-\(UUID().uuidString).yaml"
        try """
        roles:
          users:
            \(Self.userName): [manager, investigator, auditor]
            idt-inv: [investigator]
        profile:
          legalName: Example Shop GmbH
          contact: "Data Protection Officer: Jana Richter"
          email: privacy@example.com
        """.write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in try await body(daemon) }
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    func tasks(_ result: CommandResult) throws -> [String: [String: Any]] {
        let tasks = try #require(try json(result)["tasks"] as? [[String: Any]], "\(result)")
        return Dictionary(uniqueKeysWithValues: tasks.map { ($0["id"] as! String, $0) })
    }

    func ok(_ result: CommandResult, _ what: String) {
        #expect(result.status == 0, "\(what): \(result)")
    }

    /// What sends `task`'s notice as drafted: its likely consequences given first, and every
    /// element the law lets follow that is not yet known left to a later notice, with a reason.
    func sendingTheDraft(_ daemon: DaemonProcess, _ ref: String, _ task: String) async throws -> [String] {
        ok(
            try await daemon.ctl(["update", ref, "--set", "likelyConsequences=phishing of the customers"]),
            "consequences"
        )
        let check = try json(try await daemon.ctl(["notice", "check", ref, task, "--json"]))
        let elements = try #require(check["elements"] as? [[String: Any]], "\(check)")
        return ["--as-drafted"]
            + elements.filter { $0["status"] as? String == "deferrable" }.flatMap {
                ["--defer", "\($0["id"] as? String ?? "")=not known yet"]
            }
    }

    /// `task done --set` types each value by its field, from the case file, before sending: a
    /// value of the wrong type is refused by incidentctl, says the form it takes, and sends
    /// nothing; the right ones arrive typed.
    @Test func taskDoneTypesEachCaptureAndRefusesAWrongOneBeforeSending() async throws {
        try await withWorkflowDaemon { daemon in
            let filed = try json(
                try await daemon.ctl(["report", "--title", "Invoices misdirected", "--description", "d", "--json"])
            )
            let ref = try #require((filed["incident"] as? [String: Any])?["reference"] as? String)
            let triage = [
                "task", "done", ref, "triage", "--set", "severity=high", "--set", "dataCategories=contact,financial",
                "--set", "jurisdictions=DE", "--set", "secRegistrant=no", "--set", "doraFinancialEntity=no",
                "--set", "ftcFinancialInstitution=no",
            ]
            let wrong = try await daemon.ctl(triage + ["--set", "nis2Entity=maybe"])
            #expect(wrong.status == 2, "a usage error: \(wrong)")
            #expect(
                wrong.stderr.contains("--set nis2Entity=maybe is not a value of nis2Entity: give true or false."),
                "\(wrong)"
            )
            let unchanged = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            #expect(unchanged["triage"]?["status"] as? String == "open", "nothing was sent")
            let done = try await daemon.ctl(triage + ["--set", "nis2Entity=no", "--json"])
            ok(done, "typed triage")
            let file = try json(done)
            #expect((file["incident"] as? [String: Any])?["severity"] as? String == "high")
            #expect((file["incident"] as? [String: Any])?["dataCategories"] as? [String] == ["contact", "financial"])
            #expect((file["fieldTypes"] as? [String: String])?["peopleAffectedIn"] == "counts")
        }
    }

    @Test func anEUBreachOf1200GoesFromReportToClosed() async throws {
        try await withWorkflowDaemon { daemon in
            let aware = "2026-11-02T08:00:00Z"
            let filed = try json(
                try await daemon.ctl([
                    "report", "--title", "Customer list sent to the wrong partner", "--description",
                    "CSV of names and e-mails",
                    "--data", "contact", "--people", "1200", "--jurisdiction", "DE", "--aware", aware, "--json",
                ])
            )
            let ref = try #require((filed["incident"] as? [String: Any])?["reference"] as? String)
            #expect((filed["incident"] as? [String: Any])?["playbook"] as? String == "customer-data-breach")

            // Advancing too early is refused, naming what is missing.
            let early = try await daemon.ctl(["advance", ref])
            #expect(early.status == 1)
            #expect(early.stderr.contains("acknowledge") && early.stderr.contains("triage"), "\(early)")

            ok(try await daemon.ctl(["task", "done", ref, "acknowledge"]), "acknowledge")
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "triage", "--set", "severity=high", "--set", "dataCategories=contact",
                    "--set", "jurisdictions=DE", "--set", "nis2Entity=false", "--set", "secRegistrant=false", "--set",
                    "doraFinancialEntity=false", "--set", "ftcFinancialInstitution=false",
                ]),
                "triage"
            )
            ok(try await daemon.ctl(["advance", ref]), "advance to investigate")
            ok(
                try await daemon.ctl(["task", "done", ref, "contain", "--set", "containment=partner deleted the file"]),
                "contain"
            )
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "scope", "--set", "peopleAffectedIn=DE:1200", "--set", "peopleAffected=1200",
                    "--set", "recordsAffected=1200",
                ]),
                "scope"
            )
            let noReason = try await daemon.ctl([
                "task", "done", ref, "assess-notifiability", "--set", "notifiable=true", "--set", "highRisk=false",
            ])
            #expect(noReason.status == 2, "a decision needs its reason: \(noReason)")
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "assess-notifiability", "--set", "notifiable=true", "--set", "highRisk=false",
                    "--reason", "contact data of 1,200 customers; no special categories",
                ]),
                "assess"
            )
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "root-cause", "--set", "rootCause=e-mail autocomplete",
                    "--set", "prevention=recipient check",
                ]),
                "root cause"
            )
            let gate = try await daemon.ctl(["advance", ref])
            #expect(gate.status == 1 && gate.stderr.contains("approval"), "\(gate)")
            ok(try await daemon.ctl(["approve", ref]), "approve")
            ok(try await daemon.ctl(["advance", ref]), "advance to notify")

            let notify = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            let authority = try #require(notify["gdpr-authority"])
            #expect(authority["status"] as? String == "open")
            #expect(authority["due"] as? String == "2026-11-05T08:00:00Z", "exactly 72 h after the awareness instant")
            #expect(notify["gdpr-data-subjects"]?["status"] as? String == "not_applicable")
            #expect(notify["hipaa-hhs"]?["status"] as? String == "not_applicable")

            // The awareness instant lies in the past: the 72 h are over, so the late notification needs its reason.
            let notice = try await sendingTheDraft(daemon, ref, "gdpr-authority")
            let late = try await daemon.ctl(
                [
                    "task", "done", ref, "gdpr-authority", "--recipient", "BfDI", "--channel", "portal",
                    "--set", "regulatorReference=BfDI-2026-1",
                ] + notice
            )
            if late.status != 0 {
                #expect(late.stderr.contains("reason"), "\(late)")
                ok(
                    try await daemon.ctl(
                        [
                            "task", "done", ref, "gdpr-authority", "--recipient", "BfDI", "--channel", "portal",
                            "--set", "regulatorReference=BfDI-2026-1", "--reason", "scope known only on day 4",
                        ] + notice
                    ),
                    "authority"
                )
            }
            // What the first notice left to later follows in the supplementary notice, owed
            // until everything is given.
            let supplement = try #require(
                tasks(try await daemon.ctl(["show", ref, "--json"]))["gdpr-authority-supplement"]
            )
            #expect(supplement["status"] as? String == "open", "\(supplement)")
            let tooEarly = try await daemon.ctl(["close", ref, "--resolution", "r", "--lessons", "l"])
            #expect(tooEarly.status == 1 && tooEarly.stderr.contains("gdpr-authority-supplement"), "\(tooEarly)")
            ok(
                try await daemon.ctl([
                    "update", ref, "--set", "subjectCategories=customers", "--set", "prevention=a second check",
                    "--set", "containment=partner deleted the file", "--records", "1300",
                ]),
                "what was deferred"
            )
            let checked = try await daemon.ctl(["notice", "check", ref, "gdpr-authority-supplement"])
            #expect(checked.status == 0, "every element is there: \(checked)")
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "gdpr-authority-supplement", "--recipient", "BfDI", "--channel", "portal",
                    "--as-drafted",
                ]),
                "supplement"
            )
            let supplementary = try await daemon.ctl(["notice", "show", ref, "gdpr-authority-supplement"])
            #expect(supplementary.stdout.hasPrefix("Supplementary notification"), "\(supplementary)")
            ok(
                try await daemon.ctl(["task", "skip", ref, "customers", "--reason", "no risk to them"]),
                "skip customers"
            )
            let show = try await daemon.ctl(["show", ref])
            #expect(show.stdout.contains("made  authority — BfDI by portal"), "\(show.stdout)")
            let noLessons = try await daemon.ctl(["close", ref, "--resolution", "contained", "--lessons", " "])
            #expect(noLessons.status == 2, "\(noLessons)")
            ok(
                try await daemon.ctl([
                    "close", ref, "--resolution", "partner deleted the file",
                    "--lessons", "check recipients before sending customer lists",
                ]),
                "close"
            )
            let closed = try json(try await daemon.ctl(["show", ref, "--json"]))
            #expect((closed["incident"] as? [String: Any])?["phase"] as? String == "closed")
            let timeline = try await daemon.ctl(["timeline", ref])
            for kind in [
                "incident.reported", "phase.entered", "task.completed", "decision.recorded", "gate.approved",
                "notification.recorded", "incident.closed",
            ] {
                #expect(timeline.stdout.contains(kind), "timeline lacks \(kind)")
            }
        }
    }

    /// An EU, Chinese and US breach at a NIS2 entity: every legal clock shows in `status` from
    /// the report on (PIPL owed, GDPR and NIS2 possibly owed until the decisions settle them),
    /// the authority is notified during investigate, and a law-enforcement pause moves only the
    /// regimes that allow it (the US state laws), while GDPR, NIS2 and PIPL keep running.
    @Test func legalClocksShowFromTheReportOnAndANotificationCanBeMadeDuringInvestigation() async throws {
        try await withWorkflowDaemon { daemon in
            let ref = try #require(
                (try json(
                    try await daemon.ctl([
                        "report", "--title", "Customer database copied", "--description", "names and phone numbers",
                        "--data", "contact",
                        "--data", "identity", "--people", "5000", "--jurisdiction", "DE", "--jurisdiction", "CN",
                        "--jurisdiction", "US", "--json",
                    ])
                )["incident"] as? [String: Any])?["reference"] as? String
            )
            let atReport = try json(try await daemon.ctl(["status", "--json"]))
            let clocks = try #require(atReport["owedNotifications"] as? [[String: Any]], "\(atReport)")
            func clock(_ id: String, in clocks: [[String: Any]]) -> [String: Any]? {
                clocks.first { $0["reference"] as? String == ref && $0["task"] as? String == id }
            }
            #expect(
                clock("pipl-notify", in: clocks)?["settledBy"] == nil && clock("pipl-notify", in: clocks) != nil,
                "PIPL owed: \(clocks)"
            )
            #expect(clock("gdpr-authority", in: clocks)?["settledBy"] as? [String] == ["notifiable"], "\(clocks)")
            #expect(
                clock("nis2-early-warning", in: clocks)?["settledBy"] as? [String] == [
                    "nis2Entity", "significantIncident",
                ],
                "\(clocks)"
            )
            let screen = try await daemon.ctl(["status"])
            #expect(
                screen.stdout.contains("Legal clocks running")
                    && screen.stdout.contains("possibly owed, needs notifiable"),
                "\(screen.stdout)"
            )

            ok(try await daemon.ctl(["task", "done", ref, "acknowledge"]), "acknowledge")
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "triage", "--set", "severity=high", "--set", "dataCategories=contact,identity",
                    "--set", "jurisdictions=DE,CN,US", "--set", "nis2Entity=true", "--set", "secRegistrant=false",
                    "--set", "doraFinancialEntity=false", "--set", "ftcFinancialInstitution=false",
                ]),
                "triage"
            )
            ok(try await daemon.ctl(["advance", ref]), "advance to investigate")
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "nis2-significance", "--set", "significantIncident=true",
                    "--reason", "the customer service was down for a day",
                ]),
                "significance"
            )
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "assess-notifiability", "--set", "notifiable=true", "--set", "highRisk=false",
                    "--reason", "contact data of 5,000 customers",
                ]),
                "assess"
            )
            // Phased notification (GDPR Art. 33(4)): the authority is told now, in investigate.
            let notice = try await sendingTheDraft(daemon, ref, "gdpr-authority")
            ok(
                try await daemon.ctl(
                    [
                        "task", "done", ref, "gdpr-authority", "--recipient", "BfDI", "--channel", "portal",
                        "--set", "regulatorReference=BfDI-2026-7", "--reason", "filed on the day of the assessment",
                    ] + notice
                ),
                "notify"
            )
            let file = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            #expect(file["gdpr-authority"]?["status"] as? String == "done")
            #expect(file["nis2-early-warning"]?["status"] as? String == "open", "decided: a NIS2 entity")
            #expect(
                (try json(try await daemon.ctl(["show", ref, "--json"]))["incident"] as? [String: Any])?["phase"]
                    as? String
                    == "investigate"
            )

            // A count given as an estimate settles the thresholds it meets, and says it is one.
            ok(try await daemon.ctl(["update", ref, "--people", "5000", "--estimate"]), "estimate")
            #expect(
                try json(try await daemon.ctl(["show", ref, "--json"]))["estimated"] as? [String] == ["peopleAffected"]
            )
            #expect(try await daemon.ctl(["show", ref]).stdout.contains("Estimates, not yet figures: peopleAffected"))

            // A law-enforcement request: only the US state laws allow the delay.
            let before = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            let refused = try await daemon.ctl([
                "pause", ref, "--basis", "law-enforcement-written", "--regime", "gdpr",
                "--until", "2099-01-01", "--reason", "FBI letter, ref 77/26",
            ])
            #expect(
                refused.status == 1 && refused.stderr.contains("gdpr allows no delay of its clocks: they keep running"),
                "\(refused.stderr)"
            )
            let until = Date().addingTimeInterval(20 * 86_400)
            let pause = try await daemon.ctl([
                "pause", ref, "--basis", "law-enforcement-written", "--until",
                until.formatted(.iso8601), "--reason", "FBI letter, ref 77/26",
            ])
            ok(pause, "pause")
            #expect(pause.stdout.contains("us-states paused until"), "\(pause.stdout)")
            // GDPR still owes the supplementary notice of what the first one deferred; it, NIS2,
            // PIPL and China's measures allow no such delay.
            #expect(
                pause.stdout.contains(
                    "No such delay under gdpr, nis2, pipl, cn-incident-reporting: their clocks keep running."
                ),
                "\(pause.stdout)"
            )
            let paused = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            #expect(paused["us-state-residents"]?["paused"] as? Bool == true)
            let movedBy = try #require(paused["us-state-residents"]?["due"] as? String).flatMap {
                try? Date($0, strategy: .iso8601)
            }
            .map {
                $0.timeIntervalSince(try! Date(before["us-state-residents"]!["due"] as! String, strategy: .iso8601))
            }
            #expect(abs((movedBy ?? 0) - until.timeIntervalSinceNow) < 120, "moved by the pause: \(movedBy ?? 0)")
            for id in ["nis2-early-warning", "pipl-notify", "cn-first-report"] {
                #expect(
                    paused[id]?["paused"] == nil && paused[id]?["due"] as? String == before[id]?["due"] as? String,
                    "\(id)"
                )
            }
            // The clocks of the regimes that allow no delay still show as overdue or due soon; the paused one does not.
            let status = try json(try await daemon.ctl(["status", "--json"]))
            let running = try #require(status["owedNotifications"] as? [[String: Any]])
            #expect(clock("us-state-residents", in: running)?["paused"] as? Bool == true, "\(running)")
            #expect(clock("pipl-notify", in: running)?["paused"] == nil, "\(running)")
            let soon = ((status["dueSoon"] as? [[String: Any]]) ?? []) + ((status["overdue"] as? [[String: Any]]) ?? [])
            #expect(
                !soon.contains { $0["reference"] as? String == ref && $0["task"] as? String == "us-state-residents" },
                "\(soon)"
            )
            #expect(
                soon.contains { $0["reference"] as? String == ref && $0["task"] as? String == "pipl-notify" },
                "\(soon)"
            )
            let shown = try await daemon.ctl(["show", ref])
            #expect(
                shown.stdout.contains("Clock pauses") && shown.stdout.contains("us-states — law-enforcement-written"),
                "\(shown.stdout)"
            )
            ok(try await daemon.ctl(["resume", ref, "--reason", "the FBI lifted the delay"]), "resume")
            let resumed = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            #expect(resumed["us-state-residents"]?["paused"] == nil)
        }
    }

    /// The textbook HIPAA case, under the lost-device playbook: a laptop with patient records
    /// shows the HIPAA and state clocks from the report on; once the disk is found encrypted
    /// with the key safe, the PHI was secured and the people's notices no longer apply.
    @Test func aLostLaptopWithPatientDataRunsTheHIPAAClocksUntilItIsFoundEncrypted() async throws {
        try await withWorkflowDaemon { daemon in
            let ref = try #require(
                (try json(
                    try await daemon.ctl([
                        "report", "--title", "Laptop stolen from a clinician's car", "--description",
                        "patient lists on the disk",
                        "--category", "lost_or_stolen_device", "--data", "health", "--data", "identity", "--people",
                        "900",
                        "--jurisdiction", "US-CA", "--json",
                    ])
                )["incident"] as? [String: Any])?["reference"] as? String
            )
            let file = try json(try await daemon.ctl(["show", ref, "--json"]))
            #expect((file["incident"] as? [String: Any])?["playbook"] as? String == "lost-or-stolen-device")
            var all = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            #expect(
                all["hipaa-assessment"]?["status"] as? String == "open",
                "US health data: the four-factor assessment is owed"
            )
            #expect(all["hipaa-individuals"]?["status"] as? String == "possibly_owed")
            #expect(all["us-state-residents"]?["status"] as? String == "open", "\(all["us-state-residents"] ?? [:])")
            #expect(
                all["ca-attorney-general"]?["status"] as? String == "open",
                "900 Californians, all in the only jurisdiction"
            )
            #expect(all["gdpr-authority"]?["status"] as? String == "not_applicable")
            ok(try await daemon.ctl(["task", "done", ref, "acknowledge"]), "acknowledge")
            ok(try await daemon.ctl(["task", "done", ref, "remote-wipe", "--set", "deviceWiped=false"]), "wipe")
            ok(try await daemon.ctl(["advance", ref]), "advance")
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "encryption-check", "--set", "encrypted=true",
                    "--reason", "MDM shows FileVault on; the key was escrowed, not on the device",
                ]),
                "encryption"
            )
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "hipaa-assessment", "--set", "hipaaCoveredEntity=true",
                    "--set", "hipaaBusinessAssociate=false", "--set", "hipaaLowProbability=false",
                    "--reason", "a stolen device; the finder could have had the PHI but for encryption",
                ]),
                "hipaa"
            )
            all = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            for id in ["hipaa-individuals", "hipaa-hhs", "hipaa-media"] {
                #expect(all[id]?["status"] as? String == "not_applicable", "encrypted PHI is secured: \(id)")
            }
            #expect(
                all["us-state-residents"]?["status"] as? String == "not_applicable",
                "state laws cover unencrypted data"
            )
        }
    }

    @Test func aUSOnlyBreachOf300GetsTheStateTasksOnlyOnceOneStateReaches600() async throws {
        try await withWorkflowDaemon { daemon in
            let ref = try #require(
                (try json(
                    try await daemon.ctl([
                        "report", "--title", "Patient portal exposed", "--description", "lab results", "--data",
                        "health",
                        "--people", "300", "--jurisdiction", "US", "--json",
                    ])
                )["incident"] as? [String: Any])?["reference"] as? String
            )
            ok(try await daemon.ctl(["advance", ref, "--force", "straight to notification for this test"]), "force")
            ok(try await daemon.ctl(["advance", ref, "--force", "straight to notification for this test"]), "force")
            var all = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            for id in ["gdpr-authority", "gdpr-data-subjects"] {
                #expect(all[id]?["status"] as? String == "not_applicable", "\(id)")
            }
            // 300 in all but no count for the US or a state: HHS and the media may be owed until one is given.
            for id in ["hipaa-hhs", "hipaa-media"] {
                #expect(all[id]?["status"] as? String == "possibly_owed", "\(id)")
            }
            // Whether HIPAA applies at all is the four-factor assessment's to say: possibly owed until then.
            #expect(all["hipaa-individuals"]?["status"] as? String == "possibly_owed")
            ok(
                try await daemon.ctl([
                    "task", "done", ref, "hipaa-assessment", "--set", "hipaaCoveredEntity=true", "--set",
                    "hipaaBusinessAssociate=false",
                    "--set", "hipaaLowProbability=false", "--reason", "results were viewed by other patients",
                ]),
                "hipaa"
            )
            all = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            #expect(all["hipaa-individuals"]?["status"] as? String == "open")
            ok(try await daemon.ctl(["update", ref, "--people-in", "US-CA=600", "--people", "600"]), "update")
            all = try tasks(try await daemon.ctl(["show", ref, "--json"]))
            #expect(all["hipaa-hhs"]?["status"] as? String == "open")
            #expect(all["hipaa-media"]?["status"] as? String == "open")
            #expect(all["gdpr-authority"]?["status"] as? String == "not_applicable")
        }
    }

    @Test(.enabled(if: getuid() == 0, "runs incidentctl as another user; CI runs as root"))
    func anInvestigatorMayNotApproveTheGate() async throws {
        try AccessControlTests.accounts.get()
        let config = "/tmp/incidentd-roles-\(UUID().uuidString).yaml"
        try "roles:\n  users:\n    root: [manager]\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        try await withDaemon(arguments: ["--config", config, "--socket-group", AccessControlTests.clients]) {
            daemon,
            _ in
            let ref = try #require(
                (try json(try await daemon.ctl(["report", "--title", "t", "--description", "d", "--json"]))["incident"]
                    as? [String: Any])?["reference"] as? String
            )
            ok(try await daemon.ctl(["advance", ref, "--force", "to the gate"]), "force")
            let refused = try await daemon.ctl(["approve", ref], asUser: "idt-inv")
            #expect(refused.status == 4, "\(refused)")
            ok(try await daemon.ctl(["approve", ref]), "a manager approves")
        }
    }

    @Test func playbookValidateWorksOfflineAndNamesEachProblem() async throws {
        let directory = try TemporaryDirectory(prefix: "ipbv")
        defer { directory.remove() }
        let bad = directory.appending("bad.yaml")
        try """
        playbook: bad
        version: "1"
        title: Bad
        default: true
        phases:
          report:
            tasks:
              - {id: a, title: A, role: intern, due: 3 weeks after aware}
        """.write(toFile: bad, atomically: true, encoding: .utf8)
        let result = try await runCommand(Binaries.incidentctl, ["playbook", "validate", bad])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(bad):8:"), "\(result)")
        #expect(result.stdout.contains("unknown role 'intern'"))
        let shipped = PlaybookLoaderPaths.shipped
        let good = try await runCommand(Binaries.incidentctl, ["playbook", "validate"] + shipped)
        #expect(good.status == 0, "\(good)")
        #expect(good.stdout.contains("4 playbooks valid"))
        let shippedDirectory = (shipped[0] as NSString).deletingLastPathComponent
        let whole = try await runCommand(Binaries.incidentctl, ["playbook", "validate", shippedDirectory])
        #expect(
            whole.status == 0 && whole.stdout.contains("4 playbooks valid"),
            "a directory stands for its playbooks: \(whole)"
        )
    }
}

enum PlaybookLoaderPaths {
    static var shipped: [String] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks")
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
            .filter { $0.hasSuffix(".yaml") }.map { directory.appendingPathComponent($0).path }
    }
}

/// The status screen managers look at.
@Suite struct StatusScreenTests {
    @Test func statusShowsOverdueDueSoonAndTheCallersTasks() async throws {
        let user = PlaybookEndToEndTests.userName
        let config = "/tmp/incidentd-status-\(UUID().uuidString).yaml"
        try "roles:\n  users:\n    \(user): [manager, investigator]\n".write(
            toFile: config,
            atomically: true,
            encoding: .utf8
        )
        defer { try? FileManager.default.removeItem(atPath: config) }
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in
            let aware = Date().addingTimeInterval(-3 * 86_400).formatted(Date.ISO8601FormatStyle())
            let filed = try await daemon.ctl([
                "report", "--title", "Old breach", "--description", "d", "--aware", aware,
                "--jurisdiction", "DE", "--json",
            ])
            let ref = try #require(filed.stdout.split(separator: "\"").first { $0.hasPrefix("INC-") }.map(String.init))
            let fresh = try await daemon.ctl(["status"])
            #expect(fresh.stdout.contains("Due in the next 24 h (2)"), "\(fresh.stdout)")
            // GDPR's 72 hours ran out already: the clock shows, though notifiable is not decided yet.
            #expect(
                fresh.stdout.contains("Overdue") && fresh.stdout.contains("\(ref)  gdpr-authority"),
                "\(fresh.stdout)"
            )
            #expect(try await daemon.ctl(["assign", ref, user]).status == 0)
            #expect(try await daemon.ctl(["advance", ref, "--force", "test"]).status == 0)
            let later = try await daemon.ctl(["status"])
            #expect(later.stdout.contains("Overdue"), "\(later.stdout)")
            #expect(later.stdout.contains("\(ref)  contain"), "\(later.stdout)")
            #expect(later.stdout.contains("Your tasks"), "\(later.stdout)")
            #expect(later.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 }, "fits 100 columns")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(try await daemon.ctl(["status", "--json"]).stdout.utf8))
                    as? [String: Any]
            )
            #expect((json["overdue"] as? [Any])?.isEmpty == false)
        }
    }
}

/// An incident keeps the playbook version it started with, across a reload and a restart.
@Suite struct PlaybookPinningTests {
    @Test(.enabled(if: getuid() == 0, "reloading playbooks is an admin's operation; root is admin"))
    func incidentsKeepTheirVersionAcrossReloadAndRestart() async throws {
        let directory = try TemporaryDirectory(prefix: "ipin")
        defer { directory.remove() }
        let file = directory.appending("pin.yaml")
        func write(version: String, title: String) throws {
            try """
            playbook: pin
            version: "\(version)"
            title: Pin
            default: true
            phases:
              report:
                tasks:
                  - {id: first, title: \(title), role: investigator}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try write(version: "1", title: "Old task")
        try await withTestDatabase { database in
            var daemon = try await DaemonProcess(database: database, arguments: ["--playbooks-dir", directory.path])
            try await daemon.waitUntilReady()
            func taskTitle(_ ref: String) async throws -> String? {
                let shown = try await daemon.ctl(["show", ref, "--json"])
                let object = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
                return ((object?["tasks"] as? [[String: Any]])?.first)?["title"] as? String
            }
            func report() async throws -> String {
                let filed = try await daemon.ctl(["report", "--title", "t", "--description", "d", "--json"])
                return try #require(filed.stdout.split(separator: "\"").first { $0.hasPrefix("INC-") }.map(String.init))
            }
            let old = try await report()
            try write(version: "2", title: "New task")
            #expect(try await daemon.ctl(["playbook", "reload"]).status == 0)
            let new = try await report()
            #expect(try await taskTitle(old) == "Old task")
            #expect(try await taskTitle(new) == "New task")

            // A broken file is refused and the running set kept.
            try "playbook: [".write(toFile: file, atomically: true, encoding: .utf8)
            let refused = try await daemon.ctl(["playbook", "reload"])
            #expect(refused.status == 1 && refused.stderr.contains("pin.yaml"), "\(refused)")
            #expect(try await daemon.ctl(["playbook", "list"]).stdout.contains("pin"))

            // After a restart with yet another version, both keep theirs.
            try write(version: "3", title: "Newest task")
            daemon.cleanUp()
            daemon = try await DaemonProcess(database: database, arguments: ["--playbooks-dir", directory.path])
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            #expect(try await taskTitle(old) == "Old task")
            #expect(try await taskTitle(new) == "New task")
        }
    }
}
