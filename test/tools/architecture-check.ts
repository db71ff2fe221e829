// The import-graph and size check of issue 14: no cycle between files or folders, folders one to
// one with the layers of docs/architecture.md and importing only what their row allows, no file
// over the line limit without a reason, no long function where the platform is assembled.
import { relative, resolve } from 'node:path';
import { fileCycles, folderCycles } from './architecture/cycle-rules.js';
import { fileSizeViolations, type SizeExceptions } from './architecture/file-size.js';
import { crossFolderImports } from './architecture/folders.js';
import { functionLengthViolations } from './architecture/function-length.js';
import { readImportGraph } from './architecture/import-graph.js';
import { layerViolations, rootFileViolations } from './architecture/layer-rules.js';
import { readLayerTable } from './architecture/layer-table.js';
import { readSourceTree } from './architecture/source-tree.js';
import type { RepoPath, Violation } from './architecture/violation.js';

export type { SizeExceptions } from './architecture/file-size.js';
export type { Violation, ViolationKind } from './architecture/violation.js';

export interface ArchitectureCheckOptions {
  /** The repository root; every other path is relative to it. */
  root: string;
  srcDir?: string;
  /** The document with the layer table; may also be an absolute path, to try a draft. */
  architectureDoc?: string;
  sizeExceptions?: SizeExceptions;
  maxFileLines?: number;
  maxFunctionLines?: number;
}

export const MAX_FILE_LINES = 450;
export const MAX_FUNCTION_LINES = 80;

export async function checkArchitecture(options: ArchitectureCheckOptions): Promise<Violation[]> {
  const { srcDir = 'src', architectureDoc = 'docs/architecture.md', sizeExceptions = {} } = options;
  const root = resolve(options.root);
  const tree = readSourceTree(root, srcDir);
  const graph = await readImportGraph(root, srcDir);
  const byPair = crossFolderImports(graph.imports, srcDir);
  const docFile = resolve(root, architectureDoc);
  const shownAs = relative(root, docFile).startsWith('..') ? docFile : relative(root, docFile);
  const table = readLayerTable(docFile, shownAs);
  return [
    ...fileCycles(graph.imports),
    ...folderCycles(byPair),
    ...(table.found
      ? [
          ...table.problems.map((message): Violation => ({ kind: 'layer-table', message: `layer table: ${message}` })),
          ...layerViolations({ rows: table.rows, folders: tree.folders, byPair, srcDir, shownAs }),
        ]
      : [{ kind: 'layer-table', message: `layer table: ${table.problem}` } satisfies Violation]),
    ...rootFileViolations(tree.tsFiles, srcDir),
    ...fileSizeViolations(root, tree.tsFiles, sizeExceptions, options.maxFileLines ?? MAX_FILE_LINES),
    ...functionLengthViolations(root, platformFiles(tree.tsFiles, srcDir), options.maxFunctionLines ?? MAX_FUNCTION_LINES),
  ];
}

/** Where the platform is assembled: `platform.ts` and, once it is split up, the `platform/` folder. */
function platformFiles(tsFiles: readonly RepoPath[], srcDir: string): RepoPath[] {
  return tsFiles.filter((file) => file === `${srcDir}/platform.ts` || file.startsWith(`${srcDir}/platform/`));
}
