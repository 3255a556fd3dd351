import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Logging
import Varlink

/// `io.incidentd.Evidence`: files attached to an incident. An upload is Begin, then the
/// chunks in order, then Commit with the SHA-256 the daemon checks against what it stored;
/// a download is one `Get` stream. Every read names the files' hashes in its audit record,
/// which is what `Custody` lists.
extension IncidentsAPI {
    func registerEvidence(_ router: inout VarlinkRouter<Caller>) {
        serve(Methods.Evidence.begin, on: &router, beginEvidence)
        serve(Methods.Evidence.upload, on: &router, uploadEvidence)
        serve(Methods.Evidence.commit, on: &router, commitEvidence)
        serve(Methods.Evidence.list, on: &router) { parameters, call, caller in
            let files = try await readEvidence(parameters.reference, number: nil, call, caller)
            return EvidenceWire.ListReply(evidence: files.map(\.item))
        }
        serveStream(Methods.Evidence.get, on: &router, getEvidence)
        serve(Methods.Evidence.verify, on: &router, verifyEvidence)
        serve(Methods.Evidence.custody, on: &router) { parameters, call, caller in
            let file = try await readEvidence(
                parameters.reference,
                number: parameters.number,
                call,
                caller,
                teamOnly: "the chain of custody is for the incident's team"
            )[0]
            let accesses = try await store.custody(of: file.item, in: parameters.reference)
            return EvidenceWire.CustodyReply(
                evidence: file.item,
                accesses: accesses.map {
                    EvidenceWire.Access(at: $0.at, user: $0.user, uid: $0.uid, action: $0.action, outcome: $0.outcome)
                }
            )
        }
    }

    private func beginEvidence(
        _ parameters: EvidenceWire.BeginParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> EvidenceWire.BeginReply {
        let new = try await validate(call, caller) { () throws(ValidationError) in
            if let problem = EvidenceRules.nameProblem(parameters.name) {
                throw ValidationError(field: "name", reason: problem)
            }
            if let description = parameters.description, let problem = EvidenceRules.descriptionProblem(description) {
                throw ValidationError(field: "description", reason: problem)
            }
            if let size = parameters.size, size < 0 { throw ValidationError(field: "size", reason: "is negative") }
            return NewEvidence(
                name: parameters.name,
                description: parameters.description.flatMap { $0.isEmpty ? nil : $0 },
                kind: parameters.kind ?? .other,
                size: parameters.size
            )
        }
        let result = try await store.beginEvidence(
            parameters.reference,
            new,
            by: settings.roles.principal(for: caller),
            limits: settings.evidenceLimits,
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        let upload = try Self.unwrap(result, parameters.reference)
        return EvidenceWire.BeginReply(upload: upload.uuidString.lowercased(), chunkSize: evidenceChunkSize)
    }

    private func uploadEvidence(
        _ parameters: EvidenceWire.UploadParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> EvidenceWire.UploadReply {
        let (upload, bytes) = try await validate(call, caller) { () throws(ValidationError) in
            guard let upload = UUID(uuidString: parameters.upload) else {
                throw ValidationError(field: "upload", reason: "is not an upload id; Begin gives one")
            }
            guard parameters.position >= 0 else { throw ValidationError(field: "position", reason: "is negative") }
            guard let data = Data(base64Encoded: parameters.data) else {
                throw ValidationError(field: "data", reason: "is not base64")
            }
            return (upload, [UInt8](data))
        }
        let result = try await store.addEvidenceChunk(
            upload: upload,
            by: caller,
            position: parameters.position,
            bytes: bytes,
            limits: settings.evidenceLimits,
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        return EvidenceWire.UploadReply(received: try Self.unwrap(result, nil))
    }

    private func commitEvidence(
        _ parameters: EvidenceWire.CommitParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> EvidenceWire.EvidenceReply {
        let upload = try await validate(call, caller) { () throws(ValidationError) in
            guard let upload = UUID(uuidString: parameters.upload) else {
                throw ValidationError(field: "upload", reason: "is not an upload id; Begin gives one")
            }
            guard ContentHasher.isDigest(parameters.sha256) else {
                throw ValidationError(field: "sha256", reason: "is not a SHA-256 in lowercase hex (64 digits)")
            }
            return upload
        }
        let result = try await store.commitEvidence(
            upload: upload,
            by: caller,
            sha256: parameters.sha256,
            limits: settings.evidenceLimits,
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        let item = try Self.unwrap(result, nil)
        logger.info(
            "evidence stored",
            metadata: ["evidence.size": "\(item.size)", "evidence.number": "\(item.number)"]
        )
        return EvidenceWire.EvidenceReply(evidence: item)
    }

    /// The manifest, then each chunk as it is read and opened: the daemon holds one chunk at a
    /// time however large the file. A chunk that does not open ends the stream with
    /// `EvidenceDamaged`, audited; the client also checks the whole file's SHA-256.
    private func getEvidence(
        _ parameters: EvidenceWire.FileParameters,
        _ call: VarlinkCall,
        _ caller: Caller,
        _ send: (EvidenceWire.GetReply) async throws -> Void
    ) async throws -> EvidenceWire.GetReply {
        let file = try await readEvidence(parameters.reference, number: parameters.number, call, caller)[0]
        if file.item.purgedAt != nil { throw Self.error(for: .purged(file.item.number), parameters.reference) }
        guard file.chunks > 0 else { return EvidenceWire.GetReply(evidence: file.item) }
        try await send(EvidenceWire.GetReply(evidence: file.item))
        for position in 0..<file.chunks {
            let bytes: [UInt8]
            switch try await store.evidenceChunk(file, position: position) {
            case .success(let chunk): bytes = chunk
            case .failure(let refusal):
                await recordDamage(refusal, parameters.reference, call, caller)
                throw Self.error(for: refusal, parameters.reference)
            }
            let reply = EvidenceWire.GetReply(position: position, data: Data(bytes).base64EncodedString())
            if position == file.chunks - 1 { return reply }
            try await send(reply)
        }
        preconditionFailure("the loop returns its last chunk")
    }

    private func verifyEvidence(
        _ parameters: EvidenceWire.ListParameters,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async throws -> EvidenceWire.VerifyReply {
        let files = try await readEvidence(
            parameters.reference,
            number: nil,
            call,
            caller,
            teamOnly: "verifying evidence is for the incident's team"
        )
        var results: [EvidenceWire.Verification] = []
        for file in files {
            var verification = EvidenceWire.Verification(
                number: file.item.number,
                name: file.item.name,
                sha256: file.item.sha256,
                intact: true
            )
            if file.item.purgedAt != nil {
                verification.intact = false
                verification.problem = "content purged under retention"
            } else if case .failure(let refusal) = try await store.verifyEvidence(file) {
                verification.intact = false
                if case .damaged(_, let reason) = refusal { verification.problem = reason }
                await recordDamage(refusal, parameters.reference, call, caller)
            }
            results.append(verification)
        }
        return EvidenceWire.VerifyReply(files: results)
    }

    /// The incident's evidence the caller may see (one file with `number`), audited with the
    /// hashes. With `teamOnly`, a caller with the reporter's view is refused with that reason.
    private func readEvidence(
        _ reference: IncidentReference,
        number: Int?,
        _ call: VarlinkCall,
        _ caller: Caller,
        teamOnly: String? = nil
    ) async throws -> [StoredEvidence] {
        let result = try await store.evidence(
            reference,
            number: number,
            access: ReadAccess(settings.roles.principal(for: caller), reporterViewRefusal: teamOnly),
            audit: AuditRecord(caller: caller, action: call.auditAction)
        )
        return try Self.unwrap(result, reference)
    }

    /// A damaged file found on a read: audited as failed, with the file's label (for custody)
    /// and logged for the operator, who should restore it.
    private func recordDamage(
        _ refusal: EvidenceRefusal,
        _ reference: IncidentReference,
        _ call: VarlinkCall,
        _ caller: Caller
    ) async {
        guard case .damaged(let number, _) = refusal else { return }
        logger.error(
            "evidence is damaged",
            metadata: ["incident.reference": "\(reference.rawValue)", "evidence.number": "\(number)"]
        )
        await Self.audit(
            store: store,
            logger: logger,
            AuditRecord(
                caller: caller,
                action: call.auditAction,
                incident: reference,
                outcome: .failed,
                detail: "\(EvidenceItem.label(number)) damaged"
            )
        )
    }

    static func unwrap<T>(_ result: Result<T, EvidenceRefusal>, _ reference: IncidentReference?) throws -> T {
        switch result {
        case .success(let value): return value
        case .failure(let refusal): throw error(for: refusal, reference)
        }
    }

    static func error(for refusal: EvidenceRefusal, _ reference: IncidentReference?) -> WireError {
        switch refusal {
        case .notFound(let reference): return .noSuchIncident(reference: reference.rawValue)
        case .denied(let reason): return .permissionDenied(reason: reason)
        case .closed(let reference):
            return .moveNotAllowed(reason: "\(reference.rawValue) is closed; a manager can reopen it to add evidence")
        case .noUpload:
            return .invalidValue(
                parameter: "upload",
                reason: "is not an upload of yours in progress (never begun, committed, or abandoned); begin again"
            )
        case .outOfOrder(let expected):
            return .invalidValue(parameter: "position", reason: "is out of order; the upload expects chunk \(expected)")
        case .chunkTooLarge(let limit): return .evidenceTooLarge(what: "chunk", limit: Int64(limit))
        case .fileTooLarge(let limit): return .evidenceTooLarge(what: "file", limit: limit)
        case .incidentFull(let limit): return .evidenceTooLarge(what: "incident", limit: limit)
        case .sizeMismatch(let declared, let received):
            return .invalidValue(
                parameter: "size",
                reason: "was given as \(declared) bytes but \(received) arrived; nothing was stored"
            )
        case .digestMismatch(_, let received):
            return .invalidValue(
                parameter: "sha256",
                reason: "does not match the bytes that arrived (they hash to \(received)); nothing was stored"
            )
        case .noSuchEvidence(let number):
            return .invalidValue(
                parameter: "number",
                reason:
                    "names no evidence you may see (\(EvidenceItem.label(number))); incidentctl evidence list shows them"
            )
        case .purged(let number):
            return .invalidValue(
                parameter: "number",
                reason:
                    "names \(EvidenceItem.label(number)), whose content was purged under retention; its manifest remains"
            )
        case .damaged(let number, let reason):
            return .evidenceDamaged(reference: reference?.rawValue ?? "", number: number, reason: reason)
        }
    }
}
