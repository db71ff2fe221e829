import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { pageView, waitForBacklogZero } from '../helpers/events.js';
import { useInProcessPlatform } from '../helpers/in-process-platform.js';
import { type RawRequest as BadRequest, sendRaw as send } from '../helpers/http.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const MiB = 1024 * 1024;

interface Case {
  name: string;
  request: () => BadRequest;
  status: number;
  /** The body's code; for ingest answers of 200, the code of each rejected event. */
  code?: string;
  rejected?: string[];
  accepted?: number;
  /** What else the answer must show. */
  check?: (body: any) => void;
}

const json = (path: string, body: unknown, method = 'POST'): BadRequest => ({ method, path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const events = (...list: unknown[]): BadRequest => json('/v1/events', list);
const event = (id: string, payload: unknown): Record<string, unknown> => ({ id, source: 'web', type: 'page_view', timestamp: T0, payload });
const registry = (subject: string, schema: string, schemaType = 'JSON'): BadRequest => ({
  method: 'POST',
  path: `/subjects/${encodeURIComponent(subject)}/versions`,
  headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
  body: JSON.stringify({ schemaType, schema }),
});

/**
 * The families of bad input a reviewer would try (issue 15), each with the answer it must get:
 * a status and a code, never a 500, never a frozen server. /healthz is polled all the while: no
 * poll may go unanswered or wait a second (a blocked event loop), and after each case it answers
 * within 100 ms.
 */
const CASES: Case[] = [
  // size limits
  { name: 'a body over ingest.maxBodyBytes', request: () => ({ ...events(), body: `[${' '.repeat(11 * MiB)}]` }), status: 413, code: 'SL_INGEST_BODY_TOO_LARGE' },
  { name: 'more events than ingest.maxEventsPerBatch', request: () => events(...Array.from({ length: 10_001 }, () => ({}))), status: 413, code: 'SL_INGEST_TOO_MANY_EVENTS' },
  {
    name: 'a gzip bomb: 1 MB that inflates to 256 MB',
    request: () => ({ method: 'POST', path: '/v1/events', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(Buffer.alloc(256 * MiB, 0x20), { level: 9 }) }),
    status: 413,
    code: 'SL_INGEST_BODY_TOO_LARGE',
  },
  { name: 'a gzip body that is not gzip', request: () => ({ method: 'POST', path: '/v1/events', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '[{"id":"x"}]' }), status: 400, code: 'SL_INGEST_BODY_INVALID' },
  { name: 'an event over ingest.maxEventBytes', request: () => events(event('huge-event', { blob: Array.from({ length: 40 }, () => 'x'.repeat(30_000)) })), status: 200, rejected: ['SL_EVENT_TOO_LARGE'] },
  // huge strings and keys, deep nesting
  { name: 'a string over ingest.maxStringLength', request: () => events(event('long-string', { s: 'x'.repeat(70_000) })), status: 200, rejected: ['SL_EVENT_STRING_TOO_LONG'] },
  { name: 'a key over ingest.maxStringLength', request: () => events(event('long-key', { ['k'.repeat(70_000)]: 1 })), status: 200, rejected: ['SL_EVENT_STRING_TOO_LONG'] },
  { name: 'nesting one level over ingest.maxDepth', request: () => events(event('deep-33', JSON.parse(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`))), status: 200, rejected: ['SL_EVENT_TOO_DEEP'] },
  { name: '100,000 keys in one payload', request: () => events(event('many-keys', Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])))), status: 200, rejected: ['SL_EVENT_TOO_LARGE'] },
  // prototype pollution
  {
    name: '__proto__ and constructor keys are data, not a way into the server',
    request: () => ({ ...events(), body: `[{"id":"proto-1","source":"web","type":"page_view","timestamp":${T0},"payload":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"page":"/"}}]` }),
    status: 200,
    accepted: 1,
  },
  // broken NDJSON and wrong encodings
  {
    name: 'NDJSON with a broken line between good ones',
    request: () => ({
      method: 'POST',
      path: '/v1/events',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify(pageView('nd-1', T0, '/'))}\n{"id":"nd-2","source":\n${JSON.stringify(pageView('nd-3', T0, '/'))}\n`,
    }),
    status: 200,
    accepted: 2,
    rejected: ['SL_EVENT_UNPARSEABLE'],
  },
  { name: 'a JSON body that is not JSON', request: () => ({ ...events(), body: '[{"id": ' }), status: 400, code: 'SL_INGEST_BODY_INVALID' },
  { name: 'a body in UTF-16', request: () => ({ ...events(), body: Buffer.from(`\ufeff${JSON.stringify([pageView('utf16', T0, '/')])}`, 'utf16le') }), status: 400, code: 'SL_INGEST_BODY_INVALID' },
  // content types
  { name: 'ingest as text/plain', request: () => ({ ...events(), headers: { 'content-type': 'text/plain' } }), status: 415, code: 'SL_INGEST_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'ingest with Content-Encoding br', request: () => ({ ...events(), headers: { 'content-type': 'application/json', 'content-encoding': 'br' } }), status: 415, code: 'SL_INGEST_UNSUPPORTED_ENCODING' },
  { name: 'a replay as a form post', request: () => ({ method: 'POST', path: '/v1/dlq/replay', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'ids=x' }), status: 415, code: 'SL_API_UNSUPPORTED_MEDIA_TYPE' },
  // injection-looking filters
  // (the values are bound parameters: they match nothing, and the tables are all still there after)
  { name: 'a SQL-looking source filter', request: () => ({ path: `/v1/events/recent?source=${encodeURIComponent("web' OR '1'='1")}` }), status: 200, check: (b) => assert.deepEqual(b.events, []) },
  { name: 'a SQL-looking group filter', request: () => ({ path: `/v1/aggregates/page-views?window=1m&page=${encodeURIComponent("/'; DROP TABLE events; --")}` }), status: 200, check: (b) => assert.deepEqual(b.windows, []) },
  { name: 'a SQL-looking dead-letter code filter', request: () => ({ path: `/v1/dlq?code=${encodeURIComponent("SL_X' OR 1=1 --")}` }), status: 200, check: (b) => assert.deepEqual(b.dead_letters, []) },
  { name: 'a cursor that is not one the API issued', request: () => ({ path: `/v1/events/recent?cursor=${encodeURIComponent("1' OR '1'='1")}` }), status: 400, code: 'SL_API_CURSOR_INVALID' },
  // traversal-looking ids
  { name: 'an event id that climbs out of the path', request: () => ({ path: '/v1/events/..%2F..%2F..%2Fetc%2Fpasswd' }), status: 404, code: 'SL_API_NOT_FOUND' },
  { name: 'a dead-letter id that climbs out of the path', request: () => ({ path: '/v1/dlq/..%2F..%2Fetc%2Fpasswd' }), status: 400, code: 'SL_API_BAD_REQUEST' },
  { name: 'a dashboard asset that climbs out of ui/', request: () => ({ path: '/ui/..%2F..%2Fpackage.json' }), status: 404, code: 'SL_API_NOT_FOUND' },
  { name: 'a subject that climbs out of the path', request: () => ({ path: '/subjects/..%2F..%2Fetc%2Fpasswd/versions' }), status: 404, code: 'SL_SCHEMA_SUBJECT_NOT_FOUND' },
  // hostile schemas
  { name: 'a schema that $refs a remote URL (no fetch)', request: () => registry('evil.remote-value', JSON.stringify({ $ref: 'http://169.254.169.254/latest/meta-data' })), status: 422, code: 'SL_SCHEMA_INVALID' },
  { name: 'a schema that is not JSON', request: () => registry('evil.text-value', '{"type": '), status: 422, code: 'SL_SCHEMA_INVALID' },
  { name: 'an Avro schema nested 5,000 records deep', request: () => registry('evil.avro-value', `${'{"type":"record","name":"r","fields":[{"name":"f","type":'.repeat(5000)}"string"${'}]}'.repeat(5000)}`, 'AVRO'), status: 422, code: 'SL_SCHEMA_INVALID' },
  {
    name: 'an Avro array of nulls (7 bytes would decode to 50 million items)',
    request: () => registry('evil.bomb-value', JSON.stringify({ type: 'record', name: 'r', fields: [{ name: 'a', type: { type: 'array', items: 'null' } }] }), 'AVRO'),
    status: 422,
    code: 'SL_SCHEMA_INVALID',
  },
  { name: 'a schema type the registry does not know', request: () => registry('evil.type-value', '{}', 'XML'), status: 422, code: 'SL_SCHEMA_INVALID' },
];

describe('bad-input corpus', () => {
  const platform = useInProcessPlatform();

  /** Polls /healthz every 20 ms until stopped; returns the slowest answer and any failure. */
  const watchHealth = () => {
    let stop = false;
    let slowest = 0;
    let failure: string | undefined;
    const done = (async () => {
      while (!stop) {
        try {
          const r = await send(platform().url, { path: '/healthz' });
          slowest = Math.max(slowest, r.ms);
          if (r.status !== 200) failure ??= `/healthz answered ${r.status}`;
        } catch (err) {
          failure ??= `/healthz did not answer: ${(err as Error).message}`;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return async () => {
      stop = true;
      await done;
      return { slowest, failure };
    };
  };

  for (const c of CASES) {
    it(c.name, async () => {
      const request = c.request();
      const stopWatching = watchHealth();
      const answer = await send(platform().url, request);
      const health = await stopWatching();
      assert.equal(answer.status, c.status, JSON.stringify(answer.body).slice(0, 500));
      if (c.code) assert.equal(answer.body.code, c.code, JSON.stringify(answer.body).slice(0, 500));
      if (answer.status >= 400) assert.equal(typeof answer.body.message, 'string');
      if (c.rejected) assert.deepEqual(answer.body.rejected.map((r: { code: string }) => r.code), c.rejected);
      if (c.accepted !== undefined) assert.equal(answer.body.accepted, c.accepted);
      c.check?.(answer.body);
      assert.equal(health.failure, undefined);
      assert.ok(health.slowest < 1000, `/healthz waited ${Math.round(health.slowest)} ms while the server handled it`);
      // Once: a single slow answer is a scheduling hiccup on a busy machine, three are a server that is stuck.
      const after = await Promise.all([0, 1, 2].map(() => send(platform().url, { path: '/healthz' })));
      assert.ok(Math.min(...after.map((a) => a.ms)) < 100, `/healthz after it took ${after.map((a) => Math.round(a.ms)).join(', ')} ms`);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
    });
  }

  it('after the corpus, what it sent is stored, __proto__ as plain data, and the tables are all there', async () => {
    await waitForBacklogZero(platform().url);
    const proto = await send(platform().url, { path: '/v1/events/proto-1' });
    assert.equal(proto.status, 200, JSON.stringify(proto.body));
    assert.deepEqual(proto.body.event.payload.__proto__, { polluted: true });
    assert.deepEqual(proto.body.event.payload.constructor, { prototype: { polluted: true } });
    for (const id of ['nd-1', 'nd-3']) assert.equal((await send(platform().url, { path: `/v1/events/${id}` })).status, 200, id);
    assert.equal((await send(platform().url, { path: '/v1/aggregates/page-views?window=1m' })).body.windows.length > 0, true);
  });
});
