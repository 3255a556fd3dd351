import Foundation
import IncidentCore
import IncidentStore
import Postgres
import Testing

/// The store seals sensitive text with its cipher and refuses values moved between rows.
@Suite struct EncryptionStoreTests {
    let alice = Caller(uid: 1001, gid: 1001, pid: 42, userName: "alice")

    @Test func aCiphertextMovedToAnotherRowFailsToDecrypt() async throws {
        try await withMigratedPool { pool, _ in
            let cipher = CipherBox(FieldCipher(ring: KeyRing(keys: [.generate(id: "k1")])))
            let store = IncidentStore(pool: pool, cipher: cipher)
            let first = try await store.report(try ReportDraft(title: "one", description: "secret one").validated(now: Date()), by: alice)
            let second = try await store.report(try ReportDraft(title: "two", description: "secret two").validated(now: Date()), by: alice)
            #expect(first.incident.description == "secret one", "the reply carries plaintext")
            let audit = AuditRecord(caller: alice, action: "Get")
            let read = try await store.incident(second.incident.reference, audit: audit) { _ in .allow(.full) }
            #expect(read?.0.description == "secret two")

            let stored = try await pool.withConnection {
                try $0.query("SELECT description FROM incidents ORDER BY id").map { try $0.decode(String.self, "description") }
            }
            #expect(stored.allSatisfy { $0.hasPrefix("enc1:k1:") && !$0.contains("secret") }, "\(stored)")

            // An attacker with write access to the database swaps the two descriptions.
            try await pool.transaction { connection in
                try connection.execute(
                    """
                    UPDATE incidents SET description = (SELECT description FROM incidents WHERE title = 'one') WHERE title = 'two'
                    """
                )
            }
            await #expect(throws: CipherError.self) {
                _ = try await store.incident(second.incident.reference, audit: audit) { _ in .allow(.full) }
            }
            let plain = IncidentStore(pool: pool)
            await #expect(throws: CipherError.unknownKey("k1"), "no key, no plaintext") {
                _ = try await plain.incident(first.incident.reference, audit: audit) { _ in .allow(.full) }
            }
        }
    }
}
