import { open, rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ErasureScope } from '../../core/erasure.js';
import type { ColdStore } from '../../core/ports/cold-store.js';
import { SightlineError } from '../../core/errors.js';
import { inPasses } from './table-passes.js';
import { commitWritten } from './table-commit.js';
import { columnsIn, type DataFile } from '../../lakehouse/iceberg/avro-manifests.js';
import { type TableSpec, typedColumns } from '../../lakehouse/iceberg/table-spec.js';
import type { IcebergTable } from '../../lakehouse/iceberg/iceberg-table.js';
import { publishDataFile, sqlText } from './data-file-copy.js';
import { LETTERS_OF_SUBJECT } from './duckdb-erasure.js';

const DAY_MS = 86_400_000;
const DAY_IN_KEY = /\/dt=(\d{4}-\d{2}-\d{2})\//;

/** Whether a Parquet file is encrypted: it ends with the magic `PARE` (Parquet modular encryption), not `PAR1`. */
export async function sealedParquet(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const tail = Buffer.alloc(4);
    await handle.read(tail, 0, 4, Math.max(0, size - 4));
    return tail.toString('latin1') === 'PARE';
  } finally {
    await handle.close();
  }
}

/** Which rows to take out of a table's files, and of which days. */
export interface RowRemoval {
  conn: DuckDBConnection;
  cold: ColdStore;
  table: IcebergTable;
  /** The days (`YYYY-MM-DD`, inclusive; `first` '' for all before `last`) whose files may hold them. */
  days: { first: string; last: string };
  /** The rows, as a SQL condition on the table's columns (the file is `t`), and its parameters. */
  match: string;
  params: unknown[];
  /** Why, in the snapshot summary (`sightline.operation`). */
  operation: string;
  /** Expire every older snapshot afterwards, so time travel cannot bring the rows back. */
  expire: boolean;
  encryption: { copy: string; read: string };
  /** Names the rewritten file after the file it replaces. */
  rename(key: string): string;
}

/**
 * Removes one user's rows from a table of events (`events`, a contract's). Each data file of the days in scope that holds
 * some is rewritten without them under a new name, and one `overwrite` snapshot swaps the files.
 * Then every older snapshot is expired, whether or not a live file held the user's rows (a file
 * only an older snapshot names may), and the files only they named are deleted: time travel must
 * not bring erased rows back. A file of that user's rows alone becomes an empty file.
 */
export function eraseFromFiles(r: { conn: DuckDBConnection; cold: ColdStore; table: IcebergTable; scope: ErasureScope; encryption: { copy: string; read: string } }): Promise<{ files: number; rows: number }> {
  const { scope } = r;
  const first = scope.from === null ? '' : new Date(Math.floor(scope.from / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
  const last = new Date(scope.to).toISOString().slice(0, 10);
  return removeRows({
    ...r,
    days: { first, last },
    match: 'user_id IS NOT NULL AND sha256(user_id) = $1 AND timestamp BETWEEN $2 AND $3',
    params: [scope.subject, BigInt(scope.from ?? Number.MIN_SAFE_INTEGER), BigInt(scope.to)],
    operation: 'erasure',
    expire: true,
    rename: (key) => key.replace(/(-e\d+)?\.parquet$/, `-e${Date.now()}.parquet`),
  });
}

/**
 * Removes one user's dead letters from the `dead_letters` table, as `eraseFromFiles` removes their
 * events. Letters are filed by when they failed, not by event time: every day's files are read.
 */
export function eraseLettersFromFiles(r: Parameters<typeof eraseFromFiles>[0]): Promise<{ files: number; rows: number }> {
  const { scope } = r;
  return removeRows({
    ...r,
    days: { first: '', last: '9999-12-31' },
    match: LETTERS_OF_SUBJECT,
    params: [scope.subject, BigInt(scope.from ?? Number.MIN_SAFE_INTEGER), BigInt(scope.to)],
    operation: 'erasure',
    expire: true,
    rename: (key) => key.replace(/(-e\d+)?\.parquet$/, `-e${Date.now()}.parquet`),
  });
}

/**
 * Rewrites each data file of the days that holds rows `match` selects without them, and swaps
 * the files in one `overwrite` snapshot. Another writer that changed the files meanwhile (a
 * serving node applying the same request to the shared table, a compaction) makes the pass start
 * again from the new version.
 */
export function removeRows(r: RowRemoval): Promise<{ files: number; rows: number }> {
  return inPasses(() => removalPass(r));
}

async function removalPass(r: RowRemoval): Promise<{ files: number; rows: number }> {
  const { table, days } = r;
  const inScope = (key: string): boolean => {
    const day = DAY_IN_KEY.exec(key)?.[1];
    return day !== undefined && day >= days.first && day <= days.last && key.endsWith('.parquet');
  };
  let files = 0;
  let rows = 0;
  const current = await table.load();
  if (!current) return { files, rows };
  const replaced = new Set<string>();
  const added: DataFile[] = [];
  for (const file of await table.liveFiles(current.metadata)) {
    const key = table.keyOf(file.path);
    if (!inScope(key)) continue;
    const outcome = await rewriteWithout(r, table.specOf(current.metadata), file, key, r.rename(key));
    if (!outcome) continue;
    replaced.add(file.path);
    added.push(outcome.file);
    files++;
    rows += outcome.rows;
  }
  if (replaced.size > 0) {
    await commitWritten(table, r.cold, added.map((f) => table.keyOf(f.path)), async (latest) => {
      const live = new Set(latest ? (await table.liveFiles(latest.metadata)).map((f) => f.path) : []);
      if ([...replaced].some((path) => !live.has(path))) {
        throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${table.base}: files of this ${r.operation} were replaced meanwhile; the pass starts again`, { retryable: true });
      }
      return { operation: 'overwrite', added, removed: replaced, summary: { 'sightline.operation': r.operation } };
    });
  }
  if (r.expire) await table.expireSnapshots(() => true);
  return { files, rows };
}

/** Writes `from` without the matching rows to `to`; undefined when it held none. */
async function rewriteWithout(r: RowRemoval, spec: TableSpec, dataFile: DataFile, from: string, to: string): Promise<{ rows: number; file: DataFile } | undefined> {
  const { conn, cold, match, encryption } = r;
  const params = r.params as Parameters<DuckDBConnection['runAndReadAll']>[1];
  // A local copy: the store may be an object store, and DuckDB then reads a plain file.
  const copy = cold.stagingPath(`rewrite-read__${from.replaceAll('/', '__')}`);
  if (!(await cold.download(from, copy))) return undefined;
  try {
    const source = sqlText(copy);
    // A file written before encryption was turned on is read as it is (and written back encrypted).
    const read = (await sealedParquet(copy)) ? encryption.read : '';
    const found = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${source}, hive_partitioning = false${read}) t WHERE ${match}`, params)).getRows()[0]![0]);
    if (found === 0) return undefined;
    // Written back in the table's current schema: a column the file lacks is null.
    const kept = `SELECT ${typedColumns(spec, columnsIn([dataFile]))} FROM read_parquet(${source}, hive_partitioning = false${read}) t WHERE NOT coalesce(${match}, false)`;
    const file = await publishDataFile(conn, cold, spec, to, dataFile.partitionDay, `${kept} ORDER BY ${spec.sortBy.join(', ')}`, encryption.copy, params);
    return { rows: found, file };
  } finally {
    await rm(copy, { force: true });
  }
}
