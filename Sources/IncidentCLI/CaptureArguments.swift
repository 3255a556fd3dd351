import IncidentProtocol

/// `--set name=value`, the one place incidentctl reads captures: split into names and text,
/// then typed by the playbook's field types from the case file (`fieldTypes`), so the daemon
/// receives JSON of each field's type.
struct CaptureArguments {
    /// The fields given, in order, as typed.
    let texts: [(name: String, text: String)]

    init(_ arguments: [String]) throws {
        texts = try arguments.map { argument in
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw CLIError("--set \(argument) must look like name=value.", status: .usage)
            }
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
    }

    var isEmpty: Bool { texts.isEmpty }

    /// Each value typed by `types`, and the counts written as estimates (`~1200`). A field the
    /// case file does not type goes as text, for the daemon to say it is no field of the playbook.
    func typed(by types: [String: CaptureType]) throws -> (captures: [String: CaptureValue], estimated: [String]) {
        var captures: [String: CaptureValue] = [:]
        var estimated: [String] = []
        for (name, text) in texts {
            guard let type = types[name] else {
                captures[name] = .text(text)
                continue
            }
            guard let (value, estimate) = CaptureValue.parse(text, as: type) else {
                throw CLIError("--set \(name)=\(text) is not a value of \(name): give \(type.example).", status: .usage)
            }
            captures[name] = value
            if estimate { estimated.append(name) }
        }
        return (captures, estimated)
    }
}
