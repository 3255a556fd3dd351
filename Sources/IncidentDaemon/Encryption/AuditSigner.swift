import Foundation
import Glibc
import IncidentCore
import IncidentStore
import Logging
import Synchronization

/// Signs the audit chain's head with the daemon's Ed25519 key and keeps the last head it
/// signed in its own state directory as well as in the database: a copy the database's
/// users cannot reach, so cutting off the chain's tail is noticed even when the checkpoints
/// in the database are cut off with it.
public final class AuditSigner: Sendable {
    let key: AuditSigningKey
    let headFile: String
    private let store: AuditStore
    private let logger: Logger
    private let signedUpTo = Mutex<Int64>(0)

    init(key: AuditSigningKey, headFile: String, store: AuditStore, logger: Logger) {
        self.key = key
        self.headFile = headFile
        self.store = store
        self.logger = logger
    }

    /// The key from `path` (owner the daemon's user, mode 0600, checked on the descriptor),
    /// created on first start.
    static func loadKey(path: String) throws -> AuditSigningKey {
        switch SecretFile.read(path, sharing: .daemonOnly) {
        case .success(let bytes):
            guard let key = AuditSigningKey(fileText: String(decoding: bytes, as: UTF8.self)) else {
                throw DaemonError(message: "the audit signing key \(path) is damaged; restore it from your backup")
            }
            return key
        case .failure(.missing):
            let key = AuditSigningKey.generate()
            if case .failure(let problem) = SecretFile.write(key.fileText, to: path, exclusive: true) {
                throw DaemonError(message: "the audit signing key: \(problem)")
            }
            return key
        case .failure(let problem):
            throw DaemonError(message: "the audit signing key \(problem.sentence(path))")
        }
    }

    /// Signs the chain head if it moved since the last checkpoint; logs the checkpoint (the
    /// journal keeps it apart from PostgreSQL) and records it in both places.
    @discardableResult
    func signHead(force: Bool = false) async throws -> AuditCheckpoint? {
        guard let head = try await store.head() else { return nil }
        if !force, signedUpTo.withLock({ $0 }) >= head.position { return nil }
        let checkpoint = try key.sign(position: head.position, hash: head.hash, at: Date())
        try await store.store(checkpoint)
        signedUpTo.withLock { $0 = max($0, head.position) }
        let saved = String(decoding: try JSONEncoder.checkpoint.encode(checkpoint), as: UTF8.self)
        if case .failure(let problem) = SecretFile.write(saved, to: headFile, exclusive: false) {
            logger.error("cannot keep the signed audit head in the state directory", metadata: ["error": "\(problem)"])
        }
        logger.notice(
            "audit checkpoint",
            metadata: [
                "audit.position": "\(checkpoint.chainPosition)", "audit.hash": "\(checkpoint.hash)",
                "audit.key": "\(checkpoint.keyID)", "audit.signature": "\(checkpoint.signature)",
            ]
        )
        return checkpoint
    }

    /// The head this daemon last signed, from its state directory.
    func localHead() -> AuditCheckpoint? {
        guard case .success(let bytes) = SecretFile.read(headFile, sharing: .daemonOnly) else { return nil }
        return try? JSONDecoder.checkpoint.decode(AuditCheckpoint.self, from: Data(bytes))
    }
}

extension JSONEncoder {
    static var checkpoint: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        }
        return encoder
    }
}

extension JSONDecoder {
    static var checkpoint: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            Date(timeIntervalSince1970: Double(try decoder.singleValueContainer().decode(Int64.self)) / 1000)
        }
        return decoder
    }
}
