import Foundation
import PackagePlugin

/// Compiles the target's gettext catalogues (`Catalogs/*.po`) into Swift source at build
/// time, with the package's own `compile-catalogs` tool.
@main struct CompileCatalogs: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let catalogues = module.sourceFiles.map(\.url).filter { $0.pathExtension == "po" }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("CompiledCatalogues.swift")
        return [
            .buildCommand(
                displayName: "Compiling message catalogues of \(target.name)",
                executable: try context.tool(named: "compile-catalogs").url,
                arguments: [output.path] + catalogues.map(\.path),
                inputFiles: catalogues,
                outputFiles: [output]
            )
        ]
    }
}
