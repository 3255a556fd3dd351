import Crypto
import Foundation
import Synchronization

/// One data-encryption key and the id stored beside every value sealed with it.
public struct EncryptionKey: Sendable, Equatable {
    public let id: String
    /// The key's 32 bytes (SymmetricKey is not Sendable).
    let bytes: [UInt8]

    public init(id: String, bytes: [UInt8]) {
        self.id = id
        self.bytes = bytes
    }

    var key: SymmetricKey { SymmetricKey(data: bytes) }

    /// A new random 256-bit key.
    public static func generate(id: String) -> EncryptionKey {
        EncryptionKey(id: id, bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The key file line: `ID BASE64`.
    public var line: String {
        "\(id) " + Data(bytes).base64EncodedString()
    }
}

/// Why a key file cannot be used.
public struct KeyFileError: Error, Equatable, CustomStringConvertible {
    public var line: Int?
    public var reason: String

    public var description: String { line.map { "line \($0): \(reason)" } ?? reason }
}

/// The keys of a key file, oldest first; the last one seals new values.
public struct KeyRing: Sendable, Equatable {
    public let keys: [EncryptionKey]

    public init(keys: [EncryptionKey]) {
        precondition(!keys.isEmpty, "a key ring needs a key")
        self.keys = keys
    }

    public var current: EncryptionKey { keys[keys.count - 1] }

    public func key(id: String) -> EncryptionKey? { keys.first { $0.id == id } }

    /// Parses a key file: `ID BASE64` per line (a 32-byte key), `#` comments, blank lines.
    public static func parse(_ text: String) throws(KeyFileError) -> KeyRing {
        var keys: [EncryptionKey] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw KeyFileError(line: index + 1, reason: "expected 'ID BASE64-KEY', such as 'k1 …'")
            }
            guard let data = Data(base64Encoded: String(parts[1])), data.count == 32 else {
                throw KeyFileError(
                    line: index + 1,
                    reason: "key \(parts[0]) is not 32 bytes of base64; the file is damaged"
                )
            }
            let id = String(parts[0])
            if keys.contains(where: { $0.id == id }) {
                throw KeyFileError(line: index + 1, reason: "key \(id) appears twice")
            }
            keys.append(EncryptionKey(id: id, bytes: Array(data)))
        }
        guard !keys.isEmpty else { throw KeyFileError(line: nil, reason: "it holds no key") }
        return KeyRing(keys: keys)
    }

    /// The file's text.
    public func render() -> String {
        "# incidentd data-encryption keys: ID BASE64. The last one encrypts new values; keep the\n"
            + "# others until no value uses them. Never share or lose this file.\n"
            + keys.map(\.line).joined(separator: "\n") + "\n"
    }

    /// The ring with one more, newer key (`k` and the next number).
    public func rotated() -> KeyRing {
        let numbers = keys.compactMap { $0.id.hasPrefix("k") ? Int($0.id.dropFirst()) : nil }
        return KeyRing(keys: keys + [.generate(id: "k\((numbers.max() ?? 0) + 1)")])
    }
}

/// Why a sealed value cannot be opened.
public enum CipherError: Error, Equatable, CustomStringConvertible {
    /// The value names a key the ring does not hold.
    case unknownKey(String)
    /// Wrong key, a damaged value, or a value copied from another row or field.
    case authenticationFailed(keyID: String, context: String)
    case malformed

    public var description: String {
        switch self {
        case .unknownKey(let id): return "a value is encrypted under key \(id), which the key file does not hold"
        case .authenticationFailed(let id, let context):
            return
                "a value under key \(id) failed to decrypt for \(context): the key is wrong, or the value was damaged or moved"
        case .malformed: return "a stored encrypted value is malformed"
        }
    }
}

/// Seals text with AES-256-GCM: `enc1:KEYID:BASE64(nonce ‖ ciphertext ‖ tag)`. The associated
/// data is the value's context — its incident and field — so a ciphertext copied to another
/// row or field fails to open. Text without the prefix is legacy plaintext, passed through
/// (and re-encrypted in the background).
public struct FieldCipher: Sendable, Equatable {
    public static let prefix = "enc1:"
    public let ring: KeyRing

    public init(ring: KeyRing) {
        self.ring = ring
    }

    /// The context of an incident's field: `incident:UUID:FIELD`.
    public static func context(incident: UUID, field: String) -> String {
        "incident:\(incident.uuidString.lowercased()):\(field)"
    }

    public func seal(_ plaintext: String, context: String) -> String {
        Self.seal(plaintext, context: context, key: ring.current)
    }

    public static func seal(_ plaintext: String, context: String, key: EncryptionKey) -> String {
        // Sealing with a fresh random nonce cannot fail for a 256-bit key.
        let box = try! AES.GCM.seal(Data(plaintext.utf8), using: key.key, authenticating: Data(context.utf8))
        return prefix + key.id + ":" + box.combined!.base64EncodedString()
    }

    public func open(_ stored: String, context: String) throws(CipherError) -> String {
        guard let id = Self.keyID(of: stored) else { return stored }
        guard let key = ring.key(id: id) else { throw .unknownKey(id) }
        return try Self.open(stored, context: context, key: key)
    }

    public static func open(_ stored: String, context: String, key: EncryptionKey) throws(CipherError) -> String {
        let body = stored.dropFirst(prefix.count + key.id.count + 1)
        guard let data = Data(base64Encoded: String(body)), let box = try? AES.GCM.SealedBox(combined: data) else {
            throw .malformed
        }
        guard let plain = try? AES.GCM.open(box, using: key.key, authenticating: Data(context.utf8)) else {
            throw .authenticationFailed(keyID: key.id, context: context)
        }
        return String(decoding: plain, as: UTF8.self)
    }

    public static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// The id of the key a value is sealed under; nil for plaintext.
    public static func keyID(of stored: String) -> String? {
        guard stored.hasPrefix(prefix) else { return nil }
        let rest = stored.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return String(rest[..<colon])
    }

    /// A value that proves a key is the one the database's values were sealed with.
    public static func checkValue(for key: EncryptionKey) -> String {
        seal(checkPlaintext, context: "keycheck:\(key.id)", key: key)
    }

    public static func verify(checkValue: String, key: EncryptionKey) -> Bool {
        (try? open(checkValue, context: "keycheck:\(key.id)", key: key)) == checkPlaintext
    }

    static let checkPlaintext = "incidentd key check"
}

/// The cipher in use, swapped when the key file is reloaded (SIGHUP after a rotation).
public final class CipherBox: Sendable {
    private let cipher: Mutex<FieldCipher?>

    /// `nil`: encryption at rest is off (benchmarks only); values are stored as given.
    public init(_ cipher: FieldCipher?) {
        self.cipher = Mutex(cipher)
    }

    public var current: FieldCipher? { cipher.withLock { $0 } }

    public func replace(_ new: FieldCipher) {
        cipher.withLock { $0 = new }
    }

    public func seal(_ plaintext: String, context: String) -> String {
        current?.seal(plaintext, context: context) ?? plaintext
    }

    public func open(_ stored: String, context: String) throws(CipherError) -> String {
        guard let cipher = current else {
            if let id = FieldCipher.keyID(of: stored) { throw .unknownKey(id) }
            return stored
        }
        return try cipher.open(stored, context: context)
    }
}
