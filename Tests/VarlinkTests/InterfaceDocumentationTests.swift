import Foundation
import IncidentProtocol
import Testing
import Varlink

/// docs/interfaces/ holds the served interface descriptions — the schema of every reply and of
/// incidentctl's `--json` — and must never drift from the code. After a change to an
/// interface, run with INCIDENTD_RECORD_SNAPSHOTS=1 and commit the new files.
@Suite struct InterfaceDocumentationTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/interfaces").standardizedFileURL

    @Test(arguments: IncidentInterfaces.all.filter { $0.name != VarlinkInterface.service.name })
    func theDocumentedDescriptionIsTheServedOne(interface: VarlinkInterface) throws {
        let file = Self.directory.appendingPathComponent("\(interface.name).varlink")
        if ProcessInfo.processInfo.environment["INCIDENTD_RECORD_SNAPSHOTS"] == "1" {
            try interface.description.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let documented = try String(contentsOf: file, encoding: .utf8)
        #expect(documented == interface.description, "docs/interfaces/\(interface.name).varlink is out of date")
    }
}
