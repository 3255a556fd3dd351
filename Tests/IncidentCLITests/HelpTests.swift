import ArgumentParser
import Foundation
import Testing

@testable import IncidentCLI

/// Every command's --help: it has an example, each example line is one incidentctl accepts,
/// and the whole text is kept as a snapshot (Snapshots/help/), so a change to it is seen in
/// review. Record again with INCIDENTD_RECORD_SNAPSHOTS=1.
@Suite struct HelpTests {
    static func leaves(
        _ command: any ParsableCommand.Type,
        path: String = "incidentctl"
    ) -> [(String, any ParsableCommand.Type)] {
        let subcommands = command.configuration.subcommands
        if subcommands.isEmpty { return [(path, command)] }
        return subcommands.flatMap { leaves($0, path: path + " " + ($0.configuration.commandName ?? "?")) }
    }

    /// Every command, groups included, with its path.
    static func all(
        _ command: any ParsableCommand.Type,
        path: String = "incidentctl"
    ) -> [(String, any ParsableCommand.Type)] {
        [(path, command)]
            + command.configuration.subcommands.flatMap {
                all($0, path: path + " " + ($0.configuration.commandName ?? "?"))
            }
    }

    @Test func everyCommandHasAnAbstractAndAnExample() {
        let commands = Self.leaves(IncidentCtl.self)
        #expect(commands.count >= 25)
        for (path, command) in commands {
            let help = command.configuration.discussion + "\n" + (command.configuration.commandName ?? "")
            #expect(!command.configuration.abstract.isEmpty, "\(path) has no abstract")
            #expect(help.contains("Example") && help.contains(path), "\(path) --help has no example of itself")
        }
    }

    /// A discussion is written as it is shown, at most 80 columns a line: a longer line is a
    /// mistake, such as a Swift `\` line continuation that joined an example's two lines.
    @Test func everyDiscussionLineFitsEightyColumns() {
        for (path, command) in Self.all(IncidentCtl.self) {
            for line in command.configuration.discussion.split(separator: "\n") {
                #expect(line.count <= 80, "\(path): a discussion line of \(line.count) columns: \(line)")
            }
        }
    }

    /// The example command lines of a discussion: those that start with `incidentctl `, with
    /// their `\` continuations joined, up to a pipe, a redirection or a note in parentheses.
    /// Prose that names a command ("see incidentctl timeline).") is not an example.
    static func examples(in discussion: String) -> [String] {
        var examples: [String] = []
        var pending: String?
        for raw in discussion.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if var joined = pending {
                joined += " " + line
                pending = joined.hasSuffix("\\") ? String(joined.dropLast()) : nil
                if pending == nil { examples.append(joined) }
                continue
            }
            guard line.hasPrefix("incidentctl "), !line.hasSuffix("."), !line.hasSuffix(")") || line.contains("  (")
            else {
                continue
            }
            if line.hasSuffix("\\") { pending = String(line.dropLast()) } else { examples.append(line) }
        }
        return examples.map { example in
            var command = example
            for cut in [" | ", " > ", "  ("] {
                if let range = command.range(of: cut) { command = String(command[..<range.lowerBound]) }
            }
            return command.trimmingCharacters(in: .whitespaces)
        }
    }

    /// Splits an example as a shell would: words, with "double" and 'single' quotes.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    @Test func everyExampleLineIsACommandIncidentctlAccepts() throws {
        var checked = 0
        for (path, command) in Self.all(IncidentCtl.self) {
            for example in Self.examples(in: command.configuration.discussion) {
                let arguments = Array(Self.words(example).dropFirst())
                // A placeholder such as FILE or REF stays a word; parsing checks names and values.
                #expect(throws: Never.self, "\(path): \(example)") { _ = try IncidentCtl.parseAsRoot(arguments) }
                checked += 1
            }
        }
        #expect(checked >= 25, "only \(checked) examples found")
    }

    @Test func everyHelpMatchesItsSnapshot() throws {
        for (path, command) in Self.all(IncidentCtl.self) {
            let help = IncidentCtl.helpMessage(for: command, columns: 80)
            let name = path.replacingOccurrences(of: " ", with: "-")
            try OutputSnapshotTests.assertSnapshot(help, named: "help/\(name)")
        }
    }
}
