import Foundation

/// A directory under /tmp, short enough for Unix socket paths, removed on `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL
    public var path: String { url.path }

    public init(prefix: String = "idt") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw TestSetupError("cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        url = URL(fileURLWithPath: String(cString: created))
        chmod(url.path, 0o755)
    }

    public func appending(_ component: String) -> String {
        url.appendingPathComponent(component).path
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
