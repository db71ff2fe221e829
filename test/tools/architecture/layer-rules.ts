import { formatCycle } from './cycles.js';
import { describeImports, isDirectlyIn } from './folders.js';
import type { FileImport } from './import-graph.js';
import type { LayerRow } from './layer-table.js';
import { cycleViolations } from './cycle-rules.js';
import type { RepoPath, Violation } from './violation.js';

export interface LayerFacts {
  rows: readonly LayerRow[];
  /** The folders directly under the source folder. */
  folders: readonly string[];
  byPair: ReadonlyMap<string, ReadonlyMap<string, FileImport[]>>;
  srcDir: string;
  shownAs: RepoPath;
}

/** The folders and the layer table must match one to one, and every cross-folder import must be declared. */
export function layerViolations(facts: LayerFacts): Violation[] {
  const { rows, folders, byPair, srcDir, shownAs } = facts;
  const rowOf = new Map(rows.map((row) => [row.folder, row]));
  const violations: Violation[] = [];
  for (const folder of folders) {
    if (!rowOf.has(folder)) {
      violations.push({ kind: 'layer-table', message: `layer table: folder ${srcDir}/${folder}/ has no row in ${shownAs}` });
    }
  }
  for (const row of rows) {
    if (!folders.includes(row.folder)) {
      violations.push({ kind: 'layer-table', message: `layer table: ${shownAs}:${row.line} has a row for \`${row.folder}\`, but there is no folder ${srcDir}/${row.folder}/` });
    }
  }
  for (const [from, targets] of [...byPair].sort(([a], [b]) => a.localeCompare(b))) {
    // A folder without a row, or a file directly in the source folder, is reported as such: it has
    // no row to obey until it gets one (or moves into a layer).
    const allowed = rowOf.get(from)?.mayImport;
    if (allowed === undefined || !folders.includes(from)) continue;
    for (const [to, edges] of [...targets].sort(([a], [b]) => a.localeCompare(b))) {
      if (allowed.includes(to) || !folders.includes(to)) continue;
      const may = allowed.length > 0 ? allowed.join(', ') : 'nothing';
      violations.push({
        kind: 'layer-import',
        message: `layer import: ${from} → ${to} is not allowed by ${shownAs} (${from} may import ${may}): ${describeImports(edges)}`,
      });
    }
  }
  const declared = new Map(rows.map((row) => [row.folder, new Set(row.mayImport)]));
  violations.push(...cycleViolations(declared, 'layer-table-cycle', `layer table cycle in ${shownAs}`, formatCycle));
  return violations;
}

export function rootFileViolations(files: readonly RepoPath[], srcDir: string): Violation[] {
  return files
    .filter((file) => isDirectlyIn(file, srcDir))
    .map((file) => ({ kind: 'root-file', message: `root file: ${file} is directly in ${srcDir}/, not in a layer folder` }));
}
