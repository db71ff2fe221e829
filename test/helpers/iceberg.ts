import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, readManifestList } from '../../src/lakehouse/iceberg/avro-manifests.js';
import type { TableMetadata } from '../../src/lakehouse/iceberg/table-metadata.js';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PYTHON = `${ROOT}node_modules/.cache/sightline-lakehouse/venv/bin/python`;
const SCRIPT = `${ROOT}test/tools/read_iceberg.py`;

/**
 * pyiceberg in its own venv (scripts/lakehouse/fetch.sh, run by .ci/run; installed on first use
 * elsewhere). In CI a reader that cannot be had fails the test, never skips it.
 */
export function pyicebergSkipReason(): string | false {
  if (!existsSync(PYTHON)) spawnSync('bash', [`${ROOT}scripts/lakehouse/fetch.sh`], { stdio: 'inherit' });
  if (existsSync(PYTHON)) return false;
  const reason = 'pyiceberg could not be installed (scripts/lakehouse/fetch.sh needs python3 with venv and PyPI)';
  if (process.env.CI) throw new Error(`${reason}; CI must run the lakehouse tests`);
  return reason;
}

export interface IcebergTableReport {
  rows: number;
  columns: string[];
  snapshots: number;
  distinct_keys: number;
  user_ids?: Record<string, number>;
  first_snapshot_rows?: number;
  day_files?: number;
  day_rows?: number;
  schemas: number;
  current_schema_id: number;
  /** Every row, sorted by id (with `rows: true`); timestamps as text. */
  row_values?: Array<Record<string, unknown>>;
}

/** Runs the reader without blocking: a platform in the test's own process answers its requests meanwhile. */
async function run(args: string[]): Promise<{ namespaces?: string[][]; tables: Record<string, IcebergTableReport> }> {
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout);
  } catch (err) {
    throw new Error(`pyiceberg failed (${args.join(' ')}): ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
}

/** One table read by pyiceberg's StaticTable from its metadata file. */
export async function readStaticTable(metadataLocation: string, options: ReadOptions = {}): Promise<IcebergTableReport> {
  return (await run(['static', metadataLocation, ...dayArgs(options)])).tables.table!;
}

/** Every table pyiceberg's RestCatalog lists at `uri`, read whole. */
export function readCatalog(uri: string, token: string | undefined, options: ReadOptions = {}): Promise<{ namespaces?: string[][]; tables: Record<string, IcebergTableReport> }> {
  return run(['rest', uri, token ?? '-', ...dayArgs(options)]);
}

interface ReadOptions {
  day?: string;
  props?: Record<string, string>;
  /** Every row in the report too. */
  rows?: boolean;
}

function dayArgs(options: ReadOptions): string[] {
  return [...(options.day ? ['--day', options.day] : []), ...(options.rows ? ['--rows'] : []), ...Object.entries(options.props ?? {}).flatMap(([k, v]) => ['--prop', `${k}=${v}`])];
}

/** The newest `vN.metadata.json` of a table folder on local disk. */
export async function latestMetadata(tableDir: string): Promise<string> {
  const versions = (await readdir(join(tableDir, 'metadata'))).map((f) => Number(/^v(\d+)\.metadata\.json$/.exec(f)?.[1] ?? NaN)).filter(Number.isInteger);
  return join(tableDir, 'metadata', `v${Math.max(...versions)}.metadata.json`);
}

/** The data files the current snapshot of a local table names, read with Sightline's own manifest reader. */
export async function liveFiles(metadataPath: string): Promise<string[]> {
  const metadata = JSON.parse(await readFile(metadataPath, 'utf8')) as TableMetadata;
  const current = metadata.snapshots.find((s) => s['snapshot-id'] === metadata['current-snapshot-id']);
  if (!current) return [];
  const out: string[] = [];
  for (const manifest of await readManifestList(await readFile(current['manifest-list']))) {
    for (const entry of await readManifest(await readFile(manifest.path), { sequenceNumber: manifest.sequenceNumber, snapshotId: manifest.addedSnapshotId })) {
      if (entry.status !== 2) out.push(entry.file.path);
    }
  }
  return out;
}

/** Runs every lifecycle job now (`POST /v1/lifecycle/run`) and answers its report. */
export async function runLifecycle(url: string): Promise<any> {
  const res = await fetch(`${url}/v1/lifecycle/run`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`POST /v1/lifecycle/run answered ${res.status}: ${await res.text()}`);
  return res.json();
}
