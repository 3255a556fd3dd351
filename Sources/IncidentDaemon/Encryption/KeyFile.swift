import Foundation
import Glibc
import IncidentCore
import IncidentStore

/// Why incidentd cannot use its key file: one sentence naming the file and what to do.
public struct KeyFileProblem: Error, CustomStringConvertible {
    public var description: String
}

/// The data-encryption key file: created on first start (mode 0600, readable only by the
/// daemon's user), refused when others may read it, checked against the keys the database's
/// values were sealed with. incidentd never falls back to storing plaintext: any problem
/// here stops the start.
public enum KeyFile {
    /// Reads the key ring from `path`, creating the file with one new key if it does not exist
    /// and `mayCreate` (the database holds no sealed value yet).
    public static func load(path: String, mayCreate: Bool) throws(KeyFileProblem) -> KeyRing {
        let data: [UInt8]
        switch SecretFile.read(path, sharing: .daemonOnly) {
        case .success(let bytes):
            data = bytes
        case .failure(.missing):
            guard mayCreate else {
                throw KeyFileProblem(
                    description:
                        "the key file \(path) is missing, but this database holds values encrypted under its keys; "
                        + "restore the key file from your backup (a new key cannot read them)"
                )
            }
            let ring = KeyRing(keys: [.generate(id: "k1")])
            try write(ring, to: path, exclusive: true)
            return ring
        case .failure(let problem):
            throw KeyFileProblem(description: "the key file \(problem.sentence(path))")
        }
        do {
            return try KeyRing.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw KeyFileProblem(description: "the key file \(path) is damaged: \(error); restore it from your backup")
        }
    }

    /// Writes the ring: to a new file (mode 0600), or replacing the old one atomically.
    public static func write(_ ring: KeyRing, to path: String, exclusive: Bool) throws(KeyFileProblem) {
        if case .failure(let problem) = SecretFile.write(ring.render(), to: path, exclusive: exclusive) {
            throw KeyFileProblem(description: "the key file: \(problem)")
        }
    }

    /// Adds a new key that seals new values from the next (re)start or reload; the older ones
    /// stay, to open what they sealed until the daemon has re-encrypted it.
    public static func rotate(path: String) throws(KeyFileProblem) -> EncryptionKey {
        let ring = try load(path: path, mayCreate: false).rotated()
        try write(ring, to: path, exclusive: false)
        return ring.current
    }

    /// Loads the key file for a database: creates it only if no value was ever sealed there,
    /// requires every key the database knows and checks it is the same key, then records the
    /// new ones.
    static func open(path: String, keys: EncryptionKeyStore) async throws -> KeyRing {
        let known = try await keys.checkValues()
        let ring = try load(path: path, mayCreate: known.isEmpty)
        for (id, check) in known.map({ ($0.id, $0.checkValue) }) {
            guard let key = ring.key(id: id) else {
                throw KeyFileProblem(
                    description: "the key file \(path) lacks key \(id), under which this database holds values; "
                        + "restore the key file from your backup"
                )
            }
            guard FieldCipher.verify(checkValue: check, key: key) else {
                throw KeyFileProblem(
                    description: "key \(id) in \(path) is not the key this database's values were encrypted with "
                        + "(its check value there begins \(check.prefix(16))…, which this key does not open); "
                        + "restore the key file that was backed up with this database"
                )
            }
        }
        for key in ring.keys where !known.contains(where: { $0.id == key.id }) {
            try await keys.record(id: key.id, checkValue: FieldCipher.checkValue(for: key))
        }
        return ring
    }
}
