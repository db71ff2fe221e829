import type { DuckDBConnection } from '@duckdb/node-api';
import type { DeadLetter } from '../../core/dead-letter.js';
import { SightlineError } from '../../core/errors.js';
import { inPasses } from './table-passes.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import type { ColdTables } from '../../lakehouse/cold-tables.js';
import { columnsIn, type DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { dayOfDate } from '../../lakehouse/iceberg/bounds.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { typedColumns } from '../../lakehouse/iceberg/table-spec.js';
import type { Reprocessed, StoredEventRow } from '../../core/backfill.js';
import { removeRows } from './cold-erasure.js';
import { publishDataFile, sqlText } from './data-file-copy.js';
import { localCopies } from './local-copies.js';
import { commitWritten } from './table-commit.js';

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
  /** Applies the changes staged in `sl_backfill_rows` to the hot store's `events`. */
  applyToHot(): Promise<void>;
}

export interface DayOutcome {
  /** Events of the day the table held. */
  events: number;
  /** Of them, stored again with other metadata. */
  changed: number;
  /** Of them, refused now: gone to the dead-letter queue. */
  refused: number;
}

const CHUNK_ROWS = 20_000;
const ROW_COLUMNS = 'log_pos, id, source, type, timestamp, payload, metadata, late';

/**
 * Runs one day of the `events` table through processing again and replaces it: the day's files
 * are read, each event checked and enriched as processing would now, and one `overwrite` snapshot
 * swaps the day's files for one file of the result. Events now refused go to the dead-letter queue
 * and leave the contract tables and the hot store too; the hot store's copies get the new metadata.
 * A day whose events all come out as they went in is left as it is, so running a day again changes
 * nothing. When another writer changed the day's files meanwhile (a compaction, an erasure) the day
 * is read again.
 */
export async function backfillDay(x: BackfillContext, day: string): Promise<DayOutcome> {
  try {
    return await inPasses(() => backfillPass(x, day));
  } finally {
    await x.conn.run('DROP TABLE IF EXISTS sl_bf_day').catch(() => undefined);
  }
}

async function backfillPass(x: BackfillContext, day: string): Promise<DayOutcome> {
  const table = x.tables.of('events');
  const current = await table.load();
  const outcome: DayOutcome = { events: 0, changed: 0, refused: 0 };
  if (!current) return outcome;
  const partitionDay = dayOfDate(day);
  const files = (await table.liveFiles(current.metadata)).filter((f) => f.partitionDay === partitionDay);
  if (files.length === 0) return outcome;
  const spec = table.specOf(current.metadata);
  const copies = await localCopies(x.cold, table, files, 'backfill');
  try {
    const read = `read_parquet([${copies.paths.map(sqlText).join(', ')}], hive_partitioning = false, union_by_name = true${copies.sealed ? x.encryption.read : ''})`;
    await x.conn.run(`CREATE OR REPLACE TEMP TABLE sl_bf_day AS SELECT ${typedColumns(spec, columnsIn(files))} FROM ${read}`);
  } finally {
    await copies.release();
  }
  await x.conn.run('DELETE FROM sl_backfill_rows');
  const letters: DeadLetter[] = [];
  for (let after = Number.MIN_SAFE_INTEGER; ; ) {
    const chunk = (await x.conn.runAndReadAll(`SELECT ${ROW_COLUMNS} FROM sl_bf_day WHERE log_pos > $1 ORDER BY log_pos LIMIT ${CHUNK_ROWS}`, [BigInt(after)])).getRowObjects().map(storedRow);
    if (chunk.length === 0) break;
    after = chunk[chunk.length - 1]!.logPos;
    outcome.events += chunk.length;
    const result = x.reprocess(chunk);
    const before = new Map(chunk.map((r) => [r.logPos, r.metadata]));
    const stage = await x.conn.createAppender('sl_backfill_rows');
    for (const { logPos, metadata } of result.kept) {
      if (sameJson(before.get(logPos)!, metadata)) continue;
      outcome.changed++;
      stage.appendBigInt(BigInt(logPos));
      stage.appendVarchar(metadata);
      stage.appendBoolean(true);
      stage.endRow();
    }
    for (const { logPos, letter } of result.refused) {
      outcome.refused++;
      letters.push(letter);
      stage.appendBigInt(BigInt(logPos));
      stage.appendNull();
      stage.appendBoolean(false);
      stage.endRow();
    }
    stage.flushSync();
    stage.closeSync();
  }
  if (outcome.changed === 0 && outcome.refused === 0) return outcome;
  // The letters first: a crash after them runs the day again, and refuses the same events again
  // under the same origins, which the dead-letter queue keeps once.
  if (letters.length > 0) await x.deadLetters(letters);
  await x.applyToHot();
  if (outcome.refused > 0) await removeRefusedFromContractTables(x, day);
  await replaceDay(x, table, files, day, spec.fields.map((f) => f.name));
  return outcome;
}

/** Swaps the day's files read for one file of the events as processed again, in one snapshot. */
async function replaceDay(x: BackfillContext, table: IcebergTable, files: readonly DataFile[], day: string, columns: string[]): Promise<void> {
  const key = `${table.base}/dt=${day}/part-b${Date.now()}.parquet`;
  const select = columns.map((c) => (c === 'metadata' ? 'coalesce(s.metadata, b.metadata) AS metadata' : `b."${c}"`)).join(', ');
  const query = `SELECT ${select} FROM sl_bf_day b LEFT JOIN sl_backfill_rows s ON s.log_pos = b.log_pos WHERE coalesce(s.keep, true) ORDER BY b.timestamp, b.log_pos`;
  const file = await publishDataFile(x.conn, x.cold, table.spec, key, dayOfDate(day), query, x.encryption.copy);
  const read = new Set(files.map((f) => f.path));
  await commitWritten(table, x.cold, [key], async (latest) => {
    const live = new Set(latest ? (await table.liveFiles(latest.metadata)).map((f) => f.path) : []);
    if ([...read].some((path) => !live.has(path))) {
      throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${table.base}: the files of ${day} changed while the backfill read them; the day is read again`, { retryable: true });
    }
    return { operation: 'overwrite', added: [file], removed: read, summary: { 'sightline.operation': 'backfill' } };
  });
}

async function removeRefusedFromContractTables(x: BackfillContext, day: string): Promise<void> {
  for (const table of (await x.tables.all({ fresh: true })).filter((t) => t.base.startsWith('contracts/'))) {
    await removeRows({
      conn: x.conn,
      cold: x.cold,
      table,
      days: { first: day, last: day },
      match: 'log_pos IN (SELECT log_pos FROM sl_backfill_rows WHERE NOT keep)',
      params: [],
      operation: 'backfill',
      expire: false,
      encryption: x.encryption,
      rename: (key) => key.replace(/(-b\d+)?\.parquet$/, `-b${Date.now()}.parquet`),
    });
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
