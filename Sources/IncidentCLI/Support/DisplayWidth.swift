import Foundation
import Glibc

/// How many terminal columns text takes: East Asian wide and fullwidth characters and emoji
/// two, combining marks and other zero-width characters none, colour codes none, the rest
/// one — what glibc's `wcwidth` says under a UTF-8 locale, without needing one installed (many
/// servers have only C.UTF-8). A character (grapheme cluster) takes at most two.
enum DisplayWidth {
    static func of(_ text: some StringProtocol) -> Int {
        var width = 0
        var inEscape = false
        for character in text {
            if inEscape {
                if character == "m" { inEscape = false }
                continue
            }
            if character == "\u{1B}" {
                inEscape = true
                continue
            }
            width += of(character)
        }
        return width
    }

    static func of(_ character: Character) -> Int {
        var scalars = character.unicodeScalars.makeIterator()
        guard let first = scalars.next() else { return 0 }
        var width = of(first)
        while let scalar = scalars.next() {
            // An emoji presentation selector or a keycap makes the cluster wide.
            if scalar.value == 0xFE0F || scalar.value == 0x20E3 { width = 2 }
            width += of(scalar) == 2 ? 2 : 0
        }
        return min(width, 2)
    }

    static func of(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        if value < 0x300 { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if (0x1160...0x11FF).contains(value) { return 0 }  // Hangul medial vowels and final consonants
        if scalar.properties.isEmojiPresentation { return 2 }
        return wide.contains { $0.contains(value) } ? 2 : 1
    }

    /// East Asian Wide (W) and Fullwidth (F) ranges of Unicode's EastAsianWidth.txt.
    static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
        0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19,
        0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18AFF,
        0x1B000...0x1B2FF, 0x1F200...0x1F2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    /// `text` in lines of at most `width` columns, the first after `first`, the rest after
    /// `rest`. Lines break at spaces, and on either side of a wide character as Chinese and
    /// Japanese text breaks; a word longer than a line stands alone on it.
    static func wrap(_ text: String, first: String, rest: String, width: Int = 80) -> [String] {
        var lines: [String] = []
        var line = first
        var empty = true
        for (unit, spaced) in breakableUnits(text) {
            let gap = spaced && !empty ? " " : ""
            if !empty, of(line) + of(gap) + of(unit) > width {
                lines.append(line)
                line = rest + unit
            } else {
                line += gap + unit
            }
            empty = false
        }
        lines.append(line)
        return lines
    }

    /// The pieces a line may break between: words between spaces, and each wide character
    /// alone; `spaced` when a space came before it.
    private static func breakableUnits(_ text: String) -> [(unit: String, spaced: Bool)] {
        var units: [(unit: String, spaced: Bool)] = []
        var word = ""
        var wordSpaced = false
        var space = false
        func flush() {
            if !word.isEmpty { units.append((word, wordSpaced)) }
            word = ""
        }
        for character in text {
            if character == " " {
                flush()
                space = true
            } else if of(character) == 2 {
                flush()
                units.append((String(character), space))
                space = false
            } else {
                if word.isEmpty { wordSpaced = space }
                word.append(character)
                space = false
            }
        }
        flush()
        return units
    }

    /// `text` cut to at most `width` columns at a character boundary, ending with `…` when cut.
    static func truncate(_ text: String, to width: Int) -> String {
        guard of(text) > width else { return text }
        guard width > 0 else { return "" }
        var result = ""
        var used = 0
        var inEscape = false
        for character in text {
            if inEscape || character == "\u{1B}" {
                result.append(character)
                inEscape = character == "m" ? false : true
                continue
            }
            let next = of(character)
            if used + next > width - 1 { break }
            result.append(character)
            used += next
        }
        // A cut colour code is closed, so the ellipsis and what follows are not coloured.
        return result + (result.contains("\u{1B}[") ? "\u{1B}[0m" : "") + "…"
    }

    /// `text` padded with spaces to `width` columns.
    static func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - of(text)))
    }

    /// The width layouts fit: the terminal's (TIOCGWINSZ on standard output), else `COLUMNS`,
    /// else 100 when standard output is not a terminal.
    static func terminal(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        terminalColumns: Int? = standardOutputColumns()
    ) -> Int {
        if let terminalColumns { return terminalColumns }
        if let columns = environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 100
    }

    /// Standard output's terminal width, or nil when it is not a terminal.
    static func standardOutputColumns() -> Int? {
        var size = winsize()
        guard isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0
        else { return nil }
        return Int(size.ws_col)
    }
}
