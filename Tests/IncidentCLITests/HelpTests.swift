import ArgumentParser
import Testing

@testable import IncidentCLI

/// Every command's --help has an example: people learn a command from one.
@Suite struct HelpTests {
    static func leaves(_ command: any ParsableCommand.Type, path: String = "incidentctl") -> [(String, any ParsableCommand.Type)] {
        let subcommands = command.configuration.subcommands
        if subcommands.isEmpty { return [(path, command)] }
        return subcommands.flatMap { leaves($0, path: path + " " + ($0.configuration.commandName ?? "?")) }
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
}
