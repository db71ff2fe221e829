import { findCycles, formatCycle, type Graph } from './cycles.js';
import { describeImports, folderGraph } from './folders.js';
import type { FileImport } from './import-graph.js';
import type { Violation, ViolationKind } from './violation.js';

export function fileCycles(imports: readonly FileImport[]): Violation[] {
  const graph = new Map<string, Set<string>>();
  for (const edge of imports) graph.set(edge.from, (graph.get(edge.from) ?? new Set()).add(edge.to));
  return cycleViolations(graph, 'file-cycle', 'file cycle', (cycle) => formatCycle(cycle));
}

/** Folder cycles, each hop with the file imports that make it, since those are what must move. */
export function folderCycles(byPair: ReadonlyMap<string, ReadonlyMap<string, FileImport[]>>): Violation[] {
  return cycleViolations(folderGraph(byPair), 'folder-cycle', 'folder cycle', (cycle) => {
    const hops = cycle.map((from, i) => {
      const to = cycle[(i + 1) % cycle.length]!;
      return `${from} → ${to}: ${describeImports(byPair.get(from)?.get(to) ?? [], 1)}`;
    });
    return `${formatCycle(cycle)} (${hops.join('; ')})`;
  });
}

export function cycleViolations(
  graph: Graph,
  kind: ViolationKind,
  label: string,
  describe: (cycle: string[]) => string,
): Violation[] {
  const search = findCycles(graph);
  const violations: Violation[] = search.cycles.map((cycle) => ({ kind, message: `${label}: ${describe(cycle)}` }));
  if (search.truncated) {
    for (const knot of search.knots) {
      violations.push({ kind, message: `${label}: more cycles than listed among ${knot.join(', ')}` });
    }
  }
  return violations;
}
