/// The type of a Varlink value, as written in an interface description.
public indirect enum VarlinkType: Sendable, Equatable {
    case bool
    case int
    case float
    case string
    /// Any JSON object (`object` in the IDL).
    case object
    case enumeration([String])
    case structure([VarlinkField])
    /// A type declared with `type Name …` in the same interface.
    case named(String)
    case optional(VarlinkType)
    case array(VarlinkType)
    case map(VarlinkType)
}

/// A named member of a struct, a method's input or output, or an error's parameters.
public struct VarlinkField: Sendable, Equatable {
    public var name: String
    public var type: VarlinkType
    public var doc: String?

    public init(_ name: String, _ type: VarlinkType, doc: String? = nil) {
        self.name = name
        self.type = type
        self.doc = doc
    }
}

/// One Varlink interface: its types, methods and errors, its IDL text, and the checks that
/// hold incoming parameters to it.
public struct VarlinkInterface: Sendable {
    public struct TypeDeclaration: Sendable {
        public var name: String
        public var type: VarlinkType
        public var doc: String?

        public init(_ name: String, _ type: VarlinkType, doc: String? = nil) {
            self.name = name
            self.type = type
            self.doc = doc
        }
    }

    public struct Method: Sendable {
        public var name: String
        public var input: [VarlinkField]
        public var output: [VarlinkField]
        public var doc: String?

        public init(_ name: String, input: [VarlinkField] = [], output: [VarlinkField] = [], doc: String? = nil) {
            self.name = name
            self.input = input
            self.output = output
            self.doc = doc
        }
    }

    public struct ErrorDeclaration: Sendable {
        public var name: String
        public var parameters: [VarlinkField]
        public var doc: String?

        public init(_ name: String, parameters: [VarlinkField] = [], doc: String? = nil) {
            self.name = name
            self.parameters = parameters
            self.doc = doc
        }
    }

    public var name: String
    public var doc: String?
    public var types: [TypeDeclaration]
    public var methods: [Method]
    public var errors: [ErrorDeclaration]

    public init(
        name: String,
        doc: String? = nil,
        types: [TypeDeclaration] = [],
        methods: [Method] = [],
        errors: [ErrorDeclaration] = []
    ) {
        self.name = name
        self.doc = doc
        self.types = types
        self.methods = methods
        self.errors = errors
    }

    public func method(named name: String) -> Method? {
        methods.first { $0.name == name }
    }

    // MARK: Interface description

    /// The interface description in Varlink's IDL, as `GetInterfaceDescription` returns it.
    public var description: String {
        var lines: [String] = []
        func comment(_ doc: String?, indent: String = "") {
            guard let doc else { return }
            for line in doc.split(separator: "\n", omittingEmptySubsequences: false) {
                lines.append(line.isEmpty ? "\(indent)#" : "\(indent)# \(line)")
            }
        }
        comment(doc)
        lines.append("interface \(name)")
        for declaration in types {
            lines.append("")
            comment(declaration.doc)
            lines.append("type \(declaration.name) \(Self.render(declaration.type, multiline: true))")
        }
        for method in methods {
            lines.append("")
            comment(method.doc)
            lines.append(
                "method \(method.name)\(Self.renderFields(method.input, multiline: false)) -> "
                    + Self.renderFields(method.output, multiline: false)
            )
        }
        for error in errors {
            lines.append("")
            comment(error.doc)
            lines.append("error \(error.name) \(Self.renderFields(error.parameters, multiline: false))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func render(_ type: VarlinkType, multiline: Bool = false) -> String {
        switch type {
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .object: return "object"
        case .enumeration(let cases):
            return multiline && cases.count > 3
                ? "(\n" + cases.map { "  \($0)" }.joined(separator: ",\n") + "\n)"
                : "(" + cases.joined(separator: ", ") + ")"
        case .structure(let fields): return renderFields(fields, multiline: multiline)
        case .named(let name): return name
        case .optional(let inner): return "?" + render(inner)
        case .array(let inner): return "[]" + render(inner)
        case .map(let inner): return "[string]" + render(inner)
        }
    }

    static func renderFields(_ fields: [VarlinkField], multiline: Bool) -> String {
        guard !fields.isEmpty else { return "()" }
        if !multiline && fields.count <= 3 && fields.allSatisfy({ $0.doc == nil }) {
            return "(" + fields.map { "\($0.name): \(render($0.type))" }.joined(separator: ", ") + ")"
        }
        var lines: [String] = []
        for (index, field) in fields.enumerated() {
            if let doc = field.doc {
                for line in doc.split(separator: "\n") { lines.append("  # \(line)") }
            }
            lines.append("  \(field.name): \(render(field.type))" + (index < fields.count - 1 ? "," : ""))
        }
        return "(\n" + lines.joined(separator: "\n") + "\n)"
    }

    // MARK: Validation

    /// Checks call parameters against a method's input: every required field present, no
    /// unknown field, every value of its declared type. Throws `InvalidParameter` naming the
    /// first offending parameter (dotted for nested fields: `filter.phase`).
    public func validate(_ parameters: [String: JSONValue], for method: Method) throws(VarlinkError) {
        try validate(fields: method.input, object: parameters, path: "")
    }

    /// Checks a reply against a method's output the same way: what clients (and incidentctl's
    /// `--json`) may rely on.
    public func validate(reply parameters: [String: JSONValue], for method: Method) throws(VarlinkError) {
        try validate(fields: method.output, object: parameters, path: "")
    }

    /// Checks a value against one of this interface's named types.
    public func validate(_ value: JSONValue, asType name: String) throws(VarlinkError) {
        try validate(value, as: .named(name), path: name)
    }

    private func validate(fields: [VarlinkField], object: [String: JSONValue], path: String) throws(VarlinkError) {
        for key in object.keys.sorted() where !fields.contains(where: { $0.name == key }) {
            throw .invalidParameter(path + key)
        }
        for field in fields {
            try validate(object[field.name], as: field.type, path: path + field.name)
        }
    }

    private func validate(_ value: JSONValue?, as type: VarlinkType, path: String) throws(VarlinkError) {
        if case .optional(let inner) = type {
            guard let value, value != .null else { return }
            return try validate(value, as: inner, path: path)
        }
        guard let value, value != .null else { throw .invalidParameter(path) }
        switch type {
        case .bool:
            guard case .bool = value else { throw .invalidParameter(path) }
        case .int:
            guard value.integerValue != nil else { throw .invalidParameter(path) }
        case .float:
            switch value {
            case .integer, .double: break
            default: throw .invalidParameter(path)
            }
        case .string:
            guard case .string = value else { throw .invalidParameter(path) }
        case .object:
            guard case .object = value else { throw .invalidParameter(path) }
        case .enumeration(let cases):
            guard case .string(let text) = value, cases.contains(text) else { throw .invalidParameter(path) }
        case .structure(let fields):
            guard case .object(let members) = value else { throw .invalidParameter(path) }
            try validate(fields: fields, object: members, path: path + ".")
        case .named(let name):
            guard let declaration = types.first(where: { $0.name == name }) else {
                throw .invalidParameter(path)
            }
            try validate(value, as: declaration.type, path: path)
        case .optional:
            break  // handled above
        case .array(let element):
            guard case .array(let elements) = value else { throw .invalidParameter(path) }
            for (index, item) in elements.enumerated() {
                try validate(item, as: element, path: "\(path)[\(index)]")
            }
        case .map(let element):
            guard case .object(let members) = value else { throw .invalidParameter(path) }
            for (key, item) in members {
                try validate(item, as: element, path: "\(path).\(key)")
            }
        }
    }
}

extension VarlinkInterface {
    /// `org.varlink.service`, which every Varlink service implements for introspection.
    public static let service = VarlinkInterface(
        name: "org.varlink.service",
        doc: "The Varlink Service Interface is provided by every varlink service. It\n"
            + "describes the service and the interfaces it implements.",
        methods: [
            Method(
                "GetInfo",
                output: [
                    VarlinkField("vendor", .string), VarlinkField("product", .string),
                    VarlinkField("version", .string), VarlinkField("url", .string),
                    VarlinkField("interfaces", .array(.string)),
                ],
                doc: "Get a list of all the interfaces a service provides and information\nabout the implementation."
            ),
            Method(
                "GetInterfaceDescription",
                input: [VarlinkField("interface", .string)],
                output: [VarlinkField("description", .string)],
                doc: "Get the description of an interface that is implemented by this service."
            ),
        ],
        errors: [
            ErrorDeclaration(
                "InterfaceNotFound",
                parameters: [VarlinkField("interface", .string)],
                doc: "The requested interface was not found."
            ),
            ErrorDeclaration(
                "MethodNotFound",
                parameters: [VarlinkField("method", .string)],
                doc: "The requested method was not found"
            ),
            ErrorDeclaration(
                "MethodNotImplemented",
                parameters: [VarlinkField("method", .string)],
                doc: "The interface defines the requested method, but the service does not\nimplement it."
            ),
            ErrorDeclaration(
                "InvalidParameter",
                parameters: [VarlinkField("parameter", .string)],
                doc: "One of the passed parameters is invalid."
            ),
            ErrorDeclaration("PermissionDenied", doc: "Client is denied access"),
            ErrorDeclaration(
                "ExpectedMore",
                doc: "Method is expected to be called with 'more' set to true, but wasn't"
            ),
        ]
    )
}
