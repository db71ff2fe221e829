#!/usr/bin/env node
// Seeds a running platform (started with examples/sightline.yaml) so the API fuzz run reaches deep
// paths: the example events, a few that end in the dead-letter queue, two more registered
// contracts (one JSON, one Avro) and a second version and a deprecation of the example one. Then
// writes fuzz dictionaries (libFuzzer format, one quoted value a line) of the ids that now exist,
// for scripts/fuzz/schemathesis.toml to draw path and query values from.
//
//   node scripts/fuzz/seed.mjs URL OUT_DIR
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  process.stderr.write('usage: seed.mjs URL OUT_DIR\n');
  process.exit(2);
}
const root = fileURLToPath(new URL('../..', import.meta.url));
const T0 = 1795683600000; // the example file's first event time (2026-11-26T09:00:00Z)

async function call(method, path, body, contentType = 'application/json') {
  // The platform requires keys: run.sh passes the admin key its first start printed.
  const auth = process.env.SIGHTLINE_KEY ? { authorization: `Bearer ${process.env.SIGHTLINE_KEY}` } : {};
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...auth, ...(body !== undefined && { 'content-type': contentType }) },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

async function expect(method, path, body, status = 200, contentType) {
  const r = await call(method, path, body, contentType);
  if (r.status !== status) throw new Error(`${method} ${path} answered ${r.status}, expected ${status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function until(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

await until('/readyz to answer 200', async () => (await call('GET', '/readyz')).status === 200, 60_000);

// Two more contracts through the Confluent API, and a compatible second version of the example one.
const clickSchema = {
  type: 'object',
  properties: { user_id: { type: 'string' }, x: { type: 'integer' }, y: { type: 'integer' } },
  required: ['user_id'],
};
const avroSchema = { type: 'record', name: 'Order', namespace: 'shop', fields: [{ name: 'order_id', type: 'string' }, { name: 'amount', type: 'double' }] };
const pageView2 = JSON.parse(readFileSync(join(root, 'examples/contracts/web.page_view.json'), 'utf8'));
delete pageView2.properties.user_id.minLength; // loosened: BACKWARD compatible
const registryType = 'application/vnd.schemaregistry.v1+json';
await expect('POST', '/subjects/web.click/versions', { schemaType: 'JSON', schema: JSON.stringify(clickSchema) }, 200, registryType);
await expect('POST', '/subjects/shop.order-value/versions', { schema: JSON.stringify(avroSchema) }, 200, registryType);
await expect('POST', '/subjects/web.page_view/versions', { schemaType: 'JSON', schema: JSON.stringify(pageView2) }, 200, registryType);
await expect('PUT', '/config/web.click', { compatibility: 'FULL' }, 200, registryType);
await expect('PUT', '/v1/contracts/web.page_view/versions/1/deprecation', { sunset: '2099-01-01T00:00:00Z' });

// The example events (NDJSON, one broken line), clicks, and events refused at ingest and in processing.
const ndjson = readFileSync(join(root, 'examples/page_views.ndjson'), 'utf8');
const sent = await expect('POST', '/v1/events', ndjson, 200, 'application/x-ndjson');
const extra = [
  ...Array.from({ length: 20 }, (_, i) => ({ id: `ck-${i}`, source: 'web', type: 'click', timestamp: T0 + 600_000 + i * 1000, payload: { user_id: `u${i % 5}`, x: i, y: 2 * i } })),
  { id: 'ck-bad', source: 'web', type: 'click', timestamp: T0 + 630_000, payload: { user_id: 7 } }, // SL_CONTRACT_VIOLATION
  { id: 'ev-unknown', source: 'app', type: 'signup', timestamp: T0 + 630_000, payload: {} }, // SL_CONTRACT_UNKNOWN
  { id: 'pv-bob', source: 'web', type: 'page_view', timestamp: T0 + 631_000, payload: { user_id: 'bob', page: '/home' } }, // SL_QUALITY_FAILED
  { id: 'pv-late', source: 'web', type: 'page_view', timestamp: T0 - 3_600_000, payload: { user_id: 'u1', page: '/home' } }, // SL_EVENT_LATE
  { source: 'web', type: 'page_view', timestamp: T0, payload: { user_id: 'u1', page: '/' } }, // SL_EVENT_FIELD_MISSING
];
const sentExtra = await expect('POST', '/v1/events', extra);

// Wait until processing has stored them and the dead letters are indexed.
const { events: recent, next_cursor: cursor } = await until('stored events', async () => {
  const r = await call('GET', '/v1/events/recent?limit=50');
  return r.status === 200 && r.body.events.length >= 50 && r.body.next_cursor ? r.body : undefined;
});
const letters = await until('dead letters', async () => {
  const r = await call('GET', '/v1/dlq?limit=50');
  return r.status === 200 && r.body.dead_letters.length >= 5 ? r.body.dead_letters : undefined;
});
const contracts = (await expect('GET', '/v1/contracts')).subjects;

const unique = (values) => [...new Set(values.filter((v) => v !== undefined && v !== null).map(String))];
const dictionaries = {
  'event-ids': unique([...recent.map((e) => e.id), 'pv-0000', 'ck-0']),
  'dlq-ids': unique(letters.map((l) => l.id)),
  subjects: unique(contracts.map((s) => s.subject)),
  versions: ['1', '2', 'latest'],
  'schema-ids': unique(contracts.flatMap((s) => s.versions.map((v) => v.id))),
  aggregations: ['page-views'],
  // The example config's pipe, and one that does not exist.
  pipes: ['top_pages', 'no_such_pipe'],
  windows: ['1m', '5m'],
  pages: unique(recent.map((e) => e.payload?.page)),
  'user-ids': unique(recent.map((e) => e.payload?.user_id)),
  sources: ['web', 'app'],
  types: ['page_view', 'click', 'signup'],
  codes: unique(letters.map((l) => l.code)),
  rules: ['user-id-format', 'page-depth'],
  cursors: [cursor],
  // Schema texts that parse (and one incompatible change), so registry bodies reach the compatibility checks.
  schemas: [JSON.stringify(clickSchema), JSON.stringify(avroSchema), JSON.stringify(pageView2), JSON.stringify({ ...clickSchema, required: ['user_id', 'x'] })],
  times: [String(T0), String(T0 + 300_000), '2026-11-26T09:00:00Z', '2026-11-26T09:05:00.000Z'],
  // Statements that run, so SQL on read bodies reach the engine and not only its parser.
  sql: [
    'SELECT count(*) FROM events',
    'SELECT type, count(*) FROM events WHERE timestamp >= $1 GROUP BY type',
    "SELECT * FROM events WHERE event_time >= TIMESTAMP '2026-11-26' ORDER BY log_pos LIMIT 10",
    'SELECT group_key, sum(count) FROM page_views WHERE final GROUP BY 1',
    'SELECT code, count(*) FROM dead_letters GROUP BY code',
    "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'sightline'",
  ],
};
for (const [name, values] of Object.entries(dictionaries)) {
  if (values.length === 0) throw new Error(`no values for the ${name} dictionary`);
  writeFileSync(join(outDir, `${name}.dict`), values.map((v) => JSON.stringify(v)).join('\n') + '\n');
}
process.stdout.write(
  `seeded: ${sent.accepted + sentExtra.accepted} events accepted, ${sent.rejected.length + sentExtra.rejected.length} refused at ingest; ` +
    `${letters.length} dead letters, ${contracts.length} subjects (${dictionaries['schema-ids'].length} schema ids)\n`,
);
