import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// Splits the byte stream into Varlink messages, each terminated by a NUL byte.
///
/// A message longer than `maximumMessageSize` is a protocol error: the decoder throws
/// ``VarlinkProtocolError`` with code `messageTooLarge` as soon as it has seen that many bytes
/// without a terminator, so a client cannot make the server buffer without bound.
///
/// The search for the terminator resumes where the last read left off: a peer that sends a
/// large message in many small pieces costs one pass over its bytes, not one per piece.
public struct VarlinkFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public static let defaultMaximumMessageSize = 1 << 20

    public let maximumMessageSize: Int
    /// How many of the buffer's readable bytes are known to hold no terminator.
    private(set) var searched = 0

    public init(maximumMessageSize: Int = Self.defaultMaximumMessageSize) {
        self.maximumMessageSize = maximumMessageSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try nextMessage(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        // A half-sent message at EOF is dropped: the peer is gone and cannot get a reply.
        while let message = try nextMessage(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(message))
        }
        buffer.clear()
        return .needMoreData
    }

    /// The next complete message in `buffer` (without its NUL), consuming it; nil if incomplete.
    /// `buffer` must be the same one each time, only ever appended to between calls, as a
    /// channel's cumulation buffer is.
    public mutating func nextMessage(_ buffer: inout ByteBuffer) throws(VarlinkProtocolError) -> ByteBuffer? {
        let from = min(searched, buffer.readableBytes)
        // memchr: the bytes are searched at memory speed, not one Swift comparison at a time.
        let found: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, bytes.count > from,
                let hit = memchr(base + from, 0, bytes.count - from)
            else { return nil }
            return UnsafeRawPointer(hit) - base
        }
        guard let length = found else {
            searched = buffer.readableBytes
            if searched > maximumMessageSize { throw Self.tooLarge(maximumMessageSize) }
            return nil
        }
        searched = 0
        if length > maximumMessageSize { throw Self.tooLarge(maximumMessageSize) }
        let message = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        return message
    }

    static func tooLarge(_ limit: Int) -> VarlinkProtocolError {
        VarlinkProtocolError(code: .messageTooLarge, reason: "a message is larger than the limit of \(limit) bytes")
    }
}
