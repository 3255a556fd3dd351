import CLibFuzzer
import Foundation
import IncidentFuzzing

// One libFuzzer program for every target; FUZZ_TARGET names the one to run (a folder of
// Fuzz/Corpus), and libFuzzer reads the rest of the command line. See docs/testing.md.
let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
guard let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"], let chosen = FuzzTarget(rawValue: name) else {
    FileHandle.standardError.write(Data("incidentd-fuzz: set FUZZ_TARGET to one of \(names)\n".utf8))
    exit(2)
}
// libFuzzer calls back through a C function pointer, which captures nothing: hence a global.
nonisolated(unsafe) var target = chosen
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        target.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    })
