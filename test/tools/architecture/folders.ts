import type { FileImport } from './import-graph.js';
import type { Graph } from './cycles.js';
import type { RepoPath } from './violation.js';

/**
 * The top-level folder under `srcDir` a file belongs to (`src/log/kafka/x.ts` → `log`); a file
 * directly in `srcDir` stands for itself (`src/platform.ts` → `platform.ts`), so imports through it
 * still take part in folder cycles.
 */
export function folderOf(file: RepoPath, srcDir: string): string {
  const inside = file.slice(srcDir.length + 1);
  const slash = inside.indexOf('/');
  return slash < 0 ? inside : inside.slice(0, slash);
}

export function isDirectlyIn(file: RepoPath, srcDir: string): boolean {
  return !file.slice(srcDir.length + 1).includes('/');
}

/** The imports that cross folders, grouped by `from → to` folder pair. */
export function crossFolderImports(imports: readonly FileImport[], srcDir: string): Map<string, Map<string, FileImport[]>> {
  const byPair = new Map<string, Map<string, FileImport[]>>();
  for (const edge of imports) {
    const from = folderOf(edge.from, srcDir);
    const to = folderOf(edge.to, srcDir);
    if (from === to) continue;
    const targets = byPair.get(from) ?? new Map<string, FileImport[]>();
    targets.set(to, [...(targets.get(to) ?? []), edge]);
    byPair.set(from, targets);
  }
  return byPair;
}

export function folderGraph(byPair: ReadonlyMap<string, ReadonlyMap<string, FileImport[]>>): Graph {
  return new Map([...byPair].map(([from, targets]) => [from, new Set(targets.keys())]));
}

/** `a.ts → b.ts (types only), +2 more`: the evidence for a folder edge, short enough for one line. */
export function describeImports(edges: readonly FileImport[], shown = 2): string {
  const listed = edges
    .slice(0, shown)
    .map((edge) => `${edge.from} → ${edge.to}${edge.typeOnly ? ' (types only)' : ''}`)
    .join(', ');
  return edges.length > shown ? `${listed}, +${edges.length - shown} more` : listed;
}
