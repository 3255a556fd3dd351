import Foundation
import IncidentFuzzing
import Testing

/// Every input the fuzzers keep — the seed corpus and each crash ever found (`Fuzz/Regressions`)
/// — runs through the same entry points here, on every test run, without libFuzzer. A crash or
/// a broken property stops this process, which is the failure.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(of target: String) throws -> [URL] {
        try ["Corpus", "Regressions"].flatMap { folder -> [URL] in
            let directory = root.appendingPathComponent(folder).appendingPathComponent(target)
            guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
            return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyKeptInputStillPasses(target: FuzzTarget) throws {
        let inputs = try Self.inputs(of: target.rawValue)
        #expect(inputs.count >= 4, "the seed corpus of \(target.rawValue) is missing")
        for input in inputs {
            let bytes = try Data(contentsOf: input)
            bytes.withUnsafeBytes { target.run($0) }
        }
    }
}
