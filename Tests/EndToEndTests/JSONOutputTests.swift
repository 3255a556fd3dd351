import Foundation
import Glibc
import IncidentProtocol
import TestSupport
import Testing
import Varlink

/// Every `--json` output is the reply of the Varlink method the command calls, and validates
/// against that method's documented output (docs/json.md, docs/interfaces/).
@Suite struct JSONOutputTests {
    static func validate(_ json: String, method name: String) throws {
        let call = VarlinkCall(method: name)
        let interface = try #require(IncidentInterfaces.all.first { $0.name == call.interface })
        let method = try #require(interface.method(named: call.methodName))
        let value = try VarlinkJSON.decoder().decode(JSONValue.self, from: Data(json.utf8))
        guard case .object(let members) = value else {
            Issue.record("\(name): not a JSON object: \(json)")
            return
        }
        #expect(throws: Never.self, "\(name): \(json)") { try interface.validate(reply: members, for: method) }
    }

    @Test func everyJSONOutputMatchesItsMethodsDocumentedReply() async throws {
        let directory = try TemporaryDirectory(prefix: "ijson")
        defer { directory.remove() }
        let config = directory.appending("incidentd.yaml")
        let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
        try
            "roles:\n  users:\n    \(user): [admin, manager, investigator, auditor]\nprofile: {email: privacy@example.com}\n"
            .write(
                toFile: config,
                atomically: true,
                encoding: .utf8
            )
        try await withDaemon(arguments: ["--config", config]) { daemon, _ in
            let watch = try await BackgroundCommand(
                Binaries.incidentctl,
                ["watch", "--json", "--socket", daemon.socketPath]
            )
            defer { watch.stop() }
            try await Task.sleep(for: .milliseconds(500))

            func json(_ arguments: [String], _ method: String) async throws -> String {
                let result = try await daemon.ctl(arguments + ["--json"])
                #expect(result.status == 0, "\(arguments): \(result)")
                try Self.validate(result.stdout, method: method)
                return result.stdout
            }
            let filed = try await json(
                [
                    "report", "--title", "Schema check", "--description", "d", "--people", "3", "--jurisdiction", "DE",
                    "--dedup-key", "k",
                ],
                Methods.Incidents.report.name
            )
            let reference = try #require(filed.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
            _ = try await json(
                ["report", "--title", "Schema check", "--description", "again", "--dedup-key", "k"],
                Methods.Incidents.report.name
            )
            _ = try await json(["list"], Methods.Incidents.list.name)
            _ = try await json(["list", "--overdue", "--sort", "severity"], Methods.Incidents.list.name)
            _ = try await json(["show", reference], Methods.Incidents.get.name)
            _ = try await json(["status"], Methods.Incidents.status.name)
            _ = try await json(["stats", "--since", "2000-01-01"], Methods.Incidents.stats.name)
            // Before the assignment, which would complete it (doneWhen: assigned).
            _ = try await json(["task", "done", reference, "acknowledge"], Methods.Incidents.completeTask.name)
            _ = try await json(["assign", reference, user], Methods.Incidents.assign.name)
            _ = try await json(["note", reference, "called the partner"], Methods.Incidents.note.name)
            _ = try await json(["timeline", reference], Methods.Incidents.timeline.name)
            _ = try await json(["playbook", "list"], Methods.Playbooks.list.name)
            _ = try await json(["playbook", "show", "customer-data-breach"], Methods.Playbooks.get.name)
            _ = try await json(["hooks"], Methods.Hooks.deliveries.name)
            _ = try await json(["audit", "query", "--limit", "5"], Methods.Audit.query.name)
            _ = try await json(["audit", "verify"], Methods.Audit.verify.name)
            _ = try await json(
                ["update", reference, "--set", "likelyConsequences=phishing"],
                Methods.Incidents.update.name
            )
            _ = try await json(["notice", "check", reference, "gdpr-authority"], Methods.Notices.check.name)
            _ = try await json(["notice", "draft", reference, "gdpr-authority"], Methods.Notices.draft.name)

            // watch --json: one Event per line.
            #expect(await watch.waitFor { stdout, _ in stdout.contains("note.added") }, "\(watch.stdout)")
            let incidents = try #require(IncidentInterfaces.all.first { $0.name == "io.incidentd.Incidents" })
            for line in watch.stdout.split(separator: "\n") {
                let value = try VarlinkJSON.decoder().decode(JSONValue.self, from: Data(line.utf8))
                #expect(throws: Never.self, "\(line)") { try incidents.validate(value, asType: "Event") }
            }
        }
    }
}
