import type { DuckDBConnection } from '@duckdb/node-api';
import type { BackfillCounts, Reprocessed, StoredEventRow } from '../../core/backfill.js';
import type { DeadLetter } from '../../core/dead-letter.js';
import { SightlineError } from '../../core/errors.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { WindowCount } from '../../core/ports/processed-batch.js';
import { windowKey } from '../../core/window-key.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import { columnsIn, type DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { dayOfDate } from '../../lakehouse/iceberg/bounds.js';
import { typedColumns } from '../../lakehouse/iceberg/table-spec.js';
import { BACKFILL_MARK, backfillMark, markedBy } from './backfill-mark.js';
import { subtractWindows } from './backfill-windows.js';
import { removeRows } from './cold-erasure.js';
import { publishDataFile, sqlText } from './data-file-copy.js';
import { applyBackfillDay, ensureBackfillTables } from './duckdb-backfill.js';
import { localCopies } from './local-copies.js';
import { commitWritten } from './table-commit.js';
import { inPasses } from './table-passes.js';

/** What a backfill of stored events needs of the platform around the tables. */
export interface BackfillContext {
  conn: DuckDBConnection;
  cold: ColdStore;
  tables: ColdTables;
  encryption: { copy: string; read: string };
  /** Runs processing's checks again over stored events, with the pipeline as configured now. */
  reprocess(rows: readonly StoredEventRow[]): Reprocessed;
  /** Writes the dead letters of events processing now refuses (letters of one origin are one). */
  deadLetters(letters: readonly DeadLetter[]): Promise<void>;
  /** Runs a change on the hot store's writer connection, between its commits. */
  applyStaged<T>(change: (writer: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Exports what the hot store committed and the tables do not hold yet (in the archiver's turn). */
  exportPending(): Promise<void>;
}

/** Where a day's backfill stands: each step is done once, in this order. */
type Phase = 'planned' | 'letters' | 'hot' | 'contracts' | 'events' | 'done';

const DAY_MS = 86_400_000;
const CHUNK_ROWS = 20_000;
const ROW_COLUMNS = 'log_pos, id, source, type, timestamp, payload, metadata, late';


/**
 * Runs one day of the `events` table through processing again and replaces what it produced.
 * First the plan, in one hot-store transaction: the day's events checked and enriched again, the
 * metadata of each that comes out changed, the dead letters of those now refused and what they had
 * added to each window. Then the plan's steps, each recorded as done before the next: the dead
 * letters (repeats of an origin are kept once), the hot store (metadata, refused events, window
 * counts, in one transaction with the step's record), the contract tables, the day's files of
 * `events` (one `overwrite` snapshot) and the aggregation tables (one each), both marked with the
 * job and day so a step a crash interrupted after its commit is not applied twice. A day whose
 * events all come out as they went in changes nothing. With `dryRun` the plan is counted and dropped.
 */
export async function backfillDay(x: BackfillContext, job: string, day: string, dryRun: boolean): Promise<BackfillCounts> {
  await ensureBackfillTables(x.conn);
  let state = await stateOf(x.conn, job, day);
  if (!state) {
    // Two plans of one day would both take the same refused events' shares from its windows.
    const [other] = (await x.conn.runAndReadAll("SELECT job FROM sl_backfill_days WHERE day = $1 AND job <> $2 AND phase <> 'done' LIMIT 1", [day, job])).getRows();
    if (other) throw new SightlineError('SL_BACKFILL_BUSY', `${day} is still being backfilled by ${String(other[0])}: this backfill goes on once that one has finished the day`);
    await x.exportPending();
    state = await plan(x, job, day);
    if (dryRun) {
      await dropPlan(x.conn, job, day, true);
      return state.counts;
    }
  }
  const setPhase = async (phase: Phase): Promise<void> => {
    await x.conn.run('UPDATE sl_backfill_days SET phase = $3 WHERE job = $1 AND day = $2', [job, day, phase]);
    state!.phase = phase;
  };
  const from = dayOfDate(day) * DAY_MS;
  if (state.phase === 'planned') {
    await x.deadLetters(await plannedLetters(x.conn, job, day));
    await setPhase('letters');
  }
  if (state.phase === 'letters') {
    // The step's record commits with the hot store's changes: the window counts are lowered once.
    await x.applyStaged((writer) => applyBackfillDay(writer, job, day, from, from + DAY_MS));
    state.phase = 'hot';
  }
  if (state.phase === 'hot') {
    if (state.counts.refused > 0) await removeFromContractTables(x, job, day);
    await setPhase('contracts');
  }
  if (state.phase === 'contracts') {
    await inPasses(() => replaceDay(x, job, day));
    await setPhase('events');
  }
  if (state.phase === 'events') {
    if (state.counts.windows > 0) await subtractWindows(x, job, day, backfillMark(job, day));
    await dropPlan(x.conn, job, day, false);
    await setPhase('done');
  }
  return state.counts;
}

async function stateOf(conn: DuckDBConnection, job: string, day: string): Promise<{ phase: Phase; counts: BackfillCounts } | undefined> {
  const [row] = (await conn.runAndReadAll('SELECT phase, events, changed, refused, windows FROM sl_backfill_days WHERE job = $1 AND day = $2', [job, day])).getRows();
  if (!row) return undefined;
  return { phase: String(row[0]) as Phase, counts: { events: Number(row[1]), changed: Number(row[2]), refused: Number(row[3]), windows: Number(row[4]) } };
}

/** The day's files of `events` as the table holds them now, in a temporary table ordered by position. */
async function readDay(x: BackfillContext, day: string): Promise<{ files: DataFile[]; columns: string[] }> {
  const table = x.tables.of('events');
  const current = await table.load();
  const partitionDay = dayOfDate(day);
  const files = current ? (await table.liveFiles(current.metadata)).filter((f) => f.partitionDay === partitionDay) : [];
  const spec = current ? table.specOf(current.metadata) : table.spec;
  const copies = await localCopies(x.cold, table, files, 'backfill');
  try {
    const source = copies.paths.length === 0 ? `(SELECT ${typedColumns(spec, new Set())} WHERE false)` : `read_parquet([${copies.paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${copies.sealed ? x.encryption.read : ''})`;
    await x.conn.run(`CREATE OR REPLACE TEMP TABLE sl_bf_day AS SELECT ${typedColumns(spec, columnsIn(files))} FROM ${source} ORDER BY log_pos`);
  } finally {
    await copies.release();
  }
  return { files, columns: spec.fields.map((f) => f.name) };
}

async function plan(x: BackfillContext, job: string, day: string): Promise<{ phase: Phase; counts: BackfillCounts }> {
  const counts: BackfillCounts = { events: 0, changed: 0, refused: 0, windows: 0 };
  await readDay(x, day);
  const windows = new Map<string, WindowCount>();
  await x.conn.run('BEGIN TRANSACTION');
  try {
    await dropPlan(x.conn, job, day, true);
    const total = Number((await x.conn.runAndReadAll('SELECT count(*) FROM sl_bf_day')).getRows()[0]![0]);
    for (let start = 0; start < total; start += CHUNK_ROWS) {
      const chunk = (await x.conn.runAndReadAll(`SELECT ${ROW_COLUMNS} FROM sl_bf_day WHERE rowid >= ${start} AND rowid < ${start + CHUNK_ROWS} ORDER BY rowid`)).getRowObjects().map(storedRow);
      counts.events += chunk.length;
      const result = x.reprocess(chunk);
      const before = new Map(chunk.map((r) => [r.logPos, r.metadata]));
      const rows = await x.conn.createAppender('sl_backfill_plan_rows');
      const row = (r: { logPos: number; id: string }, metadata: string | null, keep: boolean): void => {
        rows.appendVarchar(job);
        rows.appendVarchar(day);
        rows.appendBigInt(BigInt(r.logPos));
        rows.appendVarchar(r.id);
        if (metadata === null) rows.appendNull();
        else rows.appendVarchar(metadata);
        rows.appendBoolean(keep);
        rows.endRow();
      };
      for (const kept of result.kept) {
        if (sameJson(before.get(kept.logPos)!, kept.metadata)) continue;
        counts.changed++;
        row(kept, kept.metadata, true);
      }
      for (const refused of result.refused) row(refused, null, false);
      rows.flushSync();
      rows.closeSync();
      const letters = await x.conn.createAppender('sl_backfill_plan_letters');
      for (const { letter } of result.refused) {
        counts.refused++;
        letters.appendVarchar(job);
        letters.appendVarchar(day);
        letters.appendVarchar(JSON.stringify({ ...letter, original: undefined }));
        letters.appendVarchar(letter.original.toString('utf8'));
        letters.endRow();
      }
      letters.flushSync();
      letters.closeSync();
      for (const w of result.windows) {
        const key = windowKey(w.name, w.window, w.windowStart, w.group, w.stream);
        const held = windows.get(key);
        if (held) held.count += w.count;
        else windows.set(key, { ...w });
      }
      // Other work of the event loop (requests, commits) between chunks.
      await new Promise((r) => setImmediate(r));
    }
    const deltas = await x.conn.createAppender('sl_backfill_plan_windows');
    for (const w of windows.values()) {
      for (const v of [job, day, w.name, w.window]) deltas.appendVarchar(v);
      deltas.appendBigInt(BigInt(w.windowStart));
      deltas.appendBigInt(BigInt(w.windowEnd));
      deltas.appendVarchar(w.group);
      deltas.appendVarchar(w.stream);
      deltas.appendBigInt(BigInt(w.count));
      deltas.endRow();
    }
    deltas.flushSync();
    deltas.closeSync();
    counts.windows = windows.size;
    const phase: Phase = counts.changed === 0 && counts.refused === 0 ? 'done' : 'planned';
    await x.conn.run('INSERT INTO sl_backfill_days VALUES ($1, $2, $3, $4, $5, $6, $7)', [job, day, phase, BigInt(counts.events), BigInt(counts.changed), BigInt(counts.refused), BigInt(counts.windows)]);
    await x.conn.run('COMMIT');
    return { phase, counts };
  } catch (err) {
    await x.conn.run('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await x.conn.run('DROP TABLE IF EXISTS sl_bf_day').catch(() => undefined);
  }
}

/** A day's plan goes once its steps are done (the day's record stays: a job run again skips the day), or all of it for a dry run. */
async function dropPlan(conn: DuckDBConnection, job: string, day: string, withRecord: boolean): Promise<void> {
  for (const table of ['sl_backfill_plan_rows', 'sl_backfill_plan_letters', 'sl_backfill_plan_windows', ...(withRecord ? ['sl_backfill_days'] : [])]) {
    await conn.run(`DELETE FROM ${table} WHERE job = $1 AND day = $2`, [job, day]);
  }
}

async function plannedLetters(conn: DuckDBConnection, job: string, day: string): Promise<DeadLetter[]> {
  const rows = (await conn.runAndReadAll('SELECT letter, original FROM sl_backfill_plan_letters WHERE job = $1 AND day = $2', [job, day])).getRows();
  return rows.map(([letter, original]) => ({ ...(JSON.parse(String(letter)) as Omit<DeadLetter, 'original'>), original: Buffer.from(String(original), 'utf8') }));
}

/** The planned rows of the day a condition picks, as a SQL condition on a table's `log_pos` and `id` ($1 job, $2 day). */
const plannedRow = (alias: string, which: string): string =>
  `EXISTS (SELECT 1 FROM sl_backfill_plan_rows p WHERE p.job = $1 AND p.day = $2 AND ${which} AND p.log_pos = ${alias}.log_pos AND p.id = ${alias}.id)`;

async function removeFromContractTables(x: BackfillContext, job: string, day: string): Promise<void> {
  for (const table of (await x.tables.all({ fresh: true })).filter((t) => t.base.startsWith('contracts/'))) {
    await removeRows({
      conn: x.conn,
      cold: x.cold,
      table,
      days: { first: day, last: day },
      match: plannedRow('t', 'NOT p.keep'),
      params: [job, day],
      operation: 'backfill',
      expire: false,
      encryption: x.encryption,
      rename: (key) => key.replace(/(-b\d+)?\.parquet$/, `-b${Date.now()}.parquet`),
    });
  }
}

/** Swaps the day's files of `events` for one file of its events with the plan applied, in one snapshot. */
async function replaceDay(x: BackfillContext, job: string, day: string): Promise<void> {
  const table = x.tables.of('events');
  const mark = backfillMark(job, day);
  if (markedBy(await table.load(), mark)) return;
  const { files, columns } = await readDay(x, day);
  try {
    if (files.length === 0) return;
    const key = `${table.base}/dt=${day}/part-b${Date.now()}.parquet`;
    const select = columns.map((c) => (c === 'metadata' ? `coalesce((SELECT p.metadata FROM sl_backfill_plan_rows p WHERE p.job = $1 AND p.day = $2 AND p.keep AND p.log_pos = b.log_pos AND p.id = b.id), b.metadata) AS metadata` : `b."${c}"`)).join(', ');
    const query = `SELECT ${select} FROM sl_bf_day b WHERE NOT ${plannedRow('b', 'NOT p.keep')} ORDER BY b.timestamp, b.log_pos`;
    const file = await publishDataFile(x.conn, x.cold, table.spec, key, dayOfDate(day), query, x.encryption.copy, [job, day]);
    const read = new Set(files.map((f) => f.path));
    await commitWritten(table, x.cold, [key], async (latest) => {
      if (markedBy(latest, mark)) return null;
      const live = new Set(latest ? (await table.liveFiles(latest.metadata)).map((f) => f.path) : []);
      if ([...read].some((path) => !live.has(path))) {
        throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${table.base}: the files of ${day} changed while the backfill read them; the day is read again`, { retryable: true });
      }
      return { operation: 'overwrite', added: [file], removed: read, summary: { 'sightline.operation': 'backfill', [BACKFILL_MARK]: mark } };
    });
  } finally {
    await x.conn.run('DROP TABLE IF EXISTS sl_bf_day').catch(() => undefined);
  }
}

function storedRow(r: Record<string, unknown>): StoredEventRow {
  return {
    logPos: Number(r.log_pos),
    id: String(r.id),
    source: String(r.source),
    type: String(r.type),
    timestamp: Number(r.timestamp),
    payload: (r.payload as string | null) ?? '{}',
    metadata: (r.metadata as string | null) ?? '{}',
    late: r.late === true,
  };
}

/** Whether two JSON texts hold the same value, key order included (both written by JSON.stringify or DuckDB). */
function sameJson(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}
