import Foundation
import Testing

@testable import IncidentCore

/// The chain recomputed outside the database, from records and seals built here.
@Suite struct AuditChainVerifierTests {
    static let key = AuditSigningKey.generate()

    static func record(_ seq: Int64, detail: String = "") -> AuditChain.Record {
        AuditChain.Record(
            seq: seq,
            atMicroseconds: 1_800_000_000_000_000 + seq,
            uid: 1000,
            userName: "mia",
            pid: 7,
            action: "Get",
            incidentReference: seq % 2 == 0 ? "INC-2026-000001" : nil,
            outcome: "ok",
            detail: detail
        )
    }

    /// A consistent chain of `count` records: each seal the hash that follows the previous one.
    static func chain(_ records: [AuditChain.Record]) -> [AuditChainVerifier.Link] {
        var running = AuditChain.genesis
        return records.enumerated().map { index, record in
            running = AuditChain.link(running, record)
            return .init(position: Int64(index + 1), seq: record.seq, sealHash: running, record: record)
        }
    }

    static func checkpoint(
        _ links: [AuditChainVerifier.Link],
        at position: Int64,
        key: AuditSigningKey = key
    ) throws -> AuditCheckpoint {
        try key.sign(
            position: position,
            hash: links[Int(position) - 1].sealHash,
            at: Date(timeIntervalSince1970: 1_800_000_000)
        )
    }

    func verify(_ links: [AuditChainVerifier.Link], _ checkpoints: [AuditCheckpoint]) -> AuditChainVerifier {
        var verifier = AuditChainVerifier(checkpoints: checkpoints, key: Self.key)
        for link in links { verifier.consume(link) }
        _ = verifier.finish()
        return verifier
    }

    @Test func anIntactChainMatchesItsSealsAndCheckpoints() throws {
        let links = Self.chain((1...10).map { Self.record($0) })
        let verifier = verify(links, [try Self.checkpoint(links, at: 4), try Self.checkpoint(links, at: 10)])
        #expect(verifier.broken == nil)
        #expect(verifier.verified == 10 && verifier.checkpointsVerified == 2 && verifier.lastValidCheckpoint == 10)
    }

    @Test func aConsistentRewriteNamesTheFirstRecordAfterTheLastValidCheckpoint() throws {
        let original = Self.chain((1...10).map { Self.record($0) })
        let checkpoints = [try Self.checkpoint(original, at: 4), try Self.checkpoint(original, at: 8)]
        var records = (1...10).map { Self.record($0) }
        records[5].detail = "nothing happened here"  // seq 6, resealed consistently after it
        let verifier = verify(Self.chain(records), checkpoints)
        let broken = try #require(verifier.broken)
        #expect(broken.chainPosition == 5 && broken.seq == 5, "\(broken)")
        #expect(broken.reason.contains("rewritten"))
    }

    @Test func aChangedRecordThatWasNotResealedIsNamedItselfEvenUnderACheckpoint() throws {
        var links = Self.chain((1...6).map { Self.record($0) })
        let checkpoints = [try Self.checkpoint(links, at: 3)]
        links[2].record?.outcome = "denied"  // seq 3, its seal left as it was
        let broken = try #require(verify(links, checkpoints).broken)
        #expect(broken.seq == 3 && broken.reason.contains("does not match its seal"), "\(broken)")
    }

    @Test func aCheckpointNotSignedByTheKeyBreaksTheChain() throws {
        let links = Self.chain((1...5).map { Self.record($0) })
        var forged = try Self.checkpoint(links, at: 5)
        forged.hash = String(repeating: "0", count: 64)
        #expect(verify(links, [forged]).broken?.reason.contains("not signed") == true)
        let other = try Self.checkpoint(links, at: 5, key: .generate())
        #expect(verify(links, [other]).broken?.reason.contains("not signed") == true)
    }

    @Test func aCheckpointPastTheEndMeansTheTailWasCutOff() throws {
        let links = Self.chain((1...10).map { Self.record($0) })
        let verifier = verify(Array(links.prefix(6)), [try Self.checkpoint(links, at: 9)])
        #expect(verifier.broken?.reason.contains("were removed") == true)
        #expect(verifier.broken?.chainPosition == 7)
    }

    @Test func aSealedRecordThatIsGoneIsNamed() throws {
        var links = Self.chain((1...5).map { Self.record($0) })
        links[2].record = nil
        #expect(verify(links, []).broken?.seq == 3)
        #expect(verify(links, []).broken?.reason.contains("sealed but is gone") == true)
    }

    @Test func theCanonicalEncodingIsPostgresJSONText() {
        let record = AuditChain.Record(
            seq: 42,
            atMicroseconds: 1_764_578_096_123_456,
            uid: 0,
            userName: "ro\"ot\\",
            pid: -1,
            action: "Get",
            incidentReference: nil,
            outcome: "ok",
            detail: "tab\tnew\nline \u{01} 中文"
        )
        #expect(
            String(decoding: AuditChain.canonical(record), as: UTF8.self)
                == #"[42, "2025-12-01T08:34:56.123456Z", 0, "ro\"ot\\", -1, "Get", null, "ok", "tab\tnew\nline \u0001 中文"]"#
        )
    }
}
