import Foundation

/// Writes a POSIX tar archive (ustar, with a pax header for names longer than ustar holds),
/// one entry at a time, so an entry's content can be streamed in without being held whole.
/// Every entry is a regular file, mode 0600, owned by uid 0: an export bundle, not a backup.
struct TarWriter {
    private let handle: FileHandle
    private var pending: Int64 = 0
    private var written: Int64 = 0

    init(handle: FileHandle) {
        self.handle = handle
    }

    /// Writes a whole file.
    mutating func add(_ path: String, _ content: Data, modified: Date) throws {
        try begin(path, size: Int64(content.count), modified: modified)
        try write(content)
        try end()
    }

    /// Starts an entry of `size` bytes; ``write(_:)`` its content, then ``end()``.
    mutating func begin(_ path: String, size: Int64, modified: Date) throws {
        precondition(pending == 0, "the previous entry is not finished")
        let name = Array(path.utf8)
        if name.count > 100 {
            let record = Self.paxRecord("path", path)
            try handle.write(
                contentsOf: Self.header(
                    name: Array("PaxHeader".utf8),
                    size: Int64(record.count),
                    modified: modified,
                    type: "x"
                )
            )
            try handle.write(contentsOf: Self.padded(record))
        }
        try handle.write(
            contentsOf: Self.header(name: Array(name.prefix(100)), size: size, modified: modified, type: "0")
        )
        pending = size
        written = 0
    }

    mutating func write(_ data: Data) throws {
        precondition(written + Int64(data.count) <= pending, "more bytes than the entry's size")
        try handle.write(contentsOf: data)
        written += Int64(data.count)
    }

    mutating func end() throws {
        precondition(written == pending, "fewer bytes than the entry's size")
        let remainder = Int(pending % 512)
        if remainder != 0 { try handle.write(contentsOf: Data(count: 512 - remainder)) }
        pending = 0
        written = 0
    }

    /// The two empty blocks that end an archive.
    func finish() throws {
        try handle.write(contentsOf: Data(count: 1024))
    }

    /// `LEN key=value\n`, where LEN counts the whole record, itself included.
    static func paxRecord(_ key: String, _ value: String) -> Data {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Data("\(length)\(body)".utf8)
    }

    static func padded(_ data: Data) -> Data {
        let remainder = data.count % 512
        return remainder == 0 ? data : data + Data(count: 512 - remainder)
    }

    static func header(name: [UInt8], size: Int64, modified: Date, type: Character) -> Data {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) {
            for (index, byte) in bytes.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(0o600, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(Int64(modified.timeIntervalSince1970), width: 12), at: 136)
        put(Array(repeating: 0x20, count: 8), at: 148)
        block[156] = type.asciiValue!
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(Array("root".utf8), at: 265)
        put(Array("root".utf8), at: 297)
        let checksum = block.reduce(0) { $0 + Int64($1) }
        put(octal(checksum, width: 7) + [0x20], at: 148)
        return Data(block)
    }
}
