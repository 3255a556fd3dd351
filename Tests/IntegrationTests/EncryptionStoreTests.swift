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
            let first = try await store.report(
                try ReportDraft(title: "one", description: "secret one").validated(now: Date()),
                by: alice
            )
            let second = try await store.report(
                try ReportDraft(title: "two", description: "secret two").validated(now: Date()),
                by: alice
            )
            #expect(first.incident.description == "secret one", "the reply carries plaintext")
            let audit = AuditRecord(caller: alice, action: "Get")
            let read = try await store.incident(second.incident.reference, audit: audit, access: .full)
            #expect(read?.0.description == "secret two")

            let stored = try await pool.withConnection {
                try $0.query("SELECT description FROM incidents ORDER BY id").map {
                    try $0.decode(String.self, "description")
                }
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
                _ = try await store.incident(second.incident.reference, audit: audit, access: .full)
            }
            let plain = IncidentStore(pool: pool)
            await #expect(throws: CipherError.unknownKey("k1"), "no key, no plaintext") {
                _ = try await plain.incident(first.incident.reference, audit: audit, access: .full)
            }
        }
    }

    /// Reasons, recipients, the resolution and lessons written before they were sealed are
    /// sealed by the re-encryption that key rotation runs, and still read back.
    @Test func reencryptionSealsFreeTextWrittenInClear() async throws {
        try await withMigratedPool { pool, _ in
            let cipher = CipherBox(FieldCipher(ring: KeyRing(keys: [.generate(id: "k1")])))
            let store = IncidentStore(pool: pool, cipher: cipher)
            let filed = try await store.report(
                try ReportDraft(title: "one", description: "d").validated(now: Date()),
                by: alice
            )
            try await pool.transaction { connection in
                let id = try connection.query("SELECT id FROM incidents").first!.decode(Int64.self, "id")
                try connection.execute(
                    """
                    UPDATE incidents SET resolution = 'Zhang Wei resolved', lessons_learned = 'Zhang Wei learned',
                        legal_hold = true, legal_hold_reason = 'Zhang Wei v. Us' WHERE id = \(id);
                    INSERT INTO tasks (incident_id, key, phase, status, reason) VALUES (\(id), 'customers', 'notify', 'skipped', 'Zhang Wei skipped');
                    INSERT INTO decisions (incident_id, name, value, reason, decided_by, decided_at, task)
                        VALUES (\(id), 'notifiable', true, 'Zhang Wei decided', 'alice', now(), 'assess');
                    INSERT INTO notifications (incident_id, task, kind, recipient, channel, sent_at, sent_by, late_reason)
                        VALUES (\(id), 'gdpr-authority', 'authority', 'zhang.wei@example.cn', 'e-mail', now(), 'alice', 'Zhang Wei late');
                    """
                )
            }
            var changed = 0
            repeat { changed = try await store.reencrypt() } while changed > 0
            let stored = try await pool.withConnection { connection in
                try connection.query(
                    """
                    SELECT resolution AS v FROM incidents UNION ALL SELECT lessons_learned FROM incidents
                    UNION ALL SELECT legal_hold_reason FROM incidents UNION ALL SELECT reason FROM tasks
                    UNION ALL SELECT reason FROM decisions UNION ALL SELECT recipient FROM notifications
                    UNION ALL SELECT late_reason FROM notifications
                    """
                ).map { try $0.decode(String.self, "v") }
            }
            #expect(stored.count == 7 && stored.allSatisfy { $0.hasPrefix("enc1:k1:") }, "\(stored)")

            let file = try await store.fullCaseFile(filed.incident.reference, by: alice)
            #expect(file.state.resolution == "Zhang Wei resolved")
            #expect(file.state.lessonsLearned == "Zhang Wei learned")
            #expect(file.state.decisions.map(\.reason) == ["Zhang Wei decided"])
            #expect(file.state.notifications.map(\.recipient) == ["zhang.wei@example.cn"])
            #expect(file.state.notifications.map(\.lateReason) == ["Zhang Wei late"])
        }
    }
}
