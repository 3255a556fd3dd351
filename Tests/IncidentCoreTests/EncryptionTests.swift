import Foundation
import Testing

@testable import IncidentCore

@Suite struct EncryptionTests {
    let ring = KeyRing(keys: [.generate(id: "k1"), .generate(id: "k2")])
    let incident = UUID()

    @Test func sealedTextOpensOnlyInItsOwnContext() throws {
        let cipher = FieldCipher(ring: ring)
        let context = FieldCipher.context(incident: incident, field: "description")
        let sealed = cipher.seal("Jane Doe, jane@example.com", context: context)
        #expect(sealed.hasPrefix("enc1:k2:"), "the newest key seals")
        #expect(!sealed.contains("Jane"))
        #expect(try cipher.open(sealed, context: context) == "Jane Doe, jane@example.com")
        #expect(
            cipher.seal("same", context: context) != cipher.seal("same", context: context),
            "a fresh nonce each time"
        )

        let otherRow = FieldCipher.context(incident: UUID(), field: "description")
        #expect(throws: CipherError.authenticationFailed(keyID: "k2", context: otherRow)) {
            try cipher.open(sealed, context: otherRow)
        }
        let otherField = FieldCipher.context(incident: incident, field: "note")
        #expect(throws: CipherError.authenticationFailed(keyID: "k2", context: otherField)) {
            try cipher.open(sealed, context: otherField)
        }
    }

    @Test func olderKeysStillOpenWhatTheySealedAndUnknownKeysAreNamed() throws {
        let old = FieldCipher(ring: KeyRing(keys: [ring.keys[0]]))
        let sealed = old.seal("before the rotation", context: "c")
        #expect(try FieldCipher(ring: ring).open(sealed, context: "c") == "before the rotation")
        let stranger = FieldCipher(ring: KeyRing(keys: [.generate(id: "k9")]))
        #expect(throws: CipherError.unknownKey("k1")) { try stranger.open(sealed, context: "c") }
        let impostor = FieldCipher(ring: KeyRing(keys: [.generate(id: "k1")]))
        #expect(throws: CipherError.authenticationFailed(keyID: "k1", context: "c")) {
            try impostor.open(sealed, context: "c")
        }
    }

    @Test func damagedValuesFailAndPlaintextPassesThrough() throws {
        let cipher = FieldCipher(ring: ring)
        var sealed = Array(cipher.seal("x", context: "c"))
        sealed[sealed.count - 3] = sealed[sealed.count - 3] == "A" ? "B" : "A"
        #expect(throws: CipherError.self) { try cipher.open(String(sealed), context: "c") }
        #expect(try cipher.open("written before encryption", context: "c") == "written before encryption")
    }

    @Test func keyFilesRoundTripAndRotate() throws {
        let parsed = try KeyRing.parse(ring.render())
        #expect(parsed == ring)
        #expect(parsed.current.id == "k2")
        let rotated = parsed.rotated()
        #expect(rotated.keys.map(\.id) == ["k1", "k2", "k3"])
        #expect(FieldCipher.verify(checkValue: FieldCipher.checkValue(for: ring.keys[0]), key: ring.keys[0]))
        #expect(!FieldCipher.verify(checkValue: FieldCipher.checkValue(for: ring.keys[0]), key: .generate(id: "k1")))
    }

    @Test(arguments: [
        ("", "it holds no key"),
        ("# only a comment\n", "it holds no key"),
        ("k1\n", "line 1: expected 'ID BASE64-KEY'"),
        ("k1 not-base64!\n", "line 1: key k1 is not 32 bytes"),
        ("k1 AAAA\n", "line 1: key k1 is not 32 bytes"),
        (
            "k1 \(Data(count: 32).base64EncodedString())\nk1 \(Data(count: 32).base64EncodedString())\n",
            "line 2: key k1 appears twice"
        ),
    ])
    func damagedKeyFilesAreNamed(text: String, message: String) {
        #expect {
            try KeyRing.parse(text)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}
