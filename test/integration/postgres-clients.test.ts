import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { Agent, fetch as tlsFetch } from 'undici';
import { selfSignedFiles } from '../../src/cli/self-signed.js';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { pageView } from '../helpers/events.js';
import { pgClientsSkipReason, runClient, runJdbcCheck } from '../helpers/pg-clients.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const PSYCOPG_CHECK = fileURLToPath(new URL('../../../test/tools/psycopg_check.py', import.meta.url));
const T0 = Date.now() - 3_600_000;

/**
 * The Postgres wire protocol with the clients people use: psql, node-postgres, psycopg and pgjdbc
 * each connect over TLS (the certificate verified) with an API key as the password, run
 * parameterised queries, and get the same answers as POST /v1/sql and the REST aggregates. JDBC
 * also runs DatabaseMetaData's catalog questions, as a BI tool does when it connects.
 */
describe('the Postgres wire protocol, with real clients', { skip: pgClientsSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let ca: string;
  let caFile: string;
  let agent: Agent;
  let reader: string;
  let port: number;
  const expected = { userCount: 0, windows: [] as string[], total: 0 };

  const api = async (path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const response = await tlsFetch(`${platform.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      dispatcher: agent,
    });
    return { status: response.status, body: await response.json() };
  };
  const pgConfig = (password: string): pg.ClientConfig => ({ host: 'localhost', port, user: 'sightline', password, database: 'sightline', ssl: { ca } });

  before(async () => {
    tmp = await tempDir();
    const dataDir = join(tmp.dir, 'data');
    const { certPath, keyPath } = await selfSignedFiles(dataDir);
    caFile = certPath;
    ca = await readFile(certPath, 'utf8');
    agent = new Agent({ connect: { ca } });
    const config = buildConfig({
      dataDir,
      server: { port: 0, tls: { cert: certPath, key: keyPath } },
      auth: { required: true },
      postgres: { port: 0 },
      contracts: { unknown: 'accept' },
      probe: { interval: '0s' },
      aggregations: [{ name: 'page-views', match: { type: 'page_view' }, groupBy: 'payload.page', windows: ['1m'] }],
    });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    port = Number(platform.postgres!.split(':').pop());
    const admin = platform.firstAdminToken!;
    const created = await api('/v1/keys', admin, { name: 'bi', grants: [{ scope: 'query:read' }, { scope: 'dlq:read' }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    reader = created.body.token;
    const events = Array.from({ length: 30 }, (_, i) => pageView(`e${i}`, T0 + i * 10_000, ['/a', '/b', '/c'][i % 3]!, `u${i % 2}`));
    assert.equal((await api('/v1/events', admin, events)).body.accepted, 30);
    await eventually(async () => (await api('/v1/sql', reader, { sql: 'SELECT count(*) FROM events' })).body.rows?.[0]?.[0] === 30, 'the events stored');
    const count = await api('/v1/sql', reader, { sql: 'SELECT count(*) FROM events WHERE user_id = $user AND timestamp >= $since', params: { user: 'u0', since: T0 } });
    expected.userCount = count.body.rows[0][0];
    const rest = (await api('/v1/aggregates/page-views?limit=1000', reader)).body.windows as Array<{ page: string; count: number }>;
    const sums = new Map<string, number>();
    for (const w of rest) sums.set(w.page, (sums.get(w.page) ?? 0) + w.count);
    expected.windows = [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([page, n]) => `${page}=${n}`);
    expected.total = 30;
    assert.equal(expected.userCount, 15);
    assert.deepEqual(expected.windows, ['/a=10', '/b=10', '/c=10']);
  });
  after(async () => {
    await platform?.stop();
    await agent?.close();
    await tmp?.cleanup();
  });

  it('psql: over TLS with the key as password, with psql variables', async () => {
    const url = `postgresql://sightline@localhost:${port}/sightline?sslmode=verify-full&sslrootcert=${caFile}`;
    // psql puts its variables into a script it reads (not into -c).
    const script = "SELECT count(*) FROM events WHERE user_id = :'user' AND timestamp >= :since;\nSELECT group_key, sum(count)::BIGINT FROM page_views GROUP BY 1 ORDER BY 1;\n";
    const run = await runClient('psql', [url, '-At', '-F', '=', '-v', 'ON_ERROR_STOP=1', '-v', 'user=u0', '-v', `since=${T0}`, '-f', '-'], { PGPASSWORD: reader }, script);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [String(expected.userCount), ...expected.windows]);
    const tables = await runClient('psql', [url, '-At', '-c', '\\dt'], { PGPASSWORD: reader });
    assert.equal(tables.status, 0, tables.stderr);
    assert.deepEqual(tables.stdout.trim().split('\n').map((l) => l.split('|')[1]), ['dead_letters', 'events', 'page_views']);
    // \d on a view: its columns with Postgres' type names; \l and \du: the one database and role.
    const described = await runClient('psql', [url, '-At', '-c', '\\d events'], { PGPASSWORD: reader });
    assert.equal(described.status, 0, described.stderr);
    const columns = described.stdout.trim().split('\n').map((l) => l.split('|').slice(0, 2).join(' '));
    assert.deepEqual(columns.slice(0, 5), ['id text', 'source text', 'type text', 'timestamp bigint', 'event_time timestamp without time zone']);
    const databases = await runClient('psql', [url, '-At', '-c', '\\l'], { PGPASSWORD: reader });
    assert.equal(databases.status, 0, databases.stderr);
    assert.match(databases.stdout, /^sightline\|sightline\|UTF8/);
    const refused = await runClient('psql', [url, '-c', 'SELECT 1'], { PGPASSWORD: 'slk_0000000000000000_wrong' });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /password authentication failed/);
  });

  it('node-postgres: parameterised queries, typed results, errors with their SQLSTATE, cancellation', async () => {
    const client = new pg.Client(pgConfig(reader));
    await client.connect();
    try {
      const count = await client.query('SELECT count(*)::INTEGER AS n FROM events WHERE user_id = $1 AND timestamp >= $2', ['u0', T0]);
      assert.equal(count.rows[0].n, expected.userCount);
      const first = await client.query('SELECT id, event_time, late, timestamp FROM events WHERE event_time >= $1 ORDER BY timestamp LIMIT 1', [new Date(T0)]);
      assert.equal(first.rows[0].id, 'e0');
      assert.equal(first.rows[0].late, false);
      assert.equal(first.fields.map((f) => f.dataTypeID).join(','), '25,1114,16,20');
      const windows = await client.query({ text: 'SELECT group_key, sum(count)::BIGINT FROM page_views GROUP BY 1 ORDER BY 1', rowMode: 'array' });
      assert.deepEqual(windows.rows.map(([g, c]) => `${g}=${c}`), expected.windows);
      await assert.rejects(client.query('DELETE FROM events'), (err: { code?: string }) => err.code === '25006');
      await assert.rejects(client.query('SELECT * FROM nowhere'), (err: { code?: string }) => err.code === '42P01');
      // A runaway statement, cancelled by a CancelRequest on a connection of its own.
      const runaway = client.query('SELECT count(*) FROM range(100000) a, range(100000) b WHERE a.range + b.range = -1');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const canceller = new pg.Client(pgConfig(reader));
      (canceller as unknown as { cancel(client: pg.Client, query: unknown): void }).cancel(client, (client as unknown as { activeQuery: unknown }).activeQuery);
      await assert.rejects(runaway, (err: { code?: string }) => err.code === '57014');
      // The session goes on after it.
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await client.end();
    }
    // A key without query:read is refused at startup.
    const ingestOnly = await api('/v1/keys', platform.firstAdminToken!, { name: 'producer', grants: [{ scope: 'ingest:write' }] });
    const producer = new pg.Client(pgConfig(ingestOnly.body.token));
    await assert.rejects(producer.connect(), (err: { code?: string }) => err.code === '42501');
  });

  it('a malformed message ends its connection, never the server', async () => {
    const { connect } = await import('node:net');
    const send = (bytes: Buffer): Promise<void> =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
        socket.on('data', () => undefined);
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
    // A CancelRequest too short for its process id; a startup message too short for its version.
    await send(Buffer.from('00000008' + '04d2162e', 'hex'));
    await send(Buffer.from('00000006' + '0003', 'hex'));
    const client = new pg.Client(pgConfig(reader));
    await client.connect();
    assert.equal((await client.query('SELECT 2 AS two')).rows[0].two, 2);
    await client.end();
  });

  it('psycopg: parameterised queries bound on the server, the same answers', async () => {
    const run = await runClient('python3', [PSYCOPG_CHECK, 'localhost', String(port), reader, caFile, String(T0)]);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.equal(out.count, expected.userCount);
    assert.deepEqual(out.windows, expected.windows);
    assert.equal(out.first[0], 'e0');
    assert.equal(out.drop, '25006');
    assert.equal(out.server_version, 160000);
  });

  it("pgjdbc: a BI tool's connect sequence (DatabaseMetaData), prepared statements past the threshold, fetch sizes", { timeout: 180_000 }, async () => {
    const url = `jdbc:postgresql://localhost:${port}/sightline?sslmode=verify-full&sslrootcert=${caFile}`;
    const out = await runJdbcCheck(url, 'sightline', reader, T0);
    const said = JSON.stringify(out);
    assert.match(out.product, /^PostgreSQL 16/);
    assert.deepEqual([...out.tables].sort(), ['dead_letters', 'events', 'page_views']);
    assert.ok(out.events_columns.includes('event_time:timestamp'), said);
    assert.ok(out.events_columns.includes('timestamp:int8'), said);
    assert.equal(out.prepared.length, 6);
    assert.ok(out.prepared.every((p: string) => p === `${expected.userCount}@${T0}`), out.prepared.join(', '));
    assert.deepEqual(out.windows, expected.windows);
    assert.equal(out.fetched, expected.total);
    assert.equal(out.delete_sqlstate, '25006');
  });

  it('audits each statement by its digest, with the key and the protocol', async () => {
    const entries = (await api('/v1/audit?action=sql.query&limit=1000', platform.firstAdminToken!)).body.entries as Array<{ actor: string; target: string; detail: Record<string, unknown> }>;
    const viaPostgres = entries.filter((e) => e.detail.protocol === 'postgres');
    assert.ok(viaPostgres.length >= 10, `${viaPostgres.length} entries`);
    assert.ok(viaPostgres.every((e) => /^statement [0-9a-f]{16}|\(did not parse\)/.test(e.target) && e.actor !== 'unknown'));
    assert.ok(!JSON.stringify(viaPostgres).includes("'u0'"));
  });
});
