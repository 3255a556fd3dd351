import NIOCore
import NIOEmbedded
import Testing

@testable import Varlink

@Suite struct FrameDecoderTests {
    func decode(_ chunks: [String], limit: Int = 1024) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: limit)))
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(string: chunk))
        }
        var messages: [String] = []
        while let message = try channel.readInbound(as: ByteBuffer.self) {
            messages.append(String(buffer: message))
        }
        _ = try? channel.finish()
        return messages
    }

    @Test func splitsMessagesOnNUL() throws {
        #expect(try decode(["{\"a\":1}\0{\"b\":2}\0"]) == ["{\"a\":1}", "{\"b\":2}"])
    }

    @Test func waitsForTheTerminatorAcrossReads() throws {
        #expect(try decode(["{\"me", "thod\":", "\"x\"}\0"]) == ["{\"method\":\"x\"}"])
    }

    @Test func keepsAnIncompleteTailBuffered() throws {
        #expect(try decode(["{}\0{\"half"]) == ["{}"])
    }

    @Test func refusesAMessageOverTheLimitBeforeItEnds() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(VarlinkFrameDecoder(maximumMessageSize: 16)))
        #expect(throws: VarlinkProtocolError.self) {
            try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 17)))
        }
    }

    @Test func refusesACompleteMessageOverTheLimit() throws {
        var buffer = ByteBuffer(string: String(repeating: "x", count: 20) + "\0")
        #expect(throws: VarlinkProtocolError.self) {
            _ = try VarlinkFrameDecoder(maximumMessageSize: 16).nextMessage(&buffer)
        }
    }

    @Test func acceptsAMessageExactlyAtTheLimit() throws {
        var buffer = ByteBuffer(string: String(repeating: "x", count: 16) + "\0")
        let message = try VarlinkFrameDecoder(maximumMessageSize: 16).nextMessage(&buffer)
        #expect(message?.readableBytes == 16)
        #expect(buffer.readableBytes == 0)
    }
}
