import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daysOf } from '../../../src/backfill/backfills.js';
import { buildConfig } from '../../../src/config/config.js';
import type { StoredEventRow } from '../../../src/core/backfill.js';
import type { ReferenceData } from '../../../src/core/ports/reference-data.js';
import type { PipelineSpec } from '../../../src/process/batch-plan.js';
import { backfillSpec, loggedEvent, reprocess } from '../../../src/process/reprocess.js';
import { testSpec } from '../../helpers/pipeline-spec.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const config = buildConfig({
  quality: { rules: [{ name: 'known-users', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.user_id', pattern: '^u[12]$' }] },
});
const spec: PipelineSpec = testSpec({ joinOn: ['payload', 'user_id'], quality: config.quality, lateEvents: 'dead-letter' });
const reference: ReferenceData = {
  lookup: (k) => ({ u1: { plan: 'pro' }, u2: { plan: 'free' } })[k],
  info: () => ({ rows: 2, loadedAt: 0, source: 'test', lastError: null }),
  close: async () => undefined,
};

const row = (logPos: number, user: string, metadata: Record<string, unknown>, late = false, page = '/a'): StoredEventRow => ({
  logPos,
  id: `e${logPos}`,
  source: 'web',
  type: 'page_view',
  timestamp: T0 + logPos * 1000,
  payload: JSON.stringify({ user_id: user, page }),
  metadata: JSON.stringify(metadata),
  late,
});

describe('stored events through processing again', () => {
  it('gives back the event as it was logged: what processing added is not part of it', () => {
    const event = loggedEvent(row(1, 'u1', { contract: { subject: 'web.page_view', version: 1, id: 7 }, enrichment: { plan: 'old' }, quality: { warnings: [] }, campaign: 'x' }));
    assert.deepEqual(event.metadata, { contract: { subject: 'web.page_view', version: 1, id: 7 }, campaign: 'x' });
    assert.deepEqual(event.payload, { user_id: 'u1', page: '/a' });
  });

  it('enriches with the reference data of now and refuses what the rules refuse now, keeping lateness', () => {
    const rows = [row(1, 'u1', { enrichment: { plan: 'old' } }), row(2, 'u2', {}), row(3, 'u3', {}), row(4, 'u2', {}, true)];
    const { kept, refused } = reprocess(rows, spec, reference, T0);
    assert.deepEqual(
      kept.map((k) => [k.logPos, JSON.parse(k.metadata).enrichment?.plan]),
      [
        [1, 'pro'],
        [2, 'free'],
        [4, 'free'],
      ],
      'a late event stays: lateness was decided when it arrived',
    );
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.logPos, 3);
    assert.equal(refused[0]!.letter.reason.code, 'SL_QUALITY_FAILED');
    assert.equal(refused[0]!.letter.origin, 'events/0/3', 'the origin of the event in the log: a second refusal of it is a repeat');
    assert.deepEqual(JSON.parse(refused[0]!.letter.original.toString()).payload, { user_id: 'u3', page: '/a' });
  });

  it('keeps the metadata as logged when nothing enriches the event', () => {
    const { kept } = reprocess([row(5, 'u9', { campaign: 'y' })], { ...spec, quality: undefined }, reference, T0);
    assert.deepEqual(JSON.parse(kept[0]!.metadata), { campaign: 'y' });
  });

  it('says what each refused event had added to the windows, a late one nothing', () => {
    const { windows } = reprocess([row(1, 'u3', {}), row(2, 'u3', {}, false, '/b'), row(3, 'u3', {}), row(4, 'u3', {}, true), row(5, 'u1', {})], spec, reference, T0);
    const oneMinute = windows.filter((w) => w.window === '1m').map((w) => [w.group, w.count, w.stream]);
    assert.deepEqual(oneMinute.sort(), [
      ['/a', 2, 'web/page_view'],
      ['/b', 1, 'web/page_view'],
    ]);
  });

  it('finds the row of each refusal by its place in the log, even when an id is stored twice', () => {
    // A resend after the dedup window is stored again under the same id, at another position.
    const { kept, refused } = reprocess([row(10, 'u3', {}), { ...row(20, 'u3', {}), id: 'e10' }, row(30, 'u1', {})], spec, reference, T0);
    assert.deepEqual(refused.map((r) => [r.logPos, r.id]), [
      [10, 'e10'],
      [20, 'e10'],
    ]);
    assert.deepEqual(kept.map((k) => k.logPos), [30]);
  });

  it('leaves out the rules judged on arrival: event age and uniqueness', () => {
    const rules = buildConfig({
      quality: {
        rules: [
          { name: 'fresh', match: { type: 'page_view' }, severity: 'error', check: 'timestamp', maxPast: '1h' },
          { name: 'once', match: { type: 'page_view' }, severity: 'error', check: 'unique', field: 'payload.page' },
          { name: 'known-users', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.user_id', pattern: '^u[12]$' },
        ],
      },
    }).quality;
    const judged = backfillSpec(testSpec({ quality: rules }));
    assert.deepEqual(judged.quality!.rules.map((r) => r.name), ['known-users']);
    // A week-old event, twice the same page: kept; only u3 is refused.
    const old = (n: number, user: string): StoredEventRow => ({ ...row(n, user, {}), timestamp: T0 - 7 * 86_400_000 });
    const { kept, refused } = reprocess([old(1, 'u1'), old(2, 'u2'), old(3, 'u3')], judged, reference, T0);
    assert.deepEqual([kept.length, refused.length], [2, 1]);
  });

  it('reads a backfill range as whole UTC days', () => {
    assert.deepEqual(daysOf({ from: '2026-02-27', to: '2026-03-01' }), ['2026-02-27', '2026-02-28', '2026-03-01']);
    assert.throws(() => daysOf({ from: '2026-02-30', to: '2026-03-01' }), /"from" must be a day/);
    assert.deepEqual(daysOf({ from: '2026-03-02', to: '2026-03-01' }), []);
    // Refused from the count, before a day is listed: a request for ten thousand years costs nothing.
    assert.throws(() => daysOf({ from: '0001-01-01', to: '9999-12-31' }), /at most 366 days \(asked for 3652059\)/);
  });
});
