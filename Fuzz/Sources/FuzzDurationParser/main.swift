import CLibFuzzer
import Foundation
import IncidentFuzzing

// libFuzzer runs the inputs; see Fuzz/Package.swift.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        FuzzTarget.durationParser.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    })
