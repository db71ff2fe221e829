import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '../../../src/config/config.js';
import type { SightlineEvent } from '../../../src/core/envelope.js';
import { compileRule, type QualityRuleConfig } from '../../../src/quality/quality-rules.js';
import { QualityTally } from '../../../src/quality/quality-tally.js';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

function event(payload: Record<string, unknown>, over: Partial<SightlineEvent> = {}): SightlineEvent {
  return { id: 'e1', source: 'shop', type: 'purchase', timestamp: NOW - 1000, payload, metadata: {}, ...over };
}

/** The rule as the config gives it (so the schema and the duration parsing are part of the test). */
function rule(raw: Record<string, unknown>): QualityRuleConfig {
  return buildConfig({ quality: { rules: [{ name: 'r', ...raw }] } }).quality.rules[0]!;
}

function check(raw: Record<string, unknown>, e: SightlineEvent, unique?: Set<string>): string | undefined {
  return compileRule(rule(raw)).check(e, NOW, unique && { has: (v) => unique.has(v) });
}

describe('quality rules: each kind passes and fails', () => {
  it('required: every field present and not null', () => {
    const r = { check: 'required', fields: ['payload.user_id', 'payload.amount'] };
    assert.equal(check(r, event({ user_id: 'u1', amount: 3 })), undefined);
    assert.equal(check(r, event({ user_id: 'u1', amount: null })), 'required payload.amount is missing');
    assert.equal(check(r, event({})), 'required payload.user_id, payload.amount are missing');
  });

  it('type: integer counts as number, a missing field passes', () => {
    const r = { check: 'type', field: 'payload.amount', type: 'number' };
    assert.equal(check(r, event({ amount: 3 })), undefined);
    assert.equal(check(r, event({ amount: 3.5 })), undefined);
    assert.equal(check(r, event({})), undefined);
    assert.equal(check(r, event({ amount: '3' })), 'payload.amount must be number, is string');
    assert.equal(check({ check: 'type', field: 'payload.n', type: 'integer' }, event({ n: 1.5 })), 'payload.n must be integer, is number');
  });

  it('range: inclusive bounds, non-numbers fail', () => {
    const r = { check: 'range', field: 'payload.amount', min: 0, max: 100 };
    assert.equal(check(r, event({ amount: 0 })), undefined);
    assert.equal(check(r, event({ amount: 100 })), undefined);
    assert.equal(check(r, event({ amount: -1 })), 'payload.amount -1 is below the minimum 0');
    assert.equal(check(r, event({ amount: 101 })), 'payload.amount 101 is above the maximum 100');
    assert.match(check(r, event({ amount: 'x' }))!, /must be a number/);
  });

  it('regex: matches strings', () => {
    const r = { check: 'regex', field: 'payload.email', pattern: '^[^@\\s]+@[^@\\s]+$' };
    assert.equal(check(r, event({ email: 'a@b.c' })), undefined);
    assert.match(check(r, event({ email: 'nope' }))!, /does not match/);
    assert.match(check(r, event({ email: 5 }))!, /must be a string/);
  });

  it('enum: by JSON value, so 1 and "1" differ', () => {
    const r = { check: 'enum', field: 'payload.country', values: ['US', 'DE', 1] };
    assert.equal(check(r, event({ country: 'DE' })), undefined);
    assert.equal(check(r, event({ country: 1 })), undefined);
    assert.equal(check(r, event({ country: '1' })), 'payload.country "1" is not one of "US", "DE", 1');
  });

  it('length: code points of strings, items of arrays', () => {
    const r = { check: 'length', field: 'payload.name', min: 2, max: 3 };
    assert.equal(check(r, event({ name: 'ab' })), undefined);
    assert.equal(check(r, event({ name: '😀😀😀' })), undefined);
    assert.equal(check(r, event({ name: 'a' })), 'payload.name has length 1, below the minimum 2');
    assert.equal(check(r, event({ name: ['a', 'b', 'c', 'd'] })), 'payload.name has length 4, above the maximum 3');
  });

  it('timestamp: not too far in the future or the past, epoch ms or ISO 8601', () => {
    const r = { check: 'timestamp', maxFuture: '5m', maxPast: '1d' };
    assert.equal(check(r, event({}, { timestamp: NOW + 60_000 })), undefined);
    assert.match(check(r, event({}, { timestamp: NOW + 10 * 60_000 }))!, /more than 300000 ms in the future/);
    assert.match(check(r, event({}, { timestamp: NOW - 2 * 86_400_000 }))!, /in the past/);
    const iso = { check: 'timestamp', field: 'payload.paid_at', maxPast: '1h' };
    assert.equal(check(iso, event({ paid_at: new Date(NOW - 60_000).toISOString() })), undefined);
    assert.match(check(iso, event({ paid_at: 'yesterday' }))!, /is not a time/);
  });

  it('unique: a value seen within the dedup window fails', () => {
    const r = { check: 'unique', field: 'payload.order_id' };
    assert.equal(check(r, event({ order_id: 'o1' }), new Set(['o2'])), undefined);
    assert.match(check(r, event({ order_id: 'o2' }), new Set(['o2']))!, /already seen within the dedup window/);
  });

  it('condition: a cross-field assertion, optionally only when another holds', () => {
    const r = { check: 'condition', when: { field: 'payload.status', op: '==', value: 'shipped' }, assert: { field: 'payload.shipped_at', op: '>=', other: 'payload.ordered_at' } };
    assert.equal(check(r, event({ status: 'open' })), undefined);
    assert.equal(check(r, event({ status: 'shipped', ordered_at: 1, shipped_at: 2 })), undefined);
    assert.equal(check(r, event({ status: 'shipped', ordered_at: 3, shipped_at: 2 })), 'payload.shipped_at (2) >= payload.ordered_at (3) does not hold');
    assert.match(check(r, event({ status: 'shipped', ordered_at: 3 }))!, /payload.shipped_at \(undefined\) >= payload.ordered_at/);
    const exists = { check: 'condition', when: { field: 'payload.coupon', op: 'exists' }, assert: { field: 'payload.discount', op: 'exists' } };
    assert.equal(check(exists, event({})), undefined);
    assert.equal(check(exists, event({ coupon: 'X' })), 'payload.discount is missing');
  });

  it('matches a backtracking pattern in linear time: one event cannot hold up the pipeline', () => {
    // 2^32 steps for a backtracking engine (minutes); linear, well under a millisecond. The bound
    // only tells the two apart.
    const r = { check: 'regex', field: 'payload.a', pattern: '^(a+)+$' };
    const started = Date.now();
    assert.match(check(r, event({ a: `${'a'.repeat(32)}!` }))!, /does not match/);
    assert.ok(Date.now() - started < 5000, `one check took ${Date.now() - started} ms`);
    assert.equal(check(r, event({ a: 'aaa' })), undefined);
  });

  it('the config refuses a rule without the parameters of its check, and a bad pattern', () => {
    assert.throws(() => rule({ check: 'range', field: 'payload.a' }), /SL_CONFIG_INVALID|configuration is invalid/);
    assert.throws(() => rule({ check: 'regex', field: 'payload.a', pattern: '(' }), /not a valid regular expression/);
    // Lookarounds and backreferences cannot be matched in linear time.
    assert.throws(() => rule({ check: 'regex', field: 'payload.a', pattern: '^(a)\\1$' }), /linear-time \(RE2\) engine/);
    assert.throws(() => rule({ check: 'type', field: 'nope.a', type: 'string' }), /configuration is invalid/);
    assert.throws(
      () => buildConfig({ quality: { rules: [{ name: 'a', check: 'unique', field: 'payload.x' }, { name: 'a', check: 'unique', field: 'payload.y' }] } }),
      /declared twice/,
    );
    // A comparison with nothing to compare with would fail every event.
    assert.throws(() => rule({ check: 'condition', assert: { field: 'payload.a', op: '==' } }), /configuration is invalid/);
    assert.doesNotThrow(() => rule({ check: 'condition', assert: { field: 'payload.a', op: 'exists' } }));
    assert.throws(() => rule({ check: 'range', field: 'payload.a', min: 5, max: 1 }), /min \(5\) is above max \(1\)/);
    // A zero-width bucket would make every commit fail.
    assert.throws(() => buildConfig({ quality: { bucket: '0s' } }), /configuration is invalid/);
    assert.throws(() => buildConfig({ alerts: { evaluationInterval: '0s' } }), /configuration is invalid/);
  });
});

describe('quality tally', () => {
  it('counts passes and failures per dataset, rule and event-time bucket, only for matching events', () => {
    const config = buildConfig({
      quality: {
        bucket: '1m',
        rules: [
          { name: 'amount-positive', match: { type: 'purchase' }, check: 'range', field: 'payload.amount', min: 0 },
          { name: 'has-user', severity: 'warn', check: 'required', fields: ['payload.user_id'] },
        ],
      },
    });
    const tally = new QualityTally(config.quality);
    const none = () => undefined;
    assert.deepEqual(tally.check(event({ amount: 1, user_id: 'u' }), NOW, none), []);
    assert.deepEqual(
      tally.check(event({ amount: -1 }), NOW, none).map((f) => [f.rule, f.severity]),
      [['amount-positive', 'error'], ['has-user', 'warn']],
    );
    tally.check(event({ user_id: 'u' }, { type: 'page_view', source: 'web', timestamp: NOW + 60_000 }), NOW, none);
    const bucket = NOW - 60_000; // the events sit a second before NOW, which starts a minute
    const results = tally.results().map((r) => [r.dataset, r.rule, r.bucketStart - bucket, r.passed, r.failed]);
    assert.deepEqual(results, [
      ['shop.purchase', 'amount-positive', 0, 1, 1],
      ['shop.purchase', 'has-user', 0, 1, 1],
      ['web.page_view', 'has-user', 120_000, 1, 0],
    ]);
  });
});
