import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { duckdbExtensionDir } from '../../src/platform/key-file.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { latestMetadata, pyicebergSkipReason, readCatalog, readStaticTable } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const DAY = Date.UTC(2026, 10, 20, 10, 0, 0);
const SUBJECT = 'web.page_view';
const TABLE = 'events_web_page_view';

/** A closed JSON Schema (no other properties): adding an optional field is then backward compatible. */
const contract = (properties: Record<string, unknown>): string => JSON.stringify({ type: 'object', properties, required: ['page'], additionalProperties: false });
const V1 = { user_id: { type: 'string' }, page: { type: 'string' } };
const V2 = { ...V1, referrer: { type: 'string' }, load_ms: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } };
const V3 = { ...V2, load_ms: { type: 'number' } };

const event = (id: string, i: number, payload: Record<string, unknown>): Record<string, unknown> => ({ id, source: 'web', type: 'page_view', timestamp: DAY + i * 60_000, payload });

async function duckdbScan(location: string): Promise<{ rows: number; loadMs: number; loadMsDouble: number }> {
  const instance = await DuckDBInstance.create(':memory:', { extension_directory: duckdbExtensionDir(), autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn = await instance.connect();
  try {
    await conn.run('LOAD iceberg');
    const [row] = (await conn.runAndReadAll(`SELECT count(*), coalesce(sum(load_ms), 0), coalesce(sum(load_ms_double), 0) FROM iceberg_scan('${location.replaceAll("'", "''")}')`)).getRows();
    return { rows: Number(row![0]), loadMs: Number(row![1]), loadMsDouble: Number(row![2]) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('contract tables: a table per subject whose columns follow the contract', { skip: pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let admin: string;
  let tableDir: string;

  const register = async (properties: Record<string, unknown>): Promise<void> => {
    const res = await fetch(`${platform.url}/subjects/${SUBJECT}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: contract(properties), schemaType: 'JSON' }),
    });
    assert.equal(res.status, 200, await res.text());
  };
  const send = async (events: Array<Record<string, unknown>>): Promise<void> => {
    const { body } = await postEvents(platform.url, events);
    assert.equal(body.accepted, events.length, JSON.stringify(body));
    await waitForBacklogZero(platform.url);
  };
  const rowsInTable = async (n: number): Promise<void> => {
    await eventually(async () => (await readStaticTable(await latestMetadata(tableDir))).rows === n, `${n} rows in ${TABLE}`, 60_000);
  };

  before(async () => {
    tmp = await tempDir();
    tableDir = join(tmp.dir, 'data', 'cold', 'contracts', SUBJECT);
    platform = await startPlatform(
      buildConfig({
        dataDir: join(tmp.dir, 'data'),
        server: { port: 0 },
        cold: { rollRows: 5, rollInterval: '1s' },
        probe: { interval: '0s' },
        lifecycle: { interval: '1h', tables: { '*': { compactBelow: '32MiB', compactMinFiles: 2 } } },
      }),
      pino({ level: 'silent' }),
    );
    admin = platform.firstAdminToken!;
    await register(V1);
    await send(Array.from({ length: 20 }, (_, i) => event(`a${i}`, i, { user_id: i % 2 ? 'u1' : 'u2', page: `/p${i % 3}` })));
    await rowsInTable(20);
    await register(V2);
    await send(Array.from({ length: 10 }, (_, i) => event(`b${i}`, 20 + i, { user_id: i % 2 ? 'u1' : 'u3', page: '/new', referrer: `r${i}`, load_ms: i, tags: ['x', `t${i}`] })));
    await rowsInTable(30);
    // The field's type widens from integer to number: a column cannot change type, so a new one takes the values.
    await register(V3);
    await send(Array.from({ length: 4 }, (_, i) => event(`c${i}`, 30 + i, { user_id: 'u3', page: '/new', load_ms: i + 0.5 })));
    await rowsInTable(34);
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('gains a column, under a new schema, for each field a version adds; older rows read it as null', { timeout: 60_000 }, async () => {
    const table = await readStaticTable(await latestMetadata(tableDir), { rows: true });
    assert.deepEqual(table.columns, ['id', 'source', 'type', 'timestamp', 'event_time', 'user_id', 'contract_version', 'late', 'log_pos', 'payload_user_id', 'page', 'referrer', 'load_ms', 'tags', 'load_ms_double']);
    assert.equal(table.schemas, 3, 'v1, the fields of v2, the widened field of v3');
    const rows = new Map(table.row_values!.map((r) => [r.id as string, r]));
    assert.equal(rows.size, 34);
    assert.deepEqual(
      { ...rows.get('a3'), event_time: undefined, log_pos: undefined },
      { id: 'a3', source: 'web', type: 'page_view', timestamp: DAY + 3 * 60_000, event_time: undefined, user_id: 'u1', contract_version: 1, late: false, log_pos: undefined, payload_user_id: 'u1', page: '/p0', referrer: null, load_ms: null, tags: null, load_ms_double: null },
    );
    const b4 = rows.get('b4')!;
    assert.deepEqual([b4.contract_version, b4.referrer, b4.load_ms, b4.tags, b4.load_ms_double], [2, 'r4', 4, '["x","t4"]', null]);
    const c1 = rows.get('c1')!;
    assert.deepEqual([c1.contract_version, c1.load_ms, c1.load_ms_double], [3, null, 1.5]);
    // DuckDB's own Iceberg reader agrees, values and all.
    assert.deepEqual(await duckdbScan(await latestMetadata(tableDir)), { rows: 34, loadMs: 45, loadMsDouble: 0.5 + 1.5 + 2.5 + 3.5 });
  });

  it('is in the catalog beside events, and Sightline reads it across schemas', { timeout: 60_000 }, async () => {
    const catalog = await readCatalog(`${platform.url}/iceberg`, admin);
    assert.deepEqual(Object.keys(catalog.tables).sort(), ['events', TABLE, 'page_views']);
    assert.equal(catalog.tables[TABLE]!.rows, 34);
    assert.equal(catalog.tables.events!.rows, 34);
    const { rows } = (await getJson(`${platform.url}/v1/tables/${TABLE}/rows?limit=100`)).body as { rows: Array<Record<string, unknown>> };
    assert.equal(rows.length, 34);
    assert.equal(rows.filter((r) => r.referrer !== null).length, 10);
    assert.equal(rows.find((r) => r.id === 'a0')!.referrer, null);
  });

  it('compacts files of different schemas into one without losing a value', { timeout: 60_000 }, async () => {
    const dataFiles = async (): Promise<number> => ((await getJson(`${platform.url}/v1/tables`)).body.tables as Array<{ name: string; data_files: number }>).find((t) => t.name === TABLE)!.data_files;
    const before = await readStaticTable(await latestMetadata(tableDir), { rows: true });
    assert.ok((await dataFiles()) >= 3, `files before: ${await dataFiles()}`);
    const run = await fetch(`${platform.url}/v1/lifecycle/run`, { method: 'POST' });
    const report = await run.text();
    assert.equal(run.status, 200, report);
    assert.equal(await dataFiles(), 1, report);
    const after = await readStaticTable(await latestMetadata(tableDir), { rows: true });
    assert.deepEqual(after.row_values, before.row_values);
    assert.equal(after.snapshots, before.snapshots + 1, 'one replace snapshot');
  });

  it('gets the last events at a clean stop, as events does', { timeout: 60_000 }, async () => {
    // Exports only at the stop: the registry closes before the stores, and the last export still fills the contract table.
    const dataDir = join(tmp.dir, 'at-stop');
    const quiet = await startPlatform(buildConfig({ dataDir, server: { port: 0 }, cold: { rollRows: 100_000, rollInterval: '1h' }, probe: { interval: '0s' } }), pino({ level: 'silent' }));
    let stopped = false;
    try {
      const res = await fetch(`${quiet.url}/subjects/${SUBJECT}/versions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: contract(V1), schemaType: 'JSON' }) });
      assert.equal(res.status, 200);
      assert.equal((await postEvents(quiet.url, Array.from({ length: 7 }, (_, i) => event(`s${i}`, i, { page: '/stop' })))).body.accepted, 7);
      await waitForBacklogZero(quiet.url);
      await quiet.stop();
      stopped = true;
    } finally {
      if (!stopped) await quiet.stop();
    }
    assert.equal((await readStaticTable(await latestMetadata(join(dataDir, 'cold', 'events')))).rows, 7);
    assert.equal((await readStaticTable(await latestMetadata(join(dataDir, 'cold', 'contracts', SUBJECT)))).rows, 7);
  });

  it('loses the rows of an erased user, as events does', { timeout: 90_000 }, async () => {
    const requested = await fetch(`${platform.url}/v1/erasures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: 'u3' }) });
    const { id } = (await requested.json()) as { id: string };
    assert.equal(requested.status, 202, id);
    await eventually(async () => (await getJson(`${platform.url}/v1/erasures/${id}`)).body.state === 'done', 'the erasure applied', 60_000);
    const table = await readStaticTable(await latestMetadata(tableDir));
    assert.equal(table.user_ids!.u3, undefined);
    assert.equal(table.rows, 34 - 5 - 4);
  });
});
