import assert from 'node:assert/strict';
import { it } from 'node:test';
import { findCycles, formatCycle } from '../tools/architecture/cycles.js';

const graphOf = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));

it('finds each elementary cycle of a complete graph exactly once', () => {
  const nodes = ['a', 'b', 'c', 'd'];
  const complete = graphOf(Object.fromEntries(nodes.map((node) => [node, nodes.filter((other) => other !== node)])));
  const { cycles, truncated } = findCycles(complete);
  // 6 pairs + 4 triangles × 2 directions + 3! orders of all four.
  assert.equal(cycles.length, 6 + 8 + 6);
  assert.equal(new Set(cycles.map(formatCycle)).size, cycles.length);
  assert.ok(cycles.every((cycle) => cycle[0] === [...cycle].sort()[0]), 'every cycle starts at its smallest node');
  assert.equal(truncated, false);
});

it('finds self-imports and ignores what is not a cycle', () => {
  const { cycles } = findCycles(graphOf({ a: ['a', 'b'], b: ['c'], c: [] }));
  assert.deepEqual(cycles.map(formatCycle), ['a → a']);
});

it('stops at the limit and names the knots it stopped in', () => {
  const nodes = ['a', 'b', 'c', 'd', 'e'];
  const complete = graphOf(Object.fromEntries(nodes.map((node) => [node, nodes.filter((other) => other !== node)])));
  const search = findCycles(complete, 10);
  assert.equal(search.cycles.length, 10);
  assert.equal(search.truncated, true);
  assert.deepEqual(search.knots, [nodes]);
});
