import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AuditEntry, type AuditFacts, chained, GENESIS, verifyAnchored, verifyChain } from '../../../src/audit/audit-entry.js';

const facts = (i: number): AuditFacts => ({ actor: `k${i}`, action: 'key.create', target: `t${i}`, outcome: 'ok', source: '127.0.0.1', trace_id: null, detail: { status: 201 } });

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) out.push(chained(out.at(-1), facts(i), 1_000 + i));
  return out;
}

describe('the audit hash chain', () => {
  it('verifies as written, from the genesis hash', () => {
    const entries = chain(5);
    assert.equal(entries[0]!.prev, GENESIS);
    assert.deepEqual(verifyChain(entries), { ok: true, entries: 5, head: { seq: 5, hash: entries[4]!.hash } });
    assert.deepEqual(verifyChain([]), { ok: true, entries: 0, head: null });
  });

  it('fails at the first entry changed, removed, reordered or re-hashed on its own', () => {
    const changed = chain(5).map((e) => (e.seq === 3 ? { ...e, actor: 'someone-else' } : e));
    assert.deepEqual(verifyChain(changed).problem?.seq, 3);
    assert.match(verifyChain(changed).problem!.reason, /hash does not match/);
    const detail = chain(5).map((e) => (e.seq === 2 ? { ...e, detail: { status: 200 } } : e));
    assert.equal(verifyChain(detail).problem?.seq, 2);
    const removed = chain(5).filter((e) => e.seq !== 2);
    assert.equal(verifyChain(removed).problem?.seq, 3);
    assert.match(verifyChain(removed).problem!.reason, /missing or out of order/);
    const swapped = chain(4);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    assert.equal(verifyChain(swapped).ok, false);
    // A forger who recomputes the changed entry's own hash still breaks the next one's prev.
    const forged = chain(5);
    forged[1] = chained(forged[0], { ...facts(1), target: 'forged' }, forged[1]!.at);
    const check = verifyChain(forged);
    assert.equal(check.ok, false);
    assert.equal(check.problem?.seq, 3);
    assert.match(check.problem!.reason, /prev is not/);
  });

  it('against an anchor, fails when the anchored entry was cut off or replaced, and holds when the log grew past it', () => {
    const entries = chain(6);
    const anchor = { seq: 4, hash: entries[3]!.hash };
    assert.equal(verifyAnchored(entries, anchor).ok, true);
    assert.equal(verifyAnchored(entries.slice(0, 4), anchor).ok, true);
    const cut = verifyAnchored(entries.slice(0, 3), anchor);
    assert.equal(cut.ok, false);
    assert.equal(cut.problem?.seq, 4);
    assert.match(cut.problem!.reason, /cut off its end/);
    // Cut back to 3 and written on: entry 4 exists again, chained, but it is not the one seen.
    const rewritten = [...entries.slice(0, 3)];
    rewritten.push(chained(rewritten.at(-1), facts(99), 5_000));
    const replaced = verifyAnchored(rewritten, anchor);
    assert.equal(replaced.ok, false);
    assert.match(replaced.problem!.reason, /replaced/);
    assert.equal(verifyAnchored(entries, null).ok, true, 'no anchor yet: the chain alone');
  });
});
