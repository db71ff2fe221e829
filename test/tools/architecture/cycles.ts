/** A directed graph: node → the nodes it points at. */
export type Graph = ReadonlyMap<string, ReadonlySet<string>>;

export interface CycleSearch {
  /** Each elementary cycle once, rotated to start at its smallest node, without the closing repeat. */
  cycles: string[][];
  /** Set when the search stopped at the limit; the knots are the strongly connected sets it was in. */
  truncated: boolean;
  knots: string[][];
}

/**
 * Every elementary cycle of `graph`, found with Johnson's algorithm. The number of cycles grows
 * exponentially in a dense knot, so the search stops at `limit` and says so rather than hang.
 */
export function findCycles(graph: Graph, limit = 500): CycleSearch {
  const nodes = [...allNodes(graph)].sort();
  const cycles: string[][] = [];
  const knots = stronglyConnected(graph, nodes).filter((set) => set.length > 1 || selfLoop(graph, set[0]!));
  let truncated = false;
  // Johnson: for each start node s (in order), search cycles through s in the subgraph of nodes
  // not before s; a cycle is thus found exactly once, from its smallest node.
  for (let i = 0; i < nodes.length && !truncated; i++) {
    const start = nodes[i]!;
    const allowed = new Set(nodes.slice(i));
    const blocked = new Set<string>();
    const blockedBy = new Map<string, Set<string>>();
    const path: string[] = [];
    const unblock = (node: string): void => {
      blocked.delete(node);
      for (const waiting of blockedBy.get(node) ?? []) if (blocked.has(waiting)) unblock(waiting);
      blockedBy.delete(node);
    };
    const circuit = (node: string): boolean => {
      let found = false;
      path.push(node);
      blocked.add(node);
      for (const next of sortedTargets(graph, node)) {
        if (!allowed.has(next) || truncated) continue;
        if (next === start) {
          cycles.push([...path]);
          if (cycles.length >= limit) truncated = true;
          found = true;
        } else if (!blocked.has(next) && circuit(next)) {
          found = true;
        }
      }
      if (found) unblock(node);
      else for (const next of sortedTargets(graph, node)) {
        if (!allowed.has(next)) continue;
        const set = blockedBy.get(next) ?? new Set<string>();
        set.add(node);
        blockedBy.set(next, set);
      }
      path.pop();
      return found;
    };
    circuit(start);
  }
  return { cycles, truncated, knots };
}

/** `a → b → a`: a cycle written the way the messages show it. */
export function formatCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]].join(' → ');
}

function allNodes(graph: Graph): Set<string> {
  const nodes = new Set(graph.keys());
  for (const targets of graph.values()) for (const target of targets) nodes.add(target);
  return nodes;
}

function sortedTargets(graph: Graph, node: string): string[] {
  return [...(graph.get(node) ?? [])].sort();
}

function selfLoop(graph: Graph, node: string): boolean {
  return graph.get(node)?.has(node) ?? false;
}

/** Tarjan's strongly connected sets, each sorted, in the order of their smallest node. */
function stronglyConnected(graph: Graph, nodes: readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sets: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of sortedTargets(graph, node)) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const set: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      set.push(member);
    } while (member !== node);
    sets.push(set.sort());
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return sets.sort((a, b) => a[0]!.localeCompare(b[0]!));
}
