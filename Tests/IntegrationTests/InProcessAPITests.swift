import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Postgres
import TestSupport
import Testing
import Varlink

@testable import IncidentDaemon

/// The daemon's core in this process, as hummingbird's test helper runs the real service: the
/// parts `incidentd` is built of (store, playbooks, policy, API) on a migrated database, and
/// calls routed through the router it serves, without a socket or the binary. The binary's own
/// tests stay in EndToEndTests.
@Suite struct InProcessAPITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A daemon's parts on `pool`, with its state in `directory`.
    static func parts(on pool: PostgresPool, in directory: TemporaryDirectory) async throws -> Daemon.Parts {
        try await daemon(in: directory).parts(on: pool)
    }

    /// A daemon's parts on a fresh migrated database, and the router they serve, for one test.
    static func withParts(_ body: (Daemon.Parts, VarlinkRouter<Caller>) async throws -> Void) async throws {
        try await withMigratedPool { pool, _ in
            let directory = try TemporaryDirectory(prefix: "api")
            defer { directory.remove() }
            let parts = try await parts(on: pool, in: directory)
            try await body(parts, parts.api.makeRouter())
        }
    }

    /// A daemon configured as `incidentd --config FILE` would be, with `file` as the file's
    /// text, its state in `directory` and the shipped playbooks; not started.
    static func daemon(in directory: TemporaryDirectory, file: String? = nil) throws -> Daemon {
        let state = directory.appending("state")
        try FileManager.default.createDirectory(
            atPath: state,
            withIntermediateDirectories: true,
            attributes: [
                .posixPermissions: 0o700
            ]
        )
        var configuration = Configuration(socketPath: directory.appending("incidentd.sock"), stateDirectory: state)
        configuration.playbooksDirectory = repository.appendingPathComponent("playbooks").path
        if let file {
            let path = directory.appending("incidentd.yaml")
            try file.write(toFile: path, atomically: true, encoding: .utf8)
            configuration = try configuration.applying(file: path)
        }
        return Daemon(configuration: configuration, logger: testLogger)
    }

    /// A manager (who may also read the audit trail through the store, as the test does).
    static let mia = Caller(uid: 4242, gid: 4242, pid: 4242, userName: "mia", groups: ["incidentd-managers"])

    static func call<P, R>(
        _ router: VarlinkRouter<Caller>,
        _ method: Method<P, R>,
        _ parameters: P,
        as caller: Caller = mia
    ) async throws -> Result<R, WireError> {
        let reply = await router.route(try method.call(parameters), context: caller)
        if let name = reply.error { return .failure(WireError(VarlinkError(name: name, parameters: reply.parameters))) }
        return .success(try reply.decode(R.self))
    }

    @Test func aReportIsFiledStartedAndReadThroughTheRouterWithoutTheBinary() async throws {
        try await Self.withParts { parts, router in
            let draft = ReportDraft(
                title: "Laptop with the customer list stolen",
                description: "from a car",
                jurisdictions: []
            )
            let filed = try await Self.call(router, Methods.Incidents.report, .init(draft: draft)).get()
            #expect(filed.created)
            let file = try await Self.call(router, Methods.Incidents.get, .init(reference: filed.incident.reference))
                .get()
            #expect(file.incident.title == draft.title)
            #expect(file.incident.playbook != nil, "the workflow started under a playbook")
            #expect(file.tasks?.isEmpty == false)
            // A note goes through the same handler path, and shows on the timeline.
            _ = try await Self.call(
                router,
                Methods.Incidents.note,
                .init(reference: filed.incident.reference, text: "called")
            ).get()
            let timeline = try await Self.call(
                router,
                Methods.Incidents.timeline,
                .init(reference: filed.incident.reference)
            ).get()
            #expect(timeline.events.map(\.kind).contains(IncidentEvent.Kind.noteAdded.rawValue))
            // Every call was audited, in the daemon's own action names.
            let audit = try await parts.auditStore.query(
                AuditFilter(limit: 1000),
                audit: AuditRecord(caller: Self.mia, action: Methods.Audit.query.auditAction)
            )
            #expect(Set(audit.map(\.action)).isSuperset(of: ["Report", "Get", "Note", "Timeline"]))
        }
    }

    @Test func refusalsComeBackAsTheCataloguesErrorsAndChangeNothing() async throws {
        try await Self.withParts { parts, router in
            let nobody = IncidentReference(year: 2026, number: 999_999)
            let missing = await #expect(throws: WireError.self) {
                try await Self.call(router, Methods.Incidents.get, .init(reference: nobody)).get()
            }
            #expect(missing == .noSuchIncident(reference: nobody.rawValue))
            #expect(missing?.exitStatus == .notFound)
            let empty = await #expect(throws: WireError.self) {
                try await Self.call(
                    router,
                    Methods.Incidents.report,
                    .init(draft: ReportDraft(title: " ", description: "d"))
                ).get()
            }
            guard case .invalidValue(let parameter, _)? = empty else {
                Issue.record("an empty title is an InvalidValue, not \(String(describing: empty))")
                return
            }
            #expect(parameter == "title")
            let listed = try await Self.call(router, Methods.Incidents.list, .init()).get()
            #expect(listed.incidents.isEmpty, "nothing was filed")
        }
    }

    /// "Your tasks" are those of the caller's roles: a manager's own (the acknowledgement),
    /// not the investigator's triage; the assigned investigator's, not the manager's.
    @Test func yourTasksAreTheTasksOfYourRoles() async throws {
        try await Self.withParts { parts, router in
            let draft = ReportDraft(title: "Wrong recipient", description: "d", jurisdictions: [])
            let filed = try await Self.call(router, Methods.Incidents.report, .init(draft: draft)).get()
            let managers = try await Self.call(router, Methods.Incidents.status, .init()).get()
            #expect(managers.myTasks?.map(\.task).contains("acknowledge") == true, "\(managers.myTasks ?? [])")
            #expect(managers.myTasks?.contains { $0.role != .manager } == false, "\(managers.myTasks ?? [])")
            // daemon exists on every system; force, since its groups give it no role there.
            _ = try await Self.call(
                router,
                Methods.Incidents.assign,
                .init(reference: filed.incident.reference, assignee: "daemon", force: true)
            ).get()
            let investigator = Caller(uid: 1, gid: 1, pid: 1, userName: "daemon", groups: ["incidentd-investigators"])
            let theirs = try await Self.call(router, Methods.Incidents.status, .init(), as: investigator).get()
            #expect(theirs.myTasks?.map(\.task).contains("triage") == true, "\(theirs.myTasks ?? [])")
            #expect(theirs.myTasks?.contains { $0.role != .investigator } == false, "\(theirs.myTasks ?? [])")
        }
    }

    @Test func changesCheckTheVersionAndAuditRefusals() async throws {
        try await Self.withParts { parts, router in
            let rita = Caller(uid: 5151, gid: 5151, pid: 5151, userName: "rita")
            let draft = ReportDraft(title: "Wrong recipient", description: "d", jurisdictions: [])
            let filed = try await Self.call(router, Methods.Incidents.report, .init(draft: draft), as: rita).get()
            let reference = filed.incident.reference
            let version = filed.incident.version
            let assign = Methods.Incidents.assign
            let assigned = try await Self.call(
                router,
                assign,
                .init(reference: reference, assignee: "daemon", version: version, force: true)
            ).get()
            // The assignment, and the acknowledgement it completed (doneWhen: assigned).
            #expect(assigned.incident.version == version + 2)
            let stale = await #expect(throws: WireError.self) {
                try await Self.call(
                    router,
                    assign,
                    .init(reference: reference, assignee: "bin", version: version, force: true)
                ).get()
            }
            #expect(stale == .conflict(reference: reference.rawValue, version: version + 2))
            let denied = await #expect(throws: WireError.self) {
                try await Self.call(router, assign, .init(reference: reference, assignee: "rita"), as: rita).get()
            }
            guard case .permissionDenied? = denied else {
                Issue.record("a reporter may not assign: \(String(describing: denied))")
                return
            }
            let nobody = IncidentReference(year: 2026, number: 999_999)
            let missing = await #expect(throws: WireError.self) {
                try await Self.call(router, assign, .init(reference: nobody, assignee: "daemon", force: true)).get()
            }
            #expect(missing == .noSuchIncident(reference: nobody.rawValue))
            let file = try await Self.call(router, Methods.Incidents.get, .init(reference: reference)).get()
            #expect(file.incident.assignee == "daemon", "refused changes changed nothing")
            #expect(file.incident.version == version + 2)
            #expect(file.tasks?.first { $0.id == "acknowledge" }?.status == .done, "assigning acknowledged it")
            #expect(file.tasks?.first { $0.id == "acknowledge" }?.completedBy == "mia")
            let audit = try await parts.auditStore.query(
                AuditFilter(action: "Assign", limit: 100),
                audit: AuditRecord(caller: Self.mia, action: Methods.Audit.query.auditAction)
            )
            #expect(audit.map(\.outcome).sorted() == ["denied", "not-found", "ok", "ok", "refused"], "\(audit)")
            #expect(audit.contains { $0.detail == "completed acknowledge by assigning" }, "\(audit)")
        }
    }

    /// A mistyped audit filter is refused naming the valid values; an empty page would read as
    /// "nobody did that".
    @Test func auditFiltersWithUnknownValuesAreRefused() async throws {
        try await Self.withParts { _, router in
            let auditor = Caller(uid: 4343, gid: 4343, pid: 4343, userName: "ava", groups: ["incidentd-auditors"])
            let draft = ReportDraft(title: "Wrong recipient", description: "d", jurisdictions: [])
            _ = try await Self.call(router, Methods.Incidents.report, .init(draft: draft)).get()
            let query = Methods.Audit.query
            let outcome = await #expect(throws: WireError.self) {
                try await Self.call(router, query, .init(outcome: "denid"), as: auditor).get()
            }
            guard case .invalidValue("outcome", let reason)? = outcome else {
                Issue.record("an unknown outcome is an InvalidValue: \(String(describing: outcome))")
                return
            }
            #expect(reason.contains("denied") && reason.contains("not-found"), "\(reason)")
            let action = await #expect(throws: WireError.self) {
                try await Self.call(router, query, .init(action: "Reprot"), as: auditor).get()
            }
            guard case .invalidValue("action", let hint)? = action else {
                Issue.record("an unknown action is an InvalidValue: \(String(describing: action))")
                return
            }
            #expect(hint.contains("did you mean Report"), "\(hint)")
            let found = try await Self.call(router, query, .init(action: "Report", outcome: "created"), as: auditor)
                .get()
            #expect(found.records.count == 1, "valid values still find the records")
        }
    }

    /// A manager asking for the hook deliveries is told what they are and who may see them,
    /// not that the audit trail is for auditors.
    @Test func aRefusalSaysWhoHoldsTheRoleThatMay() async throws {
        try await Self.withParts { _, router in
            let refused = await #expect(throws: WireError.self) {
                try await Self.call(router, Methods.Hooks.deliveries, .init()).get()
            }
            guard case .permissionDenied(let reason)? = refused else {
                Issue.record("a manager may not read the outbox: \(String(describing: refused))")
                return
            }
            #expect(reason.hasPrefix("only admins and auditors see hook deliveries"), "\(reason)")
            #expect(reason.contains("group incidentd-admin, group incidentd-auditors, user root"), "\(reason)")
            let auditor = Caller(uid: 4343, gid: 4343, pid: 4343, userName: "ava", groups: ["incidentd-auditors"])
            _ = try await Self.call(router, Methods.Hooks.deliveries, .init(), as: auditor).get()
        }
    }

    /// Changes decided on the same version race to be written; the losers decide again on what
    /// the winner wrote, so every one lands once, and none is lost or applied twice.
    @Test func concurrentChangesOfOneIncidentEachLandOnce() async throws {
        try await Self.withParts { parts, router in
            let draft = ReportDraft(title: "Shared drive open", description: "d", jurisdictions: [])
            let filed = try await Self.call(router, Methods.Incidents.report, .init(draft: draft)).get()
            let reference = filed.incident.reference
            let changes = 12
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<changes {
                    group.addTask {
                        _ = try await Self.call(
                            router,
                            Methods.Incidents.assign,
                            .init(
                                reference: reference,
                                assignee: ["root", "daemon", "bin", "sys", "nobody"][index % 5],
                                force: true
                            )
                        ).get()
                    }
                    group.addTask {
                        _ = try await Self.call(
                            router,
                            Methods.Incidents.note,
                            .init(reference: reference, text: "note \(index)")
                        ).get()
                    }
                }
                try await group.waitForAll()
            }
            let file = try await Self.call(router, Methods.Incidents.get, .init(reference: reference)).get()
            // One more: the first assignment to land also completed the acknowledgement, once.
            #expect(file.incident.version == filed.incident.version + 2 * changes + 1)
            let timeline = try await Self.call(router, Methods.Incidents.timeline, .init(reference: reference)).get()
            let kinds = timeline.events.map(\.kind)
            #expect(kinds.filter { $0 == IncidentEvent.Kind.taskCompleted.rawValue }.count == 1, "\(kinds)")
            #expect(kinds.filter { $0 == IncidentEvent.Kind.noteAdded.rawValue }.count == changes)
            #expect(kinds.filter { $0 == IncidentEvent.Kind.incidentAssigned.rawValue }.count == changes)
        }
    }

    /// `CompleteTask` takes each capture as JSON of its field's type, which the case file says;
    /// a value of another type is refused naming the field; the 0.x strings still work.
    @Test func capturesAreTypedByTheirFieldsOnTheWire() async throws {
        try await Self.withParts { parts, router in
            let draft = ReportDraft(title: "Invoices to the wrong customer", description: "d", jurisdictions: [])
            let filed = try await Self.call(router, Methods.Incidents.report, .init(draft: draft)).get()
            let reference = filed.incident.reference
            let file = try await Self.call(router, Methods.Incidents.get, .init(reference: reference)).get()
            let types = try #require(file.fieldTypes)
            #expect(types["nis2Entity"] == .boolean)
            #expect(types["peopleAffectedIn"] == .counts)
            #expect(types["peopleAffected"] == .integer)
            #expect(types["dataCategories"] == .categories)
            #expect(types["containment"] == .text)
            var values: [String: CaptureValue] = [
                "severity": .text("high"), "dataCategories": .list(["contact", "financial"]),
                "jurisdictions": .list(["DE"]), "nis2Entity": .integer(3), "secRegistrant": .boolean(false),
                "doraFinancialEntity": .boolean(false),
            ]
            let complete = Methods.Incidents.completeTask
            let refused = await #expect(throws: WireError.self) {
                try await Self.call(router, complete, .init(reference: reference, task: "triage", values: values)).get()
            }
            #expect(refused == .invalidValue(parameter: "captures.nis2Entity", reason: "must be true or false"))
            let untouched = try await Self.call(router, Methods.Incidents.get, .init(reference: reference)).get()
            #expect(untouched.incident.severity == filed.incident.severity, "the refused capture changed nothing")
            // A 0.x client sends text in captures; the daemon types it, as before. One request
            // may mix both forms, one field in each.
            values["nis2Entity"] = .boolean(false)
            let done = try await Self.call(
                router,
                complete,
                .init(
                    reference: reference,
                    task: "triage",
                    values: values,
                    captures: ["ftcFinancialInstitution": "no"]
                )
            ).get()
            #expect(done.tasks?.first { $0.id == "triage" }?.status == .done)
            #expect(done.incident.severity == .high)
            #expect(done.incident.dataCategories == [.contact, .financial])
            #expect(done.facts?["nis2Entity"] == "no")
            #expect(done.facts?["ftcFinancialInstitution"] == "no")
        }
    }

    /// The dispatcher of a daemon configured from its file, in this process: a report's hook
    /// is queued in the report's transaction and delivered with the payload the hook reads.
    @Test func theDispatcherDeliversAReportsHookInProcess() async throws {
        try await withMigratedPool { pool, _ in
            let directory = try TemporaryDirectory(prefix: "api")
            defer { directory.remove() }
            let script = directory.appending("record.sh")
            try "#!/bin/sh\ncat >> \(directory.appending("payloads"))\necho >> \(directory.appending("payloads"))\n"
                .write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            let daemon = try Self.daemon(
                in: directory,
                file: """
                    hookUser: root
                    hookPollIntervalMilliseconds: 50
                    hooks:
                      - name: record
                        exec: [\(script)]
                        events: [incident.reported]
                    """
            )
            let parts = try await daemon.parts(on: pool)
            let dispatcher = daemon.dispatcher(parts)
            let running = Task { try await dispatcher.run() }
            let draft = ReportDraft(title: "Payroll file on a public share", description: "d", jurisdictions: [])
            let filed = try await Self.call(parts.api.makeRouter(), Methods.Incidents.report, .init(draft: draft))
                .get()
            // Delivered once the dispatcher recorded the attempt, not merely when the hook ran.
            var state: [String] = []
            for _ in 0..<600 where state != ["delivered"] {
                try await Task.sleep(for: .milliseconds(50))
                state = try await pool.withConnection { connection in
                    try connection.query("SELECT state FROM hook_deliveries").map {
                        try $0.decode(String.self, "state")
                    }
                }
            }
            running.cancel()
            _ = await running.result
            let text = (try? String(contentsOfFile: directory.appending("payloads"), encoding: .utf8)) ?? ""
            let line = try #require(text.split(separator: "\n").first, "the hook ran")
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(payload["event"] as? String == IncidentEvent.Kind.incidentReported.rawValue)
            #expect(
                (payload["incident"] as? [String: Any])?["reference"] as? String == filed.incident.reference.rawValue
            )
            #expect(state == ["delivered"])
        }
    }
}
