import Crypto
import Foundation

/// The audit chain recomputed outside PostgreSQL, and its signed checkpoints.
///
/// The database keeps the chain (`db/migrations/0002_audit_chain.sql`): each seal's hash is
/// SHA-256 over the previous hash and the record's canonical encoding. Anyone with full access
/// to the database can rewrite a record and recompute every later seal consistently, so the
/// daemon also signs the chain head with an Ed25519 key the database never sees, and
/// `audit verify` recomputes the chain here, from the records' raw columns, against both the
/// seals and the signatures.
public enum AuditChain {
    /// One audit record's columns, as stored.
    public struct Record: Sendable, Equatable {
        public var seq: Int64
        /// `at` in microseconds since 1970 (PostgreSQL's own precision).
        public var atMicroseconds: Int64
        public var uid: Int64
        public var userName: String
        public var pid: Int32
        public var action: String
        public var incidentReference: String?
        public var outcome: String
        public var detail: String

        public init(
            seq: Int64,
            atMicroseconds: Int64,
            uid: Int64,
            userName: String,
            pid: Int32,
            action: String,
            incidentReference: String?,
            outcome: String,
            detail: String
        ) {
            self.seq = seq
            self.atMicroseconds = atMicroseconds
            self.uid = uid
            self.userName = userName
            self.pid = pid
            self.action = action
            self.incidentReference = incidentReference
            self.outcome = outcome
            self.detail = detail
        }
    }

    /// What the first seal links to: SHA-256 of "incidentd audit chain".
    public static let genesis: [UInt8] = Array(SHA256.hash(data: Array("incidentd audit chain".utf8)))

    /// The record's canonical encoding, byte for byte what the database's `audit_canonical`
    /// produces: `json_build_array(...)::text` — elements joined by ", ", strings escaped as
    /// PostgreSQL's `escape_json` escapes them, the instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public static func canonical(_ record: Record) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + record.detail.utf8.count)
        out.append(UInt8(ascii: "["))
        func separator() { out += Array(", ".utf8) }
        out += Array(String(record.seq).utf8)
        separator()
        appendString(instant(record.atMicroseconds), to: &out)
        separator()
        out += Array(String(record.uid).utf8)
        separator()
        appendString(record.userName, to: &out)
        separator()
        out += Array(String(record.pid).utf8)
        separator()
        appendString(record.action, to: &out)
        separator()
        if let reference = record.incidentReference {
            appendString(reference, to: &out)
        } else {
            out += Array("null".utf8)
        }
        separator()
        appendString(record.outcome, to: &out)
        separator()
        appendString(record.detail, to: &out)
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// The seal hash that follows `previous` for `record`.
    public static func link(_ previous: [UInt8], _ record: Record) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonical(record))
        return Array(hasher.finalize())
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case 0x08: out += Array("\\b".utf8)
            case 0x0C: out += Array("\\f".utf8)
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x22: out += Array("\\\"".utf8)
            case 0x5C: out += Array("\\\\".utf8)
            case 0x00..<0x20:
                let hex = String(byte, radix: 16)
                out += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.
    static func instant(_ microseconds: Int64) -> String {
        let (seconds, fraction) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        let wholeSeconds = fraction < 0 ? seconds - 1 : seconds
        let micro = fraction < 0 ? fraction + 1_000_000 : fraction
        var time = time_t(wholeSeconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(Int(micro), 6))Z"
    }
}

/// A signed statement that the chain had `hash` at `position`: what an auditor keeps elsewhere.
public struct AuditCheckpoint: Sendable, Equatable, Codable {
    public var chainPosition: Int64
    /// The seal hash at that position, hex.
    public var hash: String
    public var signedAt: Date
    /// The first 16 hex digits of SHA-256 over the public key.
    public var keyID: String
    /// Ed25519 over ``message``, base64.
    public var signature: String

    public init(chainPosition: Int64, hash: String, signedAt: Date, keyID: String, signature: String) {
        self.chainPosition = chainPosition
        self.hash = hash
        self.signedAt = signedAt
        self.keyID = keyID
        self.signature = signature
    }

    /// What is signed: the position, the hash and the instant (milliseconds), one per line.
    public var message: [UInt8] {
        let millis = Int64((signedAt.timeIntervalSince1970 * 1000).rounded())
        return Array("incidentd audit checkpoint v1\n\(chainPosition)\n\(hash)\n\(millis)\n".utf8)
    }
}

/// The Ed25519 key that signs checkpoints. It lives beside the encryption key file, never in
/// the database.
public struct AuditSigningKey: Sendable {
    /// The raw private key (swift-crypto's key type is not Sendable; its bytes are).
    private let raw: Data
    private var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: raw) }

    public static func generate() -> AuditSigningKey { AuditSigningKey(key: .init()) }

    /// The key from its file's text: the raw 32-byte private key in base64 on one line.
    public init?(fileText: String) {
        guard let data = Data(base64Encoded: fileText.trimmingCharacters(in: .whitespacesAndNewlines)),
            (try? Curve25519.Signing.PrivateKey(rawRepresentation: data)) != nil
        else { return nil }
        self.raw = data
    }

    init(key: Curve25519.Signing.PrivateKey) { self.raw = key.rawRepresentation }

    public var fileText: String { key.rawRepresentation.base64EncodedString() + "\n" }

    /// The public key, base64: what an auditor checks exported checkpoints with.
    public var publicKey: String { key.publicKey.rawRepresentation.base64EncodedString() }

    public var keyID: String { Self.keyID(publicKey: key.publicKey.rawRepresentation) }

    static func keyID(publicKey: Data) -> String {
        SHA256.hash(data: publicKey).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Signs the chain head.
    public func sign(position: Int64, hash: [UInt8], at instant: Date) throws -> AuditCheckpoint {
        // Milliseconds, as the message carries them, so the stored instant signs as it reads back.
        let signedAt = Date(timeIntervalSince1970: (instant.timeIntervalSince1970 * 1000).rounded() / 1000)
        var checkpoint = AuditCheckpoint(
            chainPosition: position,
            hash: hash.hex,
            signedAt: signedAt,
            keyID: keyID,
            signature: ""
        )
        checkpoint.signature = try key.signature(for: checkpoint.message).base64EncodedString()
        return checkpoint
    }

    /// Whether `checkpoint` was signed by this key.
    public func verifies(_ checkpoint: AuditCheckpoint) -> Bool {
        guard checkpoint.keyID == keyID, let signature = Data(base64Encoded: checkpoint.signature) else { return false }
        return key.publicKey.isValidSignature(signature, for: checkpoint.message)
    }
}

/// Recomputes the chain from its records and checks it against the seals and the signed
/// checkpoints: pure, fed in chain order, so any number of records can stream through.
public struct AuditChainVerifier: Sendable {
    /// One seal as read: its position, the seq it seals, its stored hash, and the record's
    /// columns (nil when the record is gone).
    public struct Link: Sendable {
        public var position: Int64
        public var seq: Int64
        public var sealHash: [UInt8]
        public var record: AuditChain.Record?

        public init(position: Int64, seq: Int64, sealHash: [UInt8], record: AuditChain.Record?) {
            self.position = position
            self.seq = seq
            self.sealHash = sealHash
            self.record = record
        }
    }

    private let checkpoints: [Int64: AuditCheckpoint]
    private var running = AuditChain.genesis
    private var expected: Int64 = 1
    public private(set) var verified: Int64 = 0
    public private(set) var checkpointsVerified = 0
    /// The last checkpoint the recomputed chain matched.
    public private(set) var lastValidCheckpoint: Int64 = 0
    public private(set) var broken: AuditVerification.Break?
    /// The seq of each position after the last valid checkpoint, to name the first of them.
    private var seqAfterLastCheckpoint: Int64?

    /// - Parameters:
    ///   - checkpoints: the stored checkpoints and any from elsewhere (the daemon's own last
    ///     head, which the database cannot delete; one an auditor kept); each must carry a
    ///     valid signature of `key`, or the chain counts as broken.
    public init(checkpoints: [AuditCheckpoint], key: AuditSigningKey) {
        var valid: [Int64: AuditCheckpoint] = [:]
        var broken: AuditVerification.Break?
        for checkpoint in checkpoints.sorted(by: { $0.chainPosition < $1.chainPosition }) {
            guard key.verifies(checkpoint) else {
                broken =
                    broken
                    ?? .init(
                        chainPosition: checkpoint.chainPosition,
                        seq: nil,
                        reason:
                            "the checkpoint at chain position \(checkpoint.chainPosition) is not signed by this daemon's "
                            + "audit signing key (key \(checkpoint.keyID)): it was forged or altered"
                    )
                continue
            }
            valid[checkpoint.chainPosition] = checkpoint
        }
        self.checkpoints = valid
        self.broken = broken
    }

    public var isBroken: Bool { broken != nil }

    /// Takes the next link; stops checking at the first break.
    public mutating func consume(_ link: Link) {
        guard broken == nil else { return }
        if seqAfterLastCheckpoint == nil { seqAfterLastCheckpoint = link.seq }
        guard link.position == expected else {
            broken = .init(
                chainPosition: expected,
                seq: link.seq,
                reason: "seal \(expected) is missing: the chain jumps from \(expected - 1) to \(link.position)"
            )
            return
        }
        guard let record = link.record else {
            broken = .init(
                chainPosition: link.position,
                seq: link.seq,
                reason: "record \(link.seq) was sealed but is gone"
            )
            return
        }
        running = AuditChain.link(running, record)
        // A record that no longer matches its own seal is named itself; only a chain whose
        // seals were recomputed to match (a consistent rewrite) is caught by a checkpoint.
        guard running == link.sealHash else {
            broken = .init(
                chainPosition: link.position,
                seq: link.seq,
                reason:
                    "record \(link.seq) does not match its seal: it was changed after sealing, or an earlier record was"
            )
            return
        }
        if let checkpoint = checkpoints[link.position] {
            guard checkpoint.hash == running.hex else {
                broken = rewritten(at: link.position)
                return
            }
            lastValidCheckpoint = link.position
            checkpointsVerified += 1
            seqAfterLastCheckpoint = nil
        }
        verified += 1
        expected += 1
    }

    /// Ends the walk: a signed checkpoint past the chain's end means its tail was cut off.
    public mutating func finish() -> AuditVerification.Break? {
        guard broken == nil else { return broken }
        let length = expected - 1
        if let furthest = checkpoints.keys.max(), furthest > length {
            broken = .init(
                chainPosition: length + 1,
                seq: nil,
                reason: "the chain ends at position \(length), but a signed checkpoint covers position \(furthest): "
                    + "records after \(length) were removed"
            )
        }
        return broken
    }

    /// A record after the last checkpoint that still matched was rewritten, with every seal
    /// after it recomputed: name the first record after that checkpoint.
    private func rewritten(at position: Int64) -> AuditVerification.Break {
        .init(
            chainPosition: lastValidCheckpoint + 1,
            seq: seqAfterLastCheckpoint,
            reason:
                "the chain was rewritten: position \(position) no longer matches its signed checkpoint; the first record "
                + "after the last valid checkpoint (position \(lastValidCheckpoint)) is where to look"
        )
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal.
    public var hex: String { map { String(format: "%02x", $0) }.joined() }
}
