import Foundation
import IncidentCLI

exit(IncidentCtl.run(arguments: Array(CommandLine.arguments.dropFirst())))
