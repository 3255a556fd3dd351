import Foundation
import IncidentCore
import Postgres

/// Why an evidence operation was refused. The API turns each into its named error.
public enum EvidenceRefusal: Error, Sendable, Equatable {
    /// No such incident, or the caller may not see it.
    case notFound(IncidentReference)
    case denied(reason: String)
    /// Evidence is added to open incidents only; reopen it first.
    case closed(IncidentReference)
    /// No upload in progress with this id for this caller (never begun, committed, or abandoned).
    case noUpload
    case outOfOrder(expected: Int)
    case chunkTooLarge(limit: Int)
    case fileTooLarge(limit: Int64)
    case incidentFull(limit: Int64)
    case sizeMismatch(declared: Int64, received: Int64)
    case digestMismatch(given: String, received: String)
    case noSuchEvidence(Int)
    /// Retention purged the content; the manifest stays.
    case purged(Int)
    /// A stored chunk does not open or the content does not hash to the manifest's SHA-256.
    case damaged(number: Int, reason: String)
}

/// A new evidence file, as its upload begins.
public struct NewEvidence: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var kind: EvidenceKind
    /// The size the client announced, if it knew it.
    public var size: Int64?

    public init(name: String, description: String?, kind: EvidenceKind, size: Int64?) {
        self.name = name
        self.description = description
        self.kind = kind
        self.size = size
    }
}

/// A stored evidence file and what reading its content needs.
public struct StoredEvidence: Sendable, Equatable {
    public var item: EvidenceItem
    public var chunks: Int
    let id: Int64
    let uid: UUID
}

/// One access in an evidence file's chain of custody: an audit record that names its hash.
public struct CustodyEntry: Sendable, Equatable {
    public var at: Date
    public var user: String
    public var uid: UInt32
    public var action: String
    public var outcome: String
    public var detail: String
}

extension IncidentStore {
    /// Begins an upload to `reference` if the access policy lets `principal` add evidence to
    /// it, the incident is open, and the announced size fits the limits. Audited either way.
    public func beginEvidence(
        _ reference: IncidentReference,
        _ new: NewEvidence,
        by principal: Principal,
        limits: EvidenceLimits,
        audit: AuditRecord
    ) async throws -> Result<UUID, EvidenceRefusal> {
        try await pool.transaction { connection in
            var record = audit
            record.incident = reference
            let result = try self.beginEvidence(connection, reference, new, principal, limits)
            try Self.record(result, in: record, connection) { _ in
                "upload begun, \(new.kind.rawValue)" + (new.size.map { ", \($0) bytes" } ?? "")
            }
            return result
        }
    }

    private func beginEvidence(
        _ connection: PostgresConnection,
        _ reference: IncidentReference,
        _ new: NewEvidence,
        _ principal: Principal,
        _ limits: EvidenceLimits
    ) throws -> Result<UUID, EvidenceRefusal> {
        guard let (id, incident, _, _) = try incidentRow(connection, reference),
            AccessPolicy.decide(principal, .readIncident, incident: incident.accessFacts).isAllowed
        else { return .failure(.notFound(reference)) }
        if incident.phase == .closed { return .failure(.closed(reference)) }
        if case .deny(let reason) = AccessPolicy.decide(principal, .addEvidence, incident: incident.accessFacts) {
            return .failure(.denied(reason: reason))
        }
        if let size = new.size {
            if size > limits.maximumFileBytes { return .failure(.fileTooLarge(limit: limits.maximumFileBytes)) }
            if try Self.evidenceBytes(connection, incidentID: id) + size > limits.maximumBytesPerIncident {
                return .failure(.incidentFull(limit: limits.maximumBytesPerIncident))
            }
        }
        let uid = UUID()
        let incidentUID = try connection.query("SELECT uid FROM incidents WHERE id = \(id)").first!.decode(
            UUID.self,
            "uid"
        )
        let name = SealedText.evidenceName.seal(
            new.name,
            incident: incidentUID,
            qualifier: uid.uuidString.lowercased(),
            cipher: cipher
        )
        let description = SealedText.evidenceDescription.seal(
            new.description,
            incident: incidentUID,
            qualifier: uid.uuidString.lowercased(),
            cipher: cipher
        )
        try connection.query(
            """
            INSERT INTO evidence (uid, incident_id, name, description, kind, size, added_uid, added_by)
            VALUES (\(uid), \(id), \(name), \(description), \(new.kind.rawValue), \(new.size),
                    \(Int64(principal.caller.uid)), \(principal.caller.userName))
            """
        )
        return .success(uid)
    }

    /// The bytes an incident's evidence holds and its uploads announced.
    private static func evidenceBytes(_ connection: PostgresConnection, incidentID: Int64) throws -> Int64 {
        try connection.query(
            """
            SELECT coalesce(sum(greatest(coalesce(size, 0), received)), 0)::bigint AS bytes FROM evidence
            WHERE incident_id = \(incidentID) AND purged_at IS NULL
            """
        ).first!.decode(Int64.self, "bytes")
    }

    /// Stores the chunk at `position` of `caller`'s upload, sealed under its evidence and
    /// position. Chunks come in order. Not audited when accepted (the begin and the commit
    /// are); a refusal is, with `audit`.
    public func addEvidenceChunk(
        upload: UUID,
        by caller: Caller,
        position: Int,
        bytes: [UInt8],
        limits: EvidenceLimits,
        audit: AuditRecord
    ) async throws -> Result<Int64, EvidenceRefusal> {
        let cipher = self.cipher.current
        return try await pool.transaction { connection in
            let result = try Self.addChunk(connection, upload, caller, position, bytes, limits, cipher)
            switch result {
            case .failure(.fileTooLarge), .failure(.incidentFull), .failure(.sizeMismatch), .failure(.chunkTooLarge):
                // The upload cannot succeed any more: it goes now, not at the next sweep.
                try connection.query(
                    "DELETE FROM evidence WHERE uid = \(upload) AND added_uid = \(Int64(caller.uid)) AND stored_at IS NULL"
                )
            default: break
            }
            if case .failure(let refusal) = result {
                var record = audit
                record.refuse(refusal)
                try connection.query(record.insert)
            }
            return result
        }
    }

    private static func addChunk(
        _ connection: PostgresConnection,
        _ upload: UUID,
        _ caller: Caller,
        _ position: Int,
        _ bytes: [UInt8],
        _ limits: EvidenceLimits,
        _ cipher: FieldCipher?
    ) throws -> Result<Int64, EvidenceRefusal> {
        guard bytes.count <= EvidenceLimits.chunkSize else {
            return .failure(.chunkTooLarge(limit: EvidenceLimits.chunkSize))
        }
        guard
            let row = try connection.query(
                """
                SELECT id, incident_id, size, received, chunk_count FROM evidence
                WHERE uid = \(upload) AND added_uid = \(Int64(caller.uid)) AND stored_at IS NULL FOR UPDATE
                """
            ).first
        else { return .failure(.noUpload) }
        let id = try row.decode(Int64.self, "id")
        let expected = try row.decode(Int.self, "chunk_count")
        guard position == expected else { return .failure(.outOfOrder(expected: expected)) }
        let declared = try row.decode(Int64?.self, "size")
        let received = try row.decode(Int64.self, "received") + Int64(bytes.count)
        if let declared, received > declared {
            return .failure(.sizeMismatch(declared: declared, received: received))
        }
        if received > limits.maximumFileBytes { return .failure(.fileTooLarge(limit: limits.maximumFileBytes)) }
        if declared == nil,
            try evidenceBytes(connection, incidentID: try row.decode(Int64.self, "incident_id")) + Int64(bytes.count)
                > limits.maximumBytesPerIncident
        {
            return .failure(.incidentFull(limit: limits.maximumBytesPerIncident))
        }
        var keyID: String?
        var stored = bytes
        if let cipher {
            (keyID, stored) = EvidenceSeal.seal(bytes, evidence: upload, position: position, cipher: cipher)
        }
        try connection.query(
            """
            INSERT INTO evidence_chunks (evidence_id, position, key_id, data)
            VALUES (\(id), \(position), \(keyID), \(PostgresBytes(stored)))
            """
        )
        try connection.query(
            """
            UPDATE evidence SET received = \(received), chunk_count = chunk_count + 1, touched_at = now()
            WHERE id = \(id)
            """
        )
        return .success(received)
    }

    /// Commits `caller`'s upload: its content is read back from what was stored and must hash
    /// to `sha256`, have the announced size, and the incident must still be open. The file
    /// then gets its number, its media type (from its first bytes) and shows in the
    /// incident's evidence. An upload whose size or hash does not match is removed. Audited
    /// with the hash.
    public func commitEvidence(
        upload: UUID,
        by caller: Caller,
        sha256: String,
        limits: EvidenceLimits,
        audit: AuditRecord
    ) async throws -> Result<EvidenceItem, EvidenceRefusal> {
        try await pool.transaction { connection in
            var record = audit
            let result = try self.commit(connection, upload, caller, sha256, limits, &record)
            try Self.record(result, in: record, connection) { $0.auditDetail }
            return result
        }
    }

    private func commit(
        _ connection: PostgresConnection,
        _ upload: UUID,
        _ caller: Caller,
        _ sha256: String,
        _ limits: EvidenceLimits,
        _ record: inout AuditRecord
    ) throws -> Result<EvidenceItem, EvidenceRefusal> {
        guard
            let row = try connection.query(
                """
                SELECT e.id, e.name, e.size, e.received, e.chunk_count, i.reference, i.phase, i.id AS incident_id,
                       i.uid AS incident_uid
                FROM evidence e JOIN incidents i ON i.id = e.incident_id
                WHERE e.uid = \(upload) AND e.added_uid = \(Int64(caller.uid)) AND e.stored_at IS NULL
                FOR UPDATE OF e
                """
            ).first
        else { return .failure(.noUpload) }
        let reference = try row.decodeEnum(IncidentReference.self, "reference")
        record.incident = reference
        let id = try row.decode(Int64.self, "id")
        let declared = try row.decode(Int64?.self, "size")
        let received = try row.decode(Int64.self, "received")
        if let declared, declared != received {
            try connection.query("DELETE FROM evidence WHERE id = \(id)")
            return .failure(.sizeMismatch(declared: declared, received: received))
        }
        if try row.decode(String.self, "phase") == Phase.closed.rawValue { return .failure(.closed(reference)) }
        let handle = StoredEvidence(
            item: EvidenceItem(
                number: 0,
                name: "",
                description: nil,
                kind: .other,
                mediaType: "",
                size: received,
                sha256: sha256,
                addedBy: caller.userName,
                addedByUID: caller.uid,
                addedAt: Date()
            ),
            chunks: try row.decode(Int.self, "chunk_count"),
            id: id,
            uid: upload
        )
        let (actual, prefix): (String, [UInt8])
        switch try rehash(connection, handle) {
        case .success(let hashed): (actual, prefix) = hashed
        case .failure(let refusal): return .failure(refusal)
        }
        guard actual == sha256 else {
            try connection.query("DELETE FROM evidence WHERE id = \(id)")
            return .failure(.digestMismatch(given: sha256, received: actual))
        }
        let name = try SealedText.evidenceName.open(
            try row.decode(String.self, "name"),
            incident: try row.decode(UUID.self, "incident_uid"),
            qualifier: upload.uuidString.lowercased(),
            cipher: cipher
        )
        let incidentID = try row.decode(Int64.self, "incident_id")
        // Numbers are given one at a time per incident.
        try connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("incidentd.evidence:\(incidentID)"), 0))")
        let stored = try connection.query(
            """
            UPDATE evidence SET size = received, sha256 = \(actual), stored_at = now(),
                media_type = \(MediaType.sniff(prefix, name: name ?? "")),
                number = (SELECT coalesce(max(number), 0) + 1 FROM evidence WHERE incident_id = \(incidentID))
            WHERE id = \(id) RETURNING number
            """
        ).first!
        let number = try stored.decode(Int.self, "number")
        return try evidence(connection, incidentID: incidentID, number: number).map { .success($0.item) }
            ?? .failure(.noSuchEvidence(number))
    }

    /// Reads an incident's evidence under `access`: all of it in the full view, only what the
    /// caller added in the reporter view. With `number`, that one file. Audited with the hash
    /// of every file returned (chain of custody), or as refused; with no `audit`, the caller
    /// audits the read itself.
    public func evidence(
        _ reference: IncidentReference,
        number: Int?,
        access: ReadAccess,
        audit: AuditRecord?
    ) async throws -> Result<[StoredEvidence], EvidenceRefusal> {
        try await pool.transaction { connection in
            let result = try self.readEvidence(connection, reference, number, access)
            guard var record = audit else { return result }
            record.incident = reference
            try Self.record(result, in: record, connection) { files in
                files.isEmpty ? "no evidence" : files.map(\.item.auditDetail).joined(separator: ", ")
            }
            return result
        }
    }

    private func readEvidence(
        _ connection: PostgresConnection,
        _ reference: IncidentReference,
        _ number: Int?,
        _ access: ReadAccess
    ) throws -> Result<[StoredEvidence], EvidenceRefusal> {
        guard let (id, incident, _, _) = try incidentRow(connection, reference) else {
            return .failure(.notFound(reference))
        }
        let view: IncidentView
        switch access.decide(incident) {
        case .allow(let allowed): view = allowed
        case .deny(let reason) where reason == access.reporterViewRefusal: return .failure(.denied(reason: reason))
        case .deny: return .failure(.notFound(reference))
        }
        let addedBy: UInt32? = view == .reporter ? access.principal.caller.uid : nil
        let files = try evidence(connection, incidentID: id, number: number, addedBy: addedBy)
        if let number, files.isEmpty { return .failure(.noSuchEvidence(number)) }
        return .success(files)
    }

    private func evidence(_ connection: PostgresConnection, incidentID: Int64, number: Int) throws -> StoredEvidence? {
        try evidence(connection, incidentID: incidentID, number: number, addedBy: nil).first
    }

    private func evidence(
        _ connection: PostgresConnection,
        incidentID: Int64,
        number: Int?,
        addedBy: UInt32?
    ) throws -> [StoredEvidence] {
        let rows = try connection.query(
            """
            SELECT e.id, e.uid, e.number, e.name, e.description, e.kind, e.media_type, e.size, e.sha256,
                   e.chunk_count, e.added_uid, e.added_by, e.stored_at, e.purged_at, i.uid AS incident_uid
            FROM evidence e JOIN incidents i ON i.id = e.incident_id
            WHERE e.incident_id = \(incidentID) AND e.stored_at IS NOT NULL
              AND (\(number)::int IS NULL OR e.number = \(number))
              AND (\(addedBy.map(Int64.init))::bigint IS NULL OR e.added_uid = \(addedBy.map(Int64.init)))
            ORDER BY e.number
            """
        )
        return try rows.map { row in
            let uid = try row.decode(UUID.self, "uid")
            let incident = try row.decode(UUID.self, "incident_uid")
            let qualifier = uid.uuidString.lowercased()
            let name = try SealedText.evidenceName.open(
                try row.decode(String.self, "name"),
                incident: incident,
                qualifier: qualifier,
                cipher: cipher
            )
            return StoredEvidence(
                item: EvidenceItem(
                    number: try row.decode(Int.self, "number"),
                    name: name ?? "",
                    description: try SealedText.evidenceDescription.open(
                        try row.decode(String?.self, "description"),
                        incident: incident,
                        qualifier: qualifier,
                        cipher: cipher
                    ).flatMap { $0 == SealedText.purged ? nil : $0 },
                    kind: try row.decodeEnum(EvidenceKind.self, "kind"),
                    mediaType: try row.decode(String.self, "media_type"),
                    size: try row.decode(Int64.self, "size"),
                    sha256: try row.decode(String.self, "sha256"),
                    addedBy: try row.decode(String.self, "added_by"),
                    addedByUID: UInt32(try row.decode(Int64.self, "added_uid")),
                    addedAt: try row.decode(Date.self, "stored_at"),
                    purgedAt: try row.decode(Date?.self, "purged_at")
                ),
                chunks: try row.decode(Int.self, "chunk_count"),
                id: try row.decode(Int64.self, "id"),
                uid: uid
            )
        }
    }

    /// The content of chunk `position` of a stored file, opened; `damaged` when it is missing,
    /// does not open, or was moved from another file or position.
    public func evidenceChunk(_ file: StoredEvidence, position: Int) async throws -> Result<[UInt8], EvidenceRefusal> {
        let cipher = self.cipher.current
        return try await pool.withConnection { connection in
            try Self.chunk(connection, file, position, cipher)
        }
    }

    private static func chunk(
        _ connection: PostgresConnection,
        _ file: StoredEvidence,
        _ position: Int,
        _ cipher: FieldCipher?
    ) throws -> Result<[UInt8], EvidenceRefusal> {
        let number = file.item.number
        if file.item.purgedAt != nil { return .failure(.purged(number)) }
        guard
            let row = try connection.query(
                "SELECT key_id, data FROM evidence_chunks WHERE evidence_id = \(file.id) AND position = \(position)"
            ).first
        else { return .failure(.damaged(number: number, reason: "chunk \(position) is missing")) }
        let data = try row.decode(PostgresBytes.self, "data").bytes
        guard let keyID = try row.decode(String?.self, "key_id") else { return .success(data) }
        guard let cipher else {
            return .failure(.damaged(number: number, reason: "chunk \(position) is sealed and encryption is off"))
        }
        do {
            return .success(
                try EvidenceSeal.open(data, keyID: keyID, evidence: file.uid, position: position, cipher: cipher)
            )
        } catch {
            return .failure(.damaged(number: number, reason: "chunk \(position): \(error.description)"))
        }
    }

    /// SHA-256 of the file's content as stored, read one chunk at a time, and its first bytes.
    private func rehash(
        _ connection: PostgresConnection,
        _ file: StoredEvidence
    ) throws -> Result<(String, [UInt8]), EvidenceRefusal> {
        var hasher = ContentHasher()
        var prefix: [UInt8] = []
        var size: Int64 = 0
        let cipher = self.cipher.current
        for position in 0..<file.chunks {
            switch try Self.chunk(connection, file, position, cipher) {
            case .success(let bytes):
                hasher.update(bytes)
                size += Int64(bytes.count)
                if prefix.count < MediaType.prefixLength {
                    prefix += bytes.prefix(MediaType.prefixLength - prefix.count)
                }
            case .failure(let refusal): return .failure(refusal)
            }
        }
        let extra = try connection.query(
            "SELECT count(*)::int AS n FROM evidence_chunks WHERE evidence_id = \(file.id) AND position >= \(file.chunks)"
        ).first!.decode(Int.self, "n")
        if extra > 0 || size != file.item.size {
            return .failure(.damaged(number: file.item.number, reason: "the stored content is not the size recorded"))
        }
        return .success((hasher.hex(), prefix))
    }

    /// Whether the file's content as stored still hashes to its manifest's SHA-256.
    public func verifyEvidence(_ file: StoredEvidence) async throws -> Result<Void, EvidenceRefusal> {
        try await pool.withConnection { connection in
            switch try self.rehash(connection, file) {
            case .failure(let refusal): return .failure(refusal)
            case .success(let (digest, _)) where digest != file.item.sha256:
                return .failure(
                    .damaged(number: file.item.number, reason: "the content no longer hashes to its recorded SHA-256")
                )
            case .success: return .success(())
            }
        }
    }

    /// Every audit record that names the file's hash, oldest first: its chain of custody.
    public func custody(of file: EvidenceItem, in reference: IncidentReference) async throws -> [CustodyEntry] {
        try await pool.withConnection { connection in
            try connection.query(
                """
                SELECT at, uid, user_name, action, outcome, detail FROM audit_log
                WHERE incident_ref = \(reference.rawValue) AND strpos(detail, \("sha256:" + file.sha256)) > 0
                ORDER BY seq
                """
            ).map { row in
                CustodyEntry(
                    at: try row.decode(Date.self, "at"),
                    user: try row.decode(String.self, "user_name"),
                    uid: UInt32(try row.decode(Int64.self, "uid")),
                    action: try row.decode(String.self, "action"),
                    outcome: try row.decode(String.self, "outcome"),
                    detail: try row.decode(String.self, "detail")
                )
            }
        }
    }

    /// Writes `record` for `result`: its detail on success, the refusal's outcome otherwise.
    private static func record<T>(
        _ result: Result<T, EvidenceRefusal>,
        in record: AuditRecord,
        _ connection: PostgresConnection,
        detail: (T) -> String
    ) throws {
        var record = record
        switch result {
        case .success(let value): record.detail = detail(value)
        case .failure(let refusal): record.refuse(refusal)
        }
        try connection.query(record.insert)
    }

    /// Deletes uploads nothing arrived for in `seconds`, by the database's clock (the one that
    /// stamped them), with their chunks: an upload whose client died or lost its connection.
    /// Returns how many.
    public func removeAbandonedUploads(idleFor seconds: Int64) async throws -> Int {
        try await pool.transaction { connection in
            try connection.query(
                """
                DELETE FROM evidence
                WHERE stored_at IS NULL AND touched_at < now() - make_interval(secs => \(seconds)::double precision)
                RETURNING id
                """
            ).count
        }
    }
}

extension AuditRecord {
    mutating func refuse(_ refusal: EvidenceRefusal) {
        switch refusal {
        case .notFound: outcome = .notFound
        case .denied(let reason):
            outcome = .denied
            detail = reason
        case .noUpload:
            outcome = .invalid
            detail = "no such upload"
        case .outOfOrder(let expected):
            outcome = .invalid
            detail = "chunk out of order; expected \(expected)"
        case .chunkTooLarge, .fileTooLarge, .incidentFull:
            outcome = .refused
            detail = "evidence limit"
        case .closed:
            outcome = .refused
            detail = "incident closed"
        case .sizeMismatch:
            outcome = .invalid
            detail = "size does not match"
        case .digestMismatch:
            outcome = .invalid
            detail = "sha256 does not match"
        case .noSuchEvidence(let number):
            outcome = .notFound
            detail = "no \(EvidenceItem.label(number))"
        case .purged(let number):
            outcome = .refused
            detail = "\(EvidenceItem.label(number)) purged"
        case .damaged(let number, _):
            outcome = .failed
            detail = "\(EvidenceItem.label(number)) damaged"
        }
    }
}
