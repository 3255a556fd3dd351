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
        var decoder = VarlinkFrameDecoder(maximumMessageSize: 16)
        #expect(throws: VarlinkProtocolError.self) { _ = try decoder.nextMessage(&buffer) }
    }

    @Test func acceptsAMessageExactlyAtTheLimit() throws {
        var buffer = ByteBuffer(string: String(repeating: "x", count: 16) + "\0")
        var decoder = VarlinkFrameDecoder(maximumMessageSize: 16)
        let message = try decoder.nextMessage(&buffer)
        #expect(message?.readableBytes == 16)
        #expect(buffer.readableBytes == 0)
    }

    /// Each read is searched once: the search resumes after the bytes already searched, so a
    /// message sent a byte at a time costs one pass, not one per byte (issue: a peer sending
    /// 1 MiB without a terminator stalled others for over a second).
    @Test func theSearchResumesWhereTheLastReadStopped() throws {
        var decoder = VarlinkFrameDecoder(maximumMessageSize: 64)
        var buffer = ByteBuffer(string: "{\"a\"")
        #expect(try decoder.nextMessage(&buffer) == nil)
        #expect(decoder.searched == 4)
        buffer.writeString(":1")
        #expect(try decoder.nextMessage(&buffer) == nil)
        #expect(decoder.searched == 6)
        buffer.writeString("}\0{}")
        #expect(try decoder.nextMessage(&buffer).map { String(buffer: $0) } == "{\"a\":1}")
        #expect(decoder.searched == 0, "a new message is searched from its start")
        #expect(try decoder.nextMessage(&buffer) == nil)
        buffer.writeString("\0")
        #expect(try decoder.nextMessage(&buffer).map { String(buffer: $0) } == "{}")
    }

    @Test func aMessageSentAByteAtATimeArrivesWhole() throws {
        let text = "{\"method\":\"io.incidentd.Incidents.List\",\"parameters\":{}}"
        #expect(try decode(text.map { String($0) } + ["\0"]) == [text])
    }
}
