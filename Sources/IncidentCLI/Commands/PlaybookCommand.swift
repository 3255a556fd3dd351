import ArgumentParser
import Foundation
import IncidentCore
import IncidentProtocol

struct PlaybookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playbook",
        abstract: "Validate, list and show playbooks.",
        subcommands: [
            PlaybookValidateCommand.self, PlaybookListCommand.self, PlaybookShowCommand.self,
            PlaybookReloadCommand.self,
        ]
    )
}

struct PlaybookValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check playbook files offline, without a daemon; every problem with file:line:column.",
        discussion: """
            The files are checked as one set (unique names, exactly one default) unless
            --each. A directory stands for the .yaml and .yml files in it, as the daemon
            reads them.
            Examples:
              incidentctl playbook validate /etc/incidentd/playbooks/
              incidentctl playbook validate --each my-draft.yaml
            """
    )

    @Argument(help: "Playbook files (YAML), or directories of them.") var files: [String]
    @Flag(name: .long, help: "Check each file on its own, not as a set.") var each = false
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        var sources: [(file: String, text: String)] = []
        var paths: [String] = []
        for file in files {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: file)) ?? []
                paths += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (file as NSString).appendingPathComponent($0) }
            } else {
                paths.append(file)
            }
        }
        for file in paths {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw CLIError("Cannot read \(file); check the path and its permissions.", status: .usage)
            }
            sources.append((file, text))
        }
        let started = ContinuousClock.now
        var problems: [PlaybookProblem] = []
        var valid: [Playbook] = []
        if each {
            for source in sources {
                switch PlaybookLoader.loadFile(source.text, file: source.file) {
                case .success(let playbook): valid.append(playbook)
                case .failure(let error): problems += error.problems
                }
            }
        } else {
            switch PlaybookLoader.loadSet(sources) {
            case .success(let playbooks): valid = playbooks
            case .failure(let error): problems = error.problems
            }
        }
        let elapsed = ContinuousClock.now - started
        if json {
            printOut(try Output.json(["valid": valid.map(\.name), "problems": problems.map(\.description)]))
        } else if problems.isEmpty {
            for playbook in valid {
                printOut(
                    "\(playbook.name) \(playbook.version): valid, \(playbook.allTasks.count) tasks (\(playbook.digest.prefix(12)))"
                )
            }
            printOut(
                "\(valid.count) playbook\(valid.count == 1 ? "" : "s") valid in \(elapsed.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1))))."
            )
        } else {
            for problem in problems { printOut(problem.description) }
        }
        if !problems.isEmpty {
            throw CLIError(
                "\(problems.count) problem\(problems.count == 1 ? "" : "s") found; fix them and validate again.",
                status: .failure
            )
        }
    }
}

struct PlaybookListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the daemon's running playbooks.",
        discussion: "Example:\n  incidentctl playbook list"
    )
    @OptionGroup var global: GlobalOptions

    func run() throws {
        var connection = global.connection()
        let reply = try connection.call(Methods.Playbooks.list, PlaybooksWire.ListParameters(), retries: 2)
        if global.json {
            printOut(try Output.json(reply))
            return
        }
        var rows: [[String]] = [["NAME", "VERSION", "TASKS", "DIGEST", "TITLE"]]
        for playbook in reply.playbooks {
            rows.append([
                playbook.name + (playbook.isDefault ? " (default)" : ""), playbook.version, String(playbook.tasks),
                String(playbook.digest.prefix(12)), playbook.title,
            ])
        }
        printOut(Output().columns(rows))
    }
}

struct PlaybookShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a running playbook's YAML.",
        discussion: "Example:\n  incidentctl playbook show customer-data-breach"
    )
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The playbook's name.") var name: String

    func run() throws {
        var connection = global.connection()
        let reply = try connection.call(Methods.Playbooks.get, PlaybooksWire.GetParameters(name: name), retries: 2)
        printOut(global.json ? try Output.json(reply) : reply.source)
    }
}

struct PlaybookReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the daemon load its playbooks again (admins); a broken set is refused.",
        discussion:
            "Validate first, then reload:\n  incidentctl playbook validate /etc/incidentd/playbooks/*.yaml\n\nExample:\n  incidentctl playbook reload"
    )
    @OptionGroup var global: GlobalOptions

    func run() throws {
        var connection = global.connection()
        let reply = try connection.call(Methods.Playbooks.reload, PlaybooksWire.ReloadParameters())
        printOut(global.json ? try Output.json(reply) : "Reloaded \(reply.playbooks.count) playbooks.")
    }
}
