import Foundation
import IncidentCore
import Postgres

extension IncidentStore {
    /// Re-seals, under the current key, up to `batch` values of each kind that are sealed under
    /// an older key or (from before encryption) not sealed at all. Returns how many it changed;
    /// run until it returns 0. Resumable by construction: each value names its key, and rows
    /// another daemon is re-sealing are skipped (SKIP LOCKED).
    public func reencrypt(batch: Int = 200) async throws -> Int {
        guard let cipher = self.cipher.current else { return 0 }
        let prefix = FieldCipher.prefix + cipher.ring.current.id + ":"
        let box = self.cipher
        return try await pool.transaction { connection in
            let steps = [
                Self.reencryptDescriptions, Self.reencryptNotes, Self.reencryptFacts, Self.reencryptSealedColumns,
                Self.reencryptPayloads, Self.reencryptEvidence,
            ]
            return try steps.reduce(0) { changed, step in
                changed + (try step(connection, cipher, box, prefix, batch))
            }
        }
    }

    /// The incidents' descriptions.
    private static func reencryptDescriptions(
        _ connection: PostgresConnection,
        _ cipher: FieldCipher,
        _ box: CipherBox,
        prefix: String,
        batch: Int
    ) throws -> Int {
        let length = prefix.count
        var changed = 0
        let descriptions = try connection.query(
            """
            SELECT id, uid, description FROM incidents WHERE left(description, \(length)) <> \(prefix)
            ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED
            """
        )
        for row in descriptions {
            let context = FieldCipher.context(incident: try row.decode(UUID.self, "uid"), field: "description")
            let plain = try cipher.open(try row.decode(String.self, "description"), context: context)
            try connection.query(
                "UPDATE incidents SET description = \(cipher.seal(plain, context: context)) WHERE id = \(try row.decode(Int64.self, "id"))"
            )
            changed += 1
        }
        return changed
    }

    /// The notes on timelines.
    private static func reencryptNotes(
        _ connection: PostgresConnection,
        _ cipher: FieldCipher,
        _ box: CipherBox,
        prefix: String,
        batch: Int
    ) throws -> Int {
        let length = prefix.count
        var changed = 0
        let notes = try connection.query(
            """
            SELECT e.id, i.uid, e.data->>'text' AS text FROM events e JOIN incidents i ON i.id = e.incident_id
            WHERE e.data ? 'text' AND left(e.data->>'text', \(length)) <> \(prefix)
            ORDER BY e.id LIMIT \(batch) FOR UPDATE OF e SKIP LOCKED
            """
        )
        for row in notes {
            let context = FieldCipher.context(incident: try row.decode(UUID.self, "uid"), field: "note")
            let plain = try cipher.open(try row.decode(String.self, "text"), context: context)
            try connection.query(
                """
                UPDATE events SET data = jsonb_set(data, '{text}', to_jsonb(\(cipher.seal(plain, context: context))::text))
                WHERE id = \(try row.decode(Int64.self, "id"))
                """
            )
            changed += 1
        }
        return changed
    }

    /// Sealed captures: facts whose text is sealed under another key.
    private static func reencryptFacts(
        _ connection: PostgresConnection,
        _ cipher: FieldCipher,
        _ box: CipherBox,
        prefix: String,
        batch: Int
    ) throws -> Int {
        let length = prefix.count
        var changed = 0
        let facts = try connection.query(
            """
            SELECT id, uid, facts FROM incidents
            WHERE jsonb_path_exists(facts, '$.*.text ? (@ starts with "enc1:" && !(@ starts with $p))', jsonb_build_object('p', \(prefix)::text))
            ORDER BY id LIMIT \(batch) FOR UPDATE SKIP LOCKED
            """
        )
        for row in facts {
            let uid = try row.decode(UUID.self, "uid")
            var values = try JSONDecoder().decode(
                [String: FactValue].self,
                from: Data(try row.decode(String.self, "facts").utf8)
            )
            for (name, value) in values {
                guard case .text(let text) = value, FieldCipher.isSealed(text), !text.hasPrefix(prefix) else {
                    continue
                }
                let context = FieldCipher.context(incident: uid, field: "fact:\(name)")
                values[name] = .text(cipher.seal(try cipher.open(text, context: context), context: context))
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = PostgresJSON(text: String(decoding: try encoder.encode(values), as: UTF8.self))
            try connection.query("UPDATE incidents SET facts = \(json) WHERE id = \(try row.decode(Int64.self, "id"))")
            changed += 1
        }
        return changed
    }

    /// Every column of sealed text (SealedText): reasons, resolutions, recipients.
    private static func reencryptSealedColumns(
        _ connection: PostgresConnection,
        _ cipher: FieldCipher,
        _ box: CipherBox,
        prefix: String,
        batch: Int
    ) throws -> Int {
        let length = prefix.count
        var changed = 0
        for kind in SealedText.allCases {
            let alias = kind.table == "incidents" ? "i" : "t"
            let from =
                kind.table == "incidents" ? "incidents i" : "\(kind.table) t JOIN incidents i ON i.id = t.incident_id"
            let value = "\(alias).\(kind.column)"
            let rows = try connection.query(
                """
                SELECT \(unsafeSQL: alias).ctid::text AS row, i.uid, \(unsafeSQL: value) AS value,
                       \(unsafeSQL: kind.qualifierColumn.map { "t.\($0)" } ?? "NULL::text") AS qualifier
                FROM \(unsafeSQL: from)
                WHERE \(unsafeSQL: value) IS NOT NULL AND \(unsafeSQL: value) <> \(SealedText.purged)
                  AND left(\(unsafeSQL: value), \(length)) <> \(prefix)
                LIMIT \(batch) FOR UPDATE OF \(unsafeSQL: alias) SKIP LOCKED
                """
            )
            for row in rows {
                let uid = try row.decode(UUID.self, "uid")
                let qualifier = try row.decode(String?.self, "qualifier")
                let plain = try kind.open(
                    try row.decode(String.self, "value"),
                    incident: uid,
                    qualifier: qualifier,
                    cipher: box
                )
                let sealed = kind.seal(plain, incident: uid, qualifier: qualifier, cipher: box)
                try connection.query(
                    """
                    UPDATE \(unsafeSQL: kind.table) SET \(unsafeSQL: kind.column) = \(sealed)
                    WHERE ctid = \(try row.decode(String.self, "row"))::tid
                    """
                )
                changed += 1
            }
        }
        return changed
    }

    /// The hook payloads that carry personal data.
    private static func reencryptPayloads(
        _ connection: PostgresConnection,
        _ cipher: FieldCipher,
        _ box: CipherBox,
        prefix: String,
        batch: Int
    ) throws -> Int {
        let length = prefix.count
        var changed = 0
        let payloads = try connection.query(
            """
            SELECT id, incident_id, payload->>'sealed' AS sealed FROM hook_deliveries
            WHERE payload ? 'sealed' AND left(payload->>'sealed', \(length)) <> \(prefix)
            ORDER BY created_at LIMIT \(batch) FOR UPDATE SKIP LOCKED
            """
        )
        for row in payloads {
            let context = Outbox.payloadContext(incidentID: try row.decode(Int64.self, "incident_id"))
            let plain = try cipher.open(try row.decode(String.self, "sealed"), context: context)
            try connection.query(
                """
                UPDATE hook_deliveries SET payload = jsonb_build_object('sealed', \(cipher.seal(plain, context: context))::text)
                WHERE id = \(try row.decode(UUID.self, "id"))
                """
            )
            changed += 1
        }
        return changed
    }

    /// Evidence chunks sealed under an older key (or, from while encryption was off, not at
    /// all): at most 16 a batch, since each holds up to 256 KiB.
    private static func reencryptEvidence(
        _ connection: PostgresConnection,
        _ cipher: FieldCipher,
        _ box: CipherBox,
        prefix: String,
        batch: Int
    ) throws -> Int {
        let current = cipher.ring.current.id
        let chunks = try connection.query(
            """
            SELECT c.evidence_id, c.position, c.key_id, c.data, e.uid FROM evidence_chunks c
            JOIN evidence e ON e.id = c.evidence_id
            WHERE c.key_id IS DISTINCT FROM \(current)
            LIMIT \(min(batch, 16)) FOR UPDATE OF c SKIP LOCKED
            """
        )
        for row in chunks {
            let evidence = try row.decode(UUID.self, "uid")
            let position = try row.decode(Int.self, "position")
            var plain = try row.decode(PostgresBytes.self, "data").bytes
            if let keyID = try row.decode(String?.self, "key_id") {
                plain = try EvidenceSeal.open(
                    plain,
                    keyID: keyID,
                    evidence: evidence,
                    position: position,
                    cipher: cipher
                )
            }
            let (keyID, sealed) = EvidenceSeal.seal(plain, evidence: evidence, position: position, cipher: cipher)
            try connection.query(
                """
                UPDATE evidence_chunks SET key_id = \(keyID), data = \(PostgresBytes(sealed))
                WHERE evidence_id = \(try row.decode(Int64.self, "evidence_id")) AND position = \(position)
                """
            )
        }
        return chunks.count
    }
}
