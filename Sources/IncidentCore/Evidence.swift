import Crypto
import Foundation

/// What an evidence file is, as the investigator files it.
public enum EvidenceKind: String, Codable, Sendable, CaseIterable {
    case email, log, screenshot, document, other
}

/// A file attached to an incident, as its manifest describes it: what stays when retention
/// purges the content (name, size, hash, dates), and what chain of custody refers to.
public struct EvidenceItem: Codable, Sendable, Equatable {
    /// `E1`, `E2`, … within the incident, in the order the files were stored.
    public var number: Int
    public var name: String
    public var description: String?
    public var kind: EvidenceKind
    /// Detected from the content (``MediaType/sniff(_:name:)``).
    public var mediaType: String
    public var size: Int64
    /// SHA-256 of the content, lowercase hex.
    public var sha256: String
    public var addedBy: String
    public var addedByUID: UInt32
    public var addedAt: Date
    /// When retention purged the content; the manifest stays.
    public var purgedAt: Date?

    public init(
        number: Int,
        name: String,
        description: String?,
        kind: EvidenceKind,
        mediaType: String,
        size: Int64,
        sha256: String,
        addedBy: String,
        addedByUID: UInt32,
        addedAt: Date,
        purgedAt: Date? = nil
    ) {
        self.number = number
        self.name = name
        self.description = description
        self.kind = kind
        self.mediaType = mediaType
        self.size = size
        self.sha256 = sha256
        self.addedBy = addedBy
        self.addedByUID = addedByUID
        self.addedAt = addedAt
        self.purgedAt = purgedAt
    }

    /// `E3`: how people name it.
    public var label: String { Self.label(number) }

    public static func label(_ number: Int) -> String { "E\(number)" }

    /// What audit records say of it: its label and hash, never its name (which may name a person).
    public var auditDetail: String { "\(label) sha256:\(sha256)" }
}

/// The limits on evidence, from the configuration.
public struct EvidenceLimits: Sendable, Equatable {
    /// The largest plaintext chunk accepted in one call.
    public static let chunkSize = 256 * 1024
    public var maximumFileBytes: Int64
    public var maximumBytesPerIncident: Int64

    public init(maximumFileBytes: Int64 = 256 * 1024 * 1024, maximumBytesPerIncident: Int64 = 2 * 1024 * 1024 * 1024) {
        self.maximumFileBytes = maximumFileBytes
        self.maximumBytesPerIncident = maximumBytesPerIncident
    }
}

/// The rules an evidence file's name and description must meet.
public enum EvidenceRules {
    /// The longest name kept, in bytes of UTF-8 (what file systems allow).
    public static let maximumNameBytes = 255
    public static let maximumDescriptionCharacters = 4000

    /// Why `name` cannot be an evidence file's name, or nil when it can: it is one file name,
    /// as written out again by `evidence get` and in an export bundle.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty; give the file's name" }
        if name.utf8.count > maximumNameBytes { return "is longer than \(maximumNameBytes) bytes" }
        if name == "." || name == ".." { return "is not a file name" }
        if name.contains("/") || name.contains("\\") { return "holds a path separator; give the file's name alone" }
        if let scalar = ControlCharacters.first(in: name, multiLine: false) {
            return "holds the control character U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
        return nil
    }

    public static func descriptionProblem(_ description: String) -> String? {
        if description.count > maximumDescriptionCharacters {
            return "is longer than \(maximumDescriptionCharacters) characters"
        }
        return nil
    }
}

/// The media type of a file, from its first bytes: the signatures of the formats breach
/// evidence comes in, then e-mail and text by their content; the name only tells apart the
/// formats that share a signature (the ZIP-based office files).
public enum MediaType {
    /// How many leading bytes ``sniff(_:name:)`` looks at.
    public static let prefixLength = 4096

    public static func sniff(_ prefix: some Collection<UInt8>, name: String) -> String {
        let bytes = Array(prefix.prefix(prefixLength))
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + signature.count && Array(bytes[offset..<offset + signature.count]) == signature
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        if starts([0x1F, 0x8B]) { return "application/gzip" }
        if starts([0x50, 0x4B, 0x03, 0x04]) {
            switch (name as NSString).pathExtension.lowercased() {
            case "docx": return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            case "xlsx": return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            case "pptx": return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            default: return "application/zip"
            }
        }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return "application/x-ole-storage" }
        guard !bytes.isEmpty, !bytes.contains(0), let text = decodedText(bytes) else {
            return "application/octet-stream"
        }
        if looksLikeMail(text) { return "message/rfc822" }
        let trimmed = text.drop { $0.isWhitespace }
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            if (name as NSString).pathExtension.lowercased() == "json" { return "application/json" }
        }
        if (name as NSString).pathExtension.lowercased() == "csv" { return "text/csv" }
        return "text/plain"
    }

    /// The prefix as UTF-8, allowing a character cut off at its end.
    private static func decodedText(_ bytes: [UInt8]) -> String? {
        for cut in 0...min(3, bytes.count - 1) {
            if let text = String(validating: bytes.dropLast(cut), as: UTF8.self) { return text }
        }
        return nil
    }

    /// Header lines of an Internet message (RFC 5322) at the start.
    private static func looksLikeMail(_ text: String) -> Bool {
        let headers = ["from:", "received:", "return-path:", "date:", "mime-version:", "message-id:", "delivered-to:"]
        let lines = text.split(separator: "\n", maxSplits: 8, omittingEmptySubsequences: false).prefix(8)
        let matching = lines.filter { line in headers.contains { line.lowercased().hasPrefix($0) } }
        return matching.count >= 2
    }
}

/// SHA-256 of content that arrives in pieces, as lowercase hex.
public struct ContentHasher {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ bytes: some DataProtocol) { hasher.update(data: bytes) }

    public func hex() -> String { Self.hex(hasher.finalize()) }

    public static func hex(of bytes: some DataProtocol) -> String { hex(SHA256.hash(data: bytes)) }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `text` is a SHA-256 in lowercase hex.
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// Seals an evidence file's chunks with AES-256-GCM. Each chunk's associated data is its
/// evidence's id and its position, so a chunk moved to another file or place fails to open.
public enum EvidenceSeal {
    public static func context(evidence: UUID, position: Int) -> String {
        "evidence:\(evidence.uuidString.lowercased()):\(position)"
    }

    /// `nonce ‖ ciphertext ‖ tag` under the ring's current key, and that key's id.
    public static func seal(
        _ bytes: some DataProtocol,
        evidence: UUID,
        position: Int,
        cipher: FieldCipher
    ) -> (keyID: String, sealed: [UInt8]) {
        let key = cipher.ring.current
        // Sealing with a fresh random nonce cannot fail for a 256-bit key.
        let box = try! AES.GCM.seal(
            bytes,
            using: key.key,
            authenticating: Data(context(evidence: evidence, position: position).utf8)
        )
        return (key.id, Array(box.combined!))
    }

    public static func open(
        _ sealed: [UInt8],
        keyID: String,
        evidence: UUID,
        position: Int,
        cipher: FieldCipher
    ) throws(CipherError) -> [UInt8] {
        guard let key = cipher.ring.key(id: keyID) else { throw .unknownKey(keyID) }
        let context = context(evidence: evidence, position: position)
        guard let box = try? AES.GCM.SealedBox(combined: sealed) else { throw .malformed }
        guard let plain = try? AES.GCM.open(box, using: key.key, authenticating: Data(context.utf8)) else {
            throw .authenticationFailed(keyID: keyID, context: context)
        }
        return Array(plain)
    }
}
