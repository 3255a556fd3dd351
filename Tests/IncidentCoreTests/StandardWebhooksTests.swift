import Foundation
import Testing

@testable import IncidentCore

@Suite struct StandardWebhooksTests {
    /// The example from the Standard Webhooks specification's reference libraries.
    static let specSecret = WebhookSecret(fileText: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n")!

    @Test func signsTheSpecificationsExample() {
        let signature = StandardWebhooks.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8),
            secret: Self.specSecret
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func anyChangeToIdTimestampOrBodyChangesTheSignature() {
        let body = Array(#"{"event":"incident.reported"}"#.utf8)
        let base = StandardWebhooks.signature(id: "a", timestamp: 100, body: body, secret: Self.specSecret)
        #expect(StandardWebhooks.signature(id: "b", timestamp: 100, body: body, secret: Self.specSecret) != base)
        #expect(StandardWebhooks.signature(id: "a", timestamp: 101, body: body, secret: Self.specSecret) != base)
        #expect(
            StandardWebhooks.signature(id: "a", timestamp: 100, body: body + [0x20], secret: Self.specSecret) != base
        )
        #expect(
            StandardWebhooks.signature(id: "a", timestamp: 100, body: body, secret: WebhookSecret(key: [1, 2, 3]))
                != base
        )
    }

    @Test func headersCarryTheDeliveryIdAndTimestamp() {
        let headers = StandardWebhooks.headers(id: "d-1", timestamp: 42, body: [], secret: Self.specSecret)
        #expect(headers.map(\.0) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers[0].1 == "d-1")
        #expect(headers[1].1 == "42")
        #expect(headers[2].1.hasPrefix("v1,"))
    }

    @Test func secretFilesAreReadAsWhsecBase64OrRawText() {
        #expect(WebhookSecret(fileText: "whsec_AQID")?.key == [1, 2, 3])
        #expect(WebhookSecret(fileText: "  plain secret \n")?.key == Array("plain secret".utf8))
        #expect(WebhookSecret(fileText: " \n") == nil)
        #expect(WebhookSecret(fileText: "whsec_not base64!") == nil)
        #expect(!"\(WebhookSecret(key: Array("hunter2".utf8)))".contains("hunter2"))
    }

    @Test(arguments: [
        (200, StandardWebhooks.Verdict.delivered), (204, .delivered), (299, .delivered),
        (410, .disable), (404, .retry), (429, .retry), (500, .retry), (503, .retry), (301, .retry),
    ])
    func answersMapToVerdicts(status: Int, verdict: StandardWebhooks.Verdict) {
        #expect(StandardWebhooks.verdict(status: status) == verdict)
    }
}
