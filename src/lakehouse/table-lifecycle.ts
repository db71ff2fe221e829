import type { ColdStore } from '../core/ports/cold-store.js';
import type { DataFile } from './iceberg/avro-manifests.js';
import { dayOf } from './iceberg/bounds.js';
import type { IcebergTable } from './iceberg/iceberg-table.js';

/** What one lifecycle job did to one table. */
export interface JobOutcome {
  files: number;
  rows: number;
  snapshots: number;
}

const NOTHING: JobOutcome = { files: 0, rows: 0, snapshots: 0 };

/**
 * Cold retention: the files of days that ended more than `retentionMs` before `now` leave the
 * table in one `delete` snapshot. Readers of the current snapshot no longer see them; the files
 * themselves go when that older snapshot expires.
 */
export async function applyColdRetention(table: IcebergTable, now: number, retentionMs: number): Promise<JobOutcome> {
  const firstKept = dayOf(now - retentionMs);
  let outcome = NOTHING;
  await table.commit(async (current) => {
    if (!current) return null;
    const old = (await table.liveFiles(current.metadata)).filter((f) => f.partitionDay !== null && f.partitionDay < firstKept);
    if (old.length === 0) return null;
    outcome = { files: old.length, rows: old.reduce((s, f) => s + f.recordCount, 0), snapshots: 1 };
    return { operation: 'delete', added: [], removed: new Set(old.map((f) => f.path)), summary: { 'sightline.lifecycle': 'cold-retention' } };
  });
  return outcome;
}

/**
 * Tiering: the files of days older than `tierAfterMs` are copied to the tier folder (with the
 * tier's storage class on S3) and swapped in one `replace` snapshot; the originals go when the
 * snapshot before it expires. Rows and their order do not change, only where the bytes live.
 */
export async function tierOldFiles(table: IcebergTable, store: ColdStore, now: number, tierAfterMs: number, tier: { prefix: string; storageClass?: string }): Promise<JobOutcome> {
  const lastDay = dayOf(now - tierAfterMs);
  let outcome = NOTHING;
  await table.commit(async (current) => {
    if (!current) return null;
    const due = (await table.liveFiles(current.metadata)).filter((f) => f.partitionDay !== null && f.partitionDay < lastDay && !table.keyOf(f.path).startsWith(tier.prefix));
    if (due.length === 0) return null;
    const added: DataFile[] = [];
    const moved = new Set<string>();
    for (const file of due) {
      const to = `${tier.prefix}${table.keyOf(file.path)}`;
      if (!(await store.copy(table.keyOf(file.path), to, tier.storageClass !== undefined ? { storageClass: tier.storageClass } : {}))) continue;
      added.push({ ...file, path: store.location(to) });
      moved.add(file.path);
    }
    if (added.length === 0) return null;
    outcome = { files: added.length, rows: added.reduce((s, f) => s + f.recordCount, 0), snapshots: 1 };
    return { operation: 'replace', added, removed: moved, summary: { 'sightline.lifecycle': 'tiering' } };
  });
  return outcome;
}

/** Snapshot expiry: snapshots older than `retentionMs` (never the current one), and the files only they named. */
export async function expireOldSnapshots(table: IcebergTable, now: number, retentionMs: number): Promise<JobOutcome> {
  const { snapshots, files } = await table.expireSnapshots((s) => s['timestamp-ms'] < now - retentionMs);
  return { files, rows: 0, snapshots };
}
