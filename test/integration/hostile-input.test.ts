import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { getJson, pageView } from '../helpers/events.js';
import { useInProcessPlatform } from '../helpers/in-process-platform.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

/**
 * Inputs a hostile or broken client sends (issue 15): each is refused with its code, the rest of
 * its batch is accepted and said so, the refusal is kept in the dead-letter queue, and the
 * platform goes on answering.
 */
describe('hostile input', () => {
  const platform = useInProcessPlatform();

  const post = async (body: string) => {
    const response = await fetch(`${platform().url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: response.status, body: (await response.json()) as { accepted: number; rejected: Array<{ index: number; code: string }> } };
  };

  /** The dead letters with this code, once the indexer has them. */
  const letters = async (code: string, count: number): Promise<Array<{ id: string; event_id: string | null; stage: string }>> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = (await getJson(`${platform().url}/v1/dlq?code=${code}`)).body.dead_letters;
      if (found.length >= count) return found;
      assert.ok(Date.now() < deadline, `${count} dead letters ${code} within 10 s; found ${found.length}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('an id of 70,000 characters: refused, kept as a dead letter, and the valid event beside it accepted', async () => {
    const longId = 'x'.repeat(70_000);
    const r = await post(JSON.stringify([{ ...pageView(longId, T0, '/'), id: longId }, pageView('beside-long-id', T0, '/')]));
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.rejected.map((x) => [x.index, x.code]), [[0, 'SL_EVENT_FIELD_INVALID']]);
    const [letter] = await letters('SL_EVENT_FIELD_INVALID', 1);
    assert.equal(letter!.stage, 'ingest');
    assert.ok(letter!.event_id?.startsWith('xxxx'), 'the id is kept, cut to a bounded length');
    const original = await getJson(`${platform().url}/v1/dlq/${letter!.id}?original=text`);
    assert.equal(original.status, 200);
    assert.equal(JSON.parse(original.body.original).id.length, 70_000, 'the event is kept whole');
    assert.equal((await getJson(`${platform().url}/healthz`)).status, 200);
  });

  it('a payload nested 20,000 levels deep: refused, kept as it came, and served back as text', async () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const element = `{"id":"too-deep","source":"web","type":"page_view","timestamp":${T0},"payload":{"nested":${deep}}}`;
    const r = await post(`[${element},${JSON.stringify(pageView('beside-deep', T0, '/'))}]`);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.rejected.map((x) => [x.index, x.code]), [[0, 'SL_EVENT_TOO_DEEP']]);
    const [letter] = await letters('SL_EVENT_TOO_DEEP', 1);
    assert.equal(letter!.event_id, 'too-deep');
    for (const as of ['json', 'text']) {
      const original = await getJson(`${platform().url}/v1/dlq/${letter!.id}?original=${as}`);
      assert.equal(original.status, 200, `?original=${as}`);
      assert.equal(original.body.original_encoding, 'text', 'too deep to be written back as JSON');
      assert.equal(original.body.original, element, 'the bytes as they came');
    }
    assert.equal((await getJson(`${platform().url}/healthz`)).status, 200);
  });

  /** A raw HTTP exchange, for what fetch will not send (a method Node's client refuses, bytes that are not UTF-8, oversized headers). */
  const raw = (request: Buffer | string): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(platform().url);
      const socket = connect(Number(port), hostname, () => socket.end(request));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const [head, ...rest] = text.split('\r\n\r\n');
        const body = rest.join('\r\n\r\n');
        // A chunked body: the JSON is the part between the first size line and the last chunk.
        const json = body.includes('{') ? body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1) : '';
        resolve({ status: Number(head!.split(' ')[1]), body: json ? JSON.parse(json) : undefined });
      });
    });

  const expectApiError = (r: { status: number; body: any }, status: number, code: string) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body?.code, code);
    assert.equal(typeof r.body?.message, 'string');
  };

  it('odd but legal requests are refused with {code, message}, never 500', async () => {
    // A method that needs a body type, on a path that does not take it: the method is what is wrong.
    expectApiError(await raw(`QUERY /v1/events HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`), 405, 'SL_API_METHOD_NOT_ALLOWED');
    for (const path of ['/v1/events/recent?limit=Infinity', '/v1/dlq?limit=1e400', '/v1/aggregates/page-views?window=1m&limit=-Infinity']) {
      const r = await getJson(`${platform().url}${path}`);
      expectApiError(r, 400, 'SL_API_BAD_REQUEST');
    }
    expectApiError(await raw(`GET /%ff HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`), 400, 'SL_API_BAD_REQUEST');
    expectApiError(await raw(`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`), 431, 'SL_API_HEADERS_TOO_LARGE');
    expectApiError(await raw(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`), 431, 'SL_API_HEADERS_TOO_LARGE');
    expectApiError(await raw('NOT HTTP AT ALL\r\n\r\n'), 400, 'SL_API_BAD_REQUEST');
    assert.equal((await getJson(`${platform().url}/healthz`)).status, 200);
  });

  it('a scalar body is not a batch: 400 SL_INGEST_BODY_INVALID', async () => {
    for (const body of ['null', '42', '"x"', 'true']) {
      const response = await fetch(`${platform().url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 400, body);
      assert.equal(((await response.json()) as { code: string }).code, 'SL_INGEST_BODY_INVALID', body);
    }
  });

  it('invalid UTF-8 is refused, never replaced: per line in NDJSON (kept as sent), per body in JSON', async () => {
    const bad = Buffer.concat([Buffer.from('{"id":"utf-'), Buffer.from([0xff, 0xfe]), Buffer.from(`","source":"web","type":"page_view","timestamp":${T0},"payload":{}}`)]);
    const good = Buffer.from(JSON.stringify(pageView('utf-good', T0, '/')));
    const ndjson = await fetch(`${platform().url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: Buffer.concat([bad, Buffer.from('\n'), good]) });
    assert.equal(ndjson.status, 200);
    const result = (await ndjson.json()) as { accepted: number; rejected: Array<{ index: number; code: string; message: string }> };
    assert.equal(result.accepted, 1);
    assert.deepEqual(result.rejected.map((x) => [x.index, x.code]), [[0, 'SL_EVENT_UNPARSEABLE']]);
    assert.match(result.rejected[0]!.message, /UTF-8/);
    const [letter] = await letters('SL_EVENT_UNPARSEABLE', 1);
    const kept = await fetch(`${platform().url}/v1/dlq/${letter!.id}?original=text`);
    assert.equal(kept.status, 200);
    const json = await fetch(`${platform().url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from('['), bad, Buffer.from(']')]) });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { code: string }).code, 'SL_INGEST_BODY_INVALID');
  });

  const register = async (subject: string, schema: object) => {
    const response = await fetch(`${platform().url}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(schema) }),
    });
    return { status: response.status, body: (await response.json()) as { code?: string; message: string } };
  };

  it('a backtracking pattern in a contract cannot freeze the server: patterns match in linear time', async () => {
    const registered = await register('evil.redos', { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    // A backtracking engine takes 2^32 steps for this string: minutes, with the event loop blocked
    // (28 characters took 5.5 s). Linear: well under a millisecond. The bound below only tells
    // the two apart, with a margin of hundreds.
    const started = Date.now();
    const r = await post(JSON.stringify([{ id: 'redos-1', source: 'evil', type: 'redos', timestamp: T0, payload: { s: `${'a'.repeat(32)}!` } }, { id: 'redos-2', source: 'evil', type: 'redos', timestamp: T0, payload: { s: 'aaaa' } }]));
    assert.ok(Date.now() - started < 5000, `checking two events took ${Date.now() - started} ms`);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.rejected.map((x) => [x.index, x.code]), [[0, 'SL_CONTRACT_VIOLATION']]);
    assert.equal((await getJson(`${platform().url}/healthz`)).status, 200);
  });

  it('uniqueItems over 30,000 objects cannot freeze the server: items are compared in linear time', async () => {
    const registered = await register('evil.unique', { type: 'object', properties: { a: { type: 'array', uniqueItems: true } } });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    // Ajv's own uniqueItems compares every pair of objects: this event (350 KB) held the event
    // loop for 14 s. Linear: tens of milliseconds. The bound only tells the two apart.
    const items = Array.from({ length: 30_000 }, (_, i) => ({ x: i }));
    const started = Date.now();
    const r = await post(JSON.stringify([
      { id: 'unique-1', source: 'evil', type: 'unique', timestamp: T0, payload: { a: items } },
      { id: 'unique-2', source: 'evil', type: 'unique', timestamp: T0, payload: { a: [...items, { x: 0 }] } },
    ]));
    assert.ok(Date.now() - started < 5000, `checking two events took ${Date.now() - started} ms`);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.rejected.map((x) => [x.index, x.code]), [[1, 'SL_CONTRACT_VIOLATION']]);
  });

  it('a pattern the linear-time engine cannot take is refused at registration, with the reason', async () => {
    for (const pattern of ['^(?=a)a$', '^(a)\\1$']) {
      const r = await register('evil.lookaround', { type: 'object', properties: { s: { type: 'string', pattern } } });
      assert.equal(r.status, 422, pattern);
      assert.match(r.body.message, /linear-time \(RE2\) engine/, pattern);
    }
  });
});
