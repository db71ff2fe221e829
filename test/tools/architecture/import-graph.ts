import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import type { RepoPath } from './violation.js';

/** One import statement's edge between two files of the source folder (type-only ones included). */
export interface FileImport {
  from: RepoPath;
  to: RepoPath;
  /** Every import between the two files is `import type`: a port belongs there rather than a move. */
  typeOnly: boolean;
}

export interface ImportGraph {
  files: RepoPath[];
  imports: FileImport[];
}

/**
 * The imports between the files under `srcDir`, read by dependency-cruiser. Type-only imports count:
 * they couple layers as much as value imports do, and tsc erases them so only the pre-compilation
 * view sees them. The repository's tsconfig.json, when there is one, steers resolution like tsc's.
 */
export async function readImportGraph(root: string, srcDir: string): Promise<ImportGraph> {
  const tsConfigFile = join(root, 'tsconfig.json');
  const hasTsConfig = existsSync(tsConfigFile);
  const reported = await cruise(
    [srcDir],
    {
      baseDir: root,
      includeOnly: `^${escapeRegExp(srcDir)}/`,
      tsPreCompilationDeps: true,
      ...(hasTsConfig ? { tsConfig: { fileName: tsConfigFile } } : {}),
    },
    {},
    hasTsConfig ? { tsConfig: extractTSConfig(tsConfigFile) } : {},
  );
  const result = reported.output as ICruiseResult;
  const files = result.modules.map((module) => module.source).sort();
  // dependency-cruiser lists a value import and a type import of the same file separately.
  const byPair = new Map<string, FileImport>();
  for (const module of result.modules) {
    for (const dependency of module.dependencies) {
      if (dependency.couldNotResolve || dependency.coreModule) continue;
      const typeOnly = dependency.dependencyTypes.includes('type-only');
      const key = `${module.source}\0${dependency.resolved}`;
      const known = byPair.get(key);
      if (known) known.typeOnly &&= typeOnly;
      else byPair.set(key, { from: module.source, to: dependency.resolved, typeOnly });
    }
  }
  const imports = [...byPair.values()];
  imports.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { files, imports };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
