import Foundation
import IncidentProtocol
import TestSupport
import Testing

/// An independent Varlink client (Python's `varlink` package) can introspect and call incidentd.
@Suite struct PythonVarlinkTests {
    func python(_ arguments: [String]) async throws -> CommandResult {
        try await runCommand("/usr/bin/env", ["python3"] + arguments)
    }

    @Test func pythonClientIntrospectsAndCalls() async throws {
        try await withDaemon { daemon, _ in
            let address = "unix:\(daemon.socketPath)"
            let info = try await python(["-m", "varlink.cli", "info", address])
            #expect(info.status == 0, "\(info)")
            #expect(info.stdout.contains("io.incidentd.Incidents"))

            // Its own IDL parser must accept every interface description we serve.
            for interface in ["org.varlink.service", "io.incidentd", "io.incidentd.Incidents"] {
                let help = try await python(["-m", "varlink.cli", "help", "\(address)/\(interface)"])
                #expect(help.status == 0, "\(interface): \(help)")
            }

            let script = """
                import json, sys, varlink
                with varlink.Client(address=sys.argv[1]) as client, client.open('io.incidentd.Incidents') as incidents:
                    filed = incidents.Report(title='From Python', description='independent client',
                                             dataCategories=['contact'], jurisdictions=['FR'])
                    ref = filed['incident']['reference']
                    got = incidents.Get(reference=ref)
                    status = incidents.Status()
                    try:
                        incidents.Get(reference='INC-2026-999999')
                        missing = None
                    except varlink.VarlinkError as error:
                        missing = error.error()
                    print(json.dumps({'ref': ref, 'title': got['incident']['title'], 'open': status['open'],
                                      'missing': missing}))
                """
            let result = try await python(["-c", script, address])
            #expect(result.status == 0, "\(result)")
            let output = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            )
            #expect((output["ref"] as? String)?.hasPrefix("INC-") == true)
            #expect(output["title"] as? String == "From Python")
            #expect(output["open"] as? Int == 1)
            #expect(output["missing"] as? String == WireError.Name.noSuchIncident.rawValue)
        }
    }
}
