import Foundation
import IncidentCore
import IncidentStore
import Postgres
import Testing

/// The evidence store: chunks sealed under their file and position, the commit's hash check,
/// damage and swapped chunks found, what a reporter sees, and limits that store nothing.
@Suite struct EvidenceStoreTests {
    let alice = Caller(uid: 1001, gid: 1001, pid: 42, userName: "alice")
    let bob = Caller(uid: 1002, gid: 1002, pid: 43, userName: "bob")
    let cipher = CipherBox(FieldCipher(ring: KeyRing(keys: [.generate(id: "k1")])))

    func principal(_ caller: Caller, _ roles: Set<Role>) -> Principal { Principal(caller: caller, roles: roles) }

    /// Uploads `bytes` in chunks of `chunk` and commits with `sha256` (its own hash when nil).
    func add(
        _ bytes: [UInt8],
        to reference: IncidentReference,
        by caller: Caller,
        roles: Set<Role> = [.investigator],
        store: IncidentStore,
        chunk: Int = 1000,
        sha256: String? = nil,
        limits: EvidenceLimits = EvidenceLimits()
    ) async throws -> Result<EvidenceItem, EvidenceRefusal> {
        let audit = AuditRecord(caller: caller, action: "Evidence")
        let begun = try await store.beginEvidence(
            reference,
            NewEvidence(name: "file.bin", description: "what it shows", kind: .log, size: Int64(bytes.count)),
            by: principal(caller, roles),
            limits: limits,
            audit: audit
        )
        guard case .success(let upload) = begun else { return begun.map { _ in fatalError() } }
        for (position, start) in stride(from: 0, to: bytes.count, by: chunk).enumerated() {
            let piece = Array(bytes[start..<min(start + chunk, bytes.count)])
            let stored = try await store.addEvidenceChunk(
                upload: upload,
                by: caller,
                position: position,
                bytes: piece,
                limits: limits,
                audit: audit
            )
            if case .failure(let refusal) = stored { return .failure(refusal) }
        }
        return try await store.commitEvidence(
            upload: upload,
            by: caller,
            sha256: sha256 ?? ContentHasher.hex(of: bytes),
            limits: limits,
            audit: audit
        )
    }

    func read(
        _ reference: IncidentReference,
        as caller: Caller,
        roles: Set<Role> = [.investigator],
        store: IncidentStore
    ) async throws -> Result<[StoredEvidence], EvidenceRefusal> {
        try await store.evidence(
            reference,
            number: nil,
            access: ReadAccess(principal(caller, roles)),
            audit: AuditRecord(caller: caller, action: "EvidenceList")
        )
    }

    func content(_ file: StoredEvidence, _ store: IncidentStore) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for position in 0..<file.chunks {
            bytes += try await store.evidenceChunk(file, position: position).get()
        }
        return bytes
    }

    @Test func chunksAreSealedAndReadBackAndTheCommitChecksTheHash() async throws {
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool, cipher: cipher)
            let filed = try await store.report(
                try ReportDraft(title: "t", description: "d").validated(now: Date()),
                by: alice
            )
            let bytes = (0..<3500).map { UInt8(truncatingIfNeeded: $0 * 31) }
            let item = try await add(bytes, to: filed.incident.reference, by: alice, store: store).get()
            #expect(item.number == 1 && item.size == 3500 && item.sha256 == ContentHasher.hex(of: bytes))
            let files = try await read(filed.incident.reference, as: alice, store: store).get()
            #expect(files.map(\.chunks) == [4])
            #expect(try await content(files[0], store) == bytes)
            let stored = try await pool.withConnection { connection in
                try connection.query("SELECT key_id, data FROM evidence_chunks ORDER BY position").map {
                    (try $0.decode(String?.self, "key_id"), try $0.decode(PostgresBytes.self, "data").bytes)
                }
            }
            #expect(stored.allSatisfy { $0.0 == "k1" }, "sealed under the current key")
            #expect(stored[0].1.count == 1000 + 28, "nonce and tag beside each chunk")
            #expect(!stored.contains { $0.1.starts(with: bytes.prefix(16)) }, "no plaintext at rest")

            let wrong = try await add(
                bytes,
                to: filed.incident.reference,
                by: alice,
                store: store,
                sha256: String(repeating: "a", count: 64)
            )
            guard case .failure(.digestMismatch) = wrong else {
                Issue.record("a wrong hash was stored: \(wrong)")
                return
            }
            let left = try await pool.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM evidence").first!.decode(Int.self, "n")
            }
            #expect(left == 1, "the refused upload is gone, chunks and all")
        }
    }

    @Test func aSwappedOrChangedChunkDoesNotOpen() async throws {
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool, cipher: cipher)
            let filed = try await store.report(
                try ReportDraft(title: "t", description: "d").validated(now: Date()),
                by: alice
            )
            let bytes = (0..<2000).map { UInt8(truncatingIfNeeded: $0) }
            _ = try await add(bytes, to: filed.incident.reference, by: alice, store: store).get()
            try await pool.transaction { connection in
                try connection.execute(
                    """
                    UPDATE evidence_chunks c SET data = o.data FROM evidence_chunks o
                    WHERE c.evidence_id = o.evidence_id AND c.position + o.position = 1
                    """
                )
            }
            let file = try await read(filed.incident.reference, as: alice, store: store).get()[0]
            guard case .failure(.damaged(1, let reason)) = try await store.evidenceChunk(file, position: 0) else {
                Issue.record("a swapped chunk opened")
                return
            }
            #expect(reason.hasPrefix("chunk 0"), "\(reason)")
            guard case .failure(.damaged) = try await store.verifyEvidence(file) else {
                Issue.record("verify found a swapped file intact")
                return
            }
        }
    }

    @Test func aReporterSeesOnlyWhatTheyAddedAndLimitsStoreNothing() async throws {
        try await withMigratedPool { pool, _ in
            let store = IncidentStore(pool: pool, cipher: cipher)
            let filed = try await store.report(
                try ReportDraft(title: "t", description: "d").validated(now: Date()),
                by: alice
            )
            let reference = filed.incident.reference
            _ = try await add([1, 2, 3], to: reference, by: alice, roles: [.reporter], store: store).get()
            _ = try await add([4, 5, 6], to: reference, by: bob, store: store).get()
            let asReporter = try await read(reference, as: alice, roles: [.reporter], store: store).get()
            #expect(asReporter.map(\.item.addedBy) == ["alice"])
            let asTeam = try await read(reference, as: bob, store: store).get()
            #expect(asTeam.map(\.item.number) == [1, 2])
            let stranger = Caller(uid: 1003, gid: 1003, pid: 44, userName: "carol")
            #expect(
                try await add([7], to: reference, by: stranger, roles: [.reporter], store: store)
                    == .failure(.notFound(reference))
            )

            let small = EvidenceLimits(maximumFileBytes: 10, maximumBytesPerIncident: 14)
            #expect(
                try await add(Array(repeating: 0, count: 11), to: reference, by: bob, store: store, limits: small)
                    == .failure(.fileTooLarge(limit: 10))
            )
            #expect(
                try await add(Array(repeating: 0, count: 9), to: reference, by: bob, store: store, limits: small)
                    == .failure(.incidentFull(limit: 14))
            )
            let uploads = try await pool.withConnection {
                try $0.query("SELECT count(*)::int AS n FROM evidence WHERE stored_at IS NULL").first!.decode(
                    Int.self,
                    "n"
                )
            }
            #expect(uploads == 0, "nothing refused is left behind")
        }
    }
}
