// Compiles gettext `.po` catalogues into Swift source at build time (run by the
// CompileCatalogs plugin), so that incidentctl carries its translations inside the binary and
// needs neither the system's gettext nor a generated locale.
//
//   compile-catalogs OUTPUT.swift zh_CN.po [more.po …]
//
// Each catalogue's file name (without `.po`) is its language. Only translated entries are
// kept: an empty or fuzzy `msgstr` falls back to English. A malformed file fails the build
// with its name and line.

import Foundation

struct CatalogueError: Error, CustomStringConvertible {
    var file: String
    var line: Int
    var reason: String
    var description: String { "\(file):\(line): \(reason)" }
}

/// The entries of one `.po` file: `msgid` → `msgstr`, translated and not fuzzy ones only.
func parse(_ text: String, file: String) throws -> [String: String] {
    var entries: [String: String] = [:]
    var id: String?
    var translation: String?
    var fuzzy = false
    var field: String?

    func finish() {
        if let id, let translation, !id.isEmpty, !translation.isEmpty, !fuzzy { entries[id] = translation }
        id = nil
        translation = nil
        fuzzy = false
        field = nil
    }

    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = raw.trimmingCharacters(in: .whitespaces)
        let number = index + 1
        if line.isEmpty {
            finish()
        } else if line.hasPrefix("#,") {
            if line.contains("fuzzy") { fuzzy = true }
        } else if line.hasPrefix("#") {
            continue
        } else if line.hasPrefix("msgid ") {
            if id != nil { finish() }
            id = try quoted(line.dropFirst(6), file: file, line: number)
            field = "msgid"
        } else if line.hasPrefix("msgstr ") {
            guard id != nil else { throw CatalogueError(file: file, line: number, reason: "msgstr without msgid") }
            translation = try quoted(line.dropFirst(7), file: file, line: number)
            field = "msgstr"
        } else if line.hasPrefix("\"") {
            let more = try quoted(Substring(line), file: file, line: number)
            switch field {
            case "msgid": id! += more
            case "msgstr": translation! += more
            default: throw CatalogueError(file: file, line: number, reason: "a string outside msgid or msgstr")
            }
        } else if line.hasPrefix("msgctxt") || line.hasPrefix("msgid_plural") || line.hasPrefix("msgstr[") {
            throw CatalogueError(file: file, line: number, reason: "contexts and plural forms are not used here")
        } else {
            throw CatalogueError(file: file, line: number, reason: "not a .po line: \(line)")
        }
    }
    finish()
    return entries
}

/// The text of a C string literal: `"…"` with \n, \t, \" and \\ escapes.
func quoted(_ literal: Substring, file: String, line: Int) throws -> String {
    let literal = literal.trimmingCharacters(in: .whitespaces)
    guard literal.count >= 2, literal.hasPrefix("\""), literal.hasSuffix("\"") else {
        throw CatalogueError(file: file, line: line, reason: "expected a quoted string")
    }
    var result = ""
    var escaped = false
    for character in literal.dropFirst().dropLast() {
        if escaped {
            switch character {
            case "n": result.append("\n")
            case "t": result.append("\t")
            case "\"", "\\": result.append(character)
            default: throw CatalogueError(file: file, line: line, reason: "unknown escape \\\(character)")
            }
            escaped = false
        } else if character == "\\" {
            escaped = true
        } else {
            result.append(character)
        }
    }
    guard !escaped else { throw CatalogueError(file: file, line: line, reason: "a string ends in a backslash") }
    return result
}

/// `text` as a Swift string literal.
func literal(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: compile-catalogs OUTPUT.swift CATALOGUE.po …\n".utf8))
    exit(64)
}
var source = """
    // Generated at build time by compile-catalogs from the .po files beside it; do not edit.

    /// Translations by language (the catalogue's file name), English text → translated text.
    let compiledCatalogues: [String: [String: String]] = [

    """
do {
    for path in arguments.dropFirst().sorted() {
        let language = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let entries = try parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        source += "    \(literal(language)): [\n"
        for key in entries.keys.sorted() { source += "        \(literal(key)): \(literal(entries[key]!)),\n" }
        source += "    ],\n"
    }
    source += "]\n"
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("compile-catalogs: \(error)\n".utf8))
    exit(1)
}
