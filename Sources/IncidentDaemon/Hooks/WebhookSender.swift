import AsyncHTTPClient
import Foundation
import IncidentCore
import NIOCore
import NIOHTTP1

/// The result of one webhook POST.
struct WebhookResult: Sendable {
    var verdict: StandardWebhooks.Verdict
    /// Why it did not count as delivered, in words for `incidentctl hooks`.
    var error: String
    /// The status line and the start of the answer's body, kept with the attempt.
    var output: String
}

/// Sends webhook deliveries: an HTTP POST of the event's JSON, signed as Standard Webhooks
/// describes, with the delivery's id as `webhook-id` so receivers can drop repeats. Redirects
/// are not followed: a receiver that moved is an error to fix, not a place to send data to.
struct WebhookSender: Sendable {
    static let outputLimit = 16 * 1024

    private let client: HTTPClient

    init() {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout.connect = .seconds(10)
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    func send(
        url: String,
        secret: WebhookSecret,
        id: String,
        body: [UInt8],
        timeout: Duration,
        now: Date = Date()
    ) async -> WebhookResult {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "incidentd/\(IncidentdVersion.current)")
        for (name, value) in StandardWebhooks.headers(
            id: id,
            timestamp: Int(now.timeIntervalSince1970),
            body: body,
            secret: secret
        ) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(
                request,
                timeout: .nanoseconds(
                    Int64(timeout.components.seconds) * 1_000_000_000
                        + timeout.components.attoseconds / 1_000_000_000
                )
            )
            var answer = ByteBuffer()
            for try await var chunk in response.body {
                let room = Self.outputLimit - answer.readableBytes
                if room <= 0 { continue }
                answer.writeBuffer(&chunk)
                if answer.readableBytes > Self.outputLimit {
                    answer.moveWriterIndex(to: answer.readerIndex + Self.outputLimit)
                }
            }
            let status = Int(response.status.code)
            let output =
                "HTTP \(status) \(response.status.reasonPhrase)\n"
                + String(decoding: answer.readableBytesView, as: UTF8.self)
            let verdict = StandardWebhooks.verdict(status: status)
            let error: String
            switch verdict {
            case .delivered: error = ""
            case .disable: error = "the receiver answered HTTP 410 Gone"
            case .retry: error = "the receiver answered HTTP \(status) \(response.status.reasonPhrase)"
            }
            return WebhookResult(verdict: verdict, error: error, output: output)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return WebhookResult(verdict: .retry, error: "timed out after \(timeout)", output: "")
        } catch {
            return WebhookResult(verdict: .retry, error: "could not reach \(url): \(error)", output: "")
        }
    }
}
