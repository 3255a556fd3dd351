import Crypto
import Foundation

/// A webhook's signing key. Written in its file as Standard Webhooks prints them
/// (`whsec_` and base64) or as any other text, whose bytes are then the key.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    public let key: [UInt8]

    public init(key: [UInt8]) {
        self.key = key
    }

    /// Reads a secret from a file's text; nil if it is empty or a `whsec_` value is not base64.
    public init?(fileText: String) {
        let text = fileText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("whsec_") {
            guard let data = Data(base64Encoded: String(text.dropFirst("whsec_".count))), !data.isEmpty else {
                return nil
            }
            key = Array(data)
        } else {
            key = Array(text.utf8)
        }
    }

    /// Never the key: configurations are printed in logs and errors.
    public var description: String { "WebhookSecret(\(key.count) bytes)" }
}

/// Standard Webhooks (https://www.standardwebhooks.com): the headers that let a receiver
/// check a message came from us, unchanged, recently — and which answers mean what.
public enum StandardWebhooks {
    /// The signature of one message: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
    public static func signature(id: String, timestamp: Int, body: [UInt8], secret: WebhookSecret) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret.key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three headers: `webhook-id` is the delivery's id, the same on every attempt, so
    /// receivers can drop repeats.
    public static func headers(id: String, timestamp: Int, body: [UInt8], secret: WebhookSecret) -> [(String, String)] {
        [
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature(id: id, timestamp: timestamp, body: body, secret: secret)),
        ]
    }

    /// What an HTTP answer means for a delivery.
    public enum Verdict: Sendable, Equatable {
        case delivered
        /// 410 Gone: the receiver asks never to be called again.
        case disable
        case retry
    }

    public static func verdict(status: Int) -> Verdict {
        switch status {
        case 200..<300: .delivered
        case 410: .disable
        default: .retry
        }
    }
}
