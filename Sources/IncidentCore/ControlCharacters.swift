/// Control characters in text people typed: refused by the daemon where a field is one line,
/// replaced by incidentctl before anything from the daemon reaches a terminal.
///
/// A control character in a title is how an ordinary user would attack the terminal of the
/// manager who lists incidents: an escape sequence can move the cursor, rewrite what is on the
/// screen, set the window title or, on some terminals, answer back as if typed. Bidirectional
/// overrides can make text read differently from what it is.
public enum ControlCharacters {
    /// C0 (U+0000–U+001F), DEL, C1 (U+0080–U+009F), and the bidirectional embedding, override
    /// and isolate controls. With `multiLine`, newline and tab are text.
    public static func isControl(_ scalar: Unicode.Scalar, multiLine: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return !multiLine
        case 0x00...0x1F, 0x7F, 0x80...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// The first control character in `text`, if any.
    public static func first(in text: String, multiLine: Bool) -> Unicode.Scalar? {
        // Printable ASCII, the common case (and all of base64), holds none: one pass over bytes.
        let printableASCII = text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        }
        if printableASCII == true { return nil }
        return text.unicodeScalars.first { isControl($0, multiLine: multiLine) }
    }

    /// `text` with every control character replaced by a visible stand-in: the Unicode control
    /// picture for C0 and DEL (␛ for ESC), U+FFFD for the rest.
    public static func sanitized(_ text: String, multiLine: Bool) -> String {
        guard first(in: text, multiLine: multiLine) != nil else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar, multiLine: multiLine) else {
                result.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x00...0x1F: result.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F: result.append("\u{2421}")
            default: result.append("\u{FFFD}")
            }
        }
        return String(result)
    }

    /// How a refused character is named in an error: `U+001B`.
    public static func name(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
