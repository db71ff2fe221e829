import { randomUUID } from 'node:crypto';
import type { ColdStore } from '../../core/ports/cold-store.js';
import { SightlineError } from '../../core/errors.js';
import {
  type DataFile,
  type ManifestEntry,
  type ManifestFile,
  readManifest,
  readManifestList,
  STATUS,
  writeManifest,
  writeManifestList,
} from './avro-manifests.js';
import { intBytes } from './bounds.js';
import { currentSnapshot, newSnapshotId, newTableMetadata, type Snapshot, type TableMetadata, withSchema, withSnapshot, withoutSnapshots } from './table-metadata.js';
import { type IcebergField, partitionSpecOf, schemaOf, type TableSpec } from './table-spec.js';

export interface LoadedTable {
  version: number;
  /** The location of `v<version>.metadata.json`, as readers open it. */
  metadataLocation: string;
  metadata: TableMetadata;
}

/** What one commit changes: files added, files (by location) removed, and summary entries. */
export interface TableChange {
  operation: Snapshot['summary']['operation'];
  added: DataFile[];
  removed: ReadonlySet<string>;
  summary: Record<string, string>;
  /** The table's columns from this commit on, and properties to set (a schema change, if they differ). */
  schema?: { fields: IcebergField[]; properties: Record<string, string> };
}

const VERSION_FILE = /\/metadata\/v(\d+)\.metadata\.json$/;
const MAX_ATTEMPTS = 20;
/** How long a listed version is a starting point for probing the next ones, before listing again. */
const PROBE_FOR_MS = 10_000;
/** More manifests than this in a snapshot are merged into one. */
const MERGE_ABOVE = 64;
/** Metadata files kept: the metadata log's length, and the current one. */
const METADATA_KEPT = 100;
/** Summary entries that say what the table holds (how far each writer and each log's positions reached). */
const CARRIED = ['sightline.exported-through.', 'sightline.log-through.'];
/** Decoded manifests and manifest lists kept per table. */
const MAX_CACHED = 512;

/**
 * One Iceberg table (format version 2) in a cold store: its metadata under `<base>/metadata/`.
 * A commit writes `v<N+1>.metadata.json` only if no file has that name yet (create-if-absent, an
 * atomic step on local disk and on S3): of writers that raced from `vN`, one wins and the others
 * read the new version and try again. A writer that crashes before that step leaves only files no
 * metadata names (orphans), which `removeOrphans` deletes; the table itself is never half-changed.
 */
export class IcebergTable {
  private readonly decoded = new Map<string, unknown>();
  private latest: { at: number; table: LoadedTable } | undefined;

  constructor(
    private readonly store: ColdStore,
    /** The table's folder in the store, e.g. `events`. */
    readonly base: string,
    readonly spec: TableSpec,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The table's spec with the columns of the current schema of `metadata` (a schema grows). */
  specOf(metadata: TableMetadata | undefined): TableSpec {
    const schema = metadata?.schemas.find((s) => s['schema-id'] === metadata['current-schema-id']);
    return schema ? { ...this.spec, fields: schema.fields } : this.spec;
  }

  get location(): string {
    return this.store.location(this.base);
  }

  /** The key in the store of a location the table names (its own folder, or the tier folder). */
  keyOf(location: string): string {
    // The store's root as locations spell it: the location of a one-character key, less that key.
    const root = this.store.location('_').slice(0, -1);
    if (!location.startsWith(root)) throw new Error(`${location} is not in the cold store ${root}`);
    return location.slice(root.length);
  }

  private metadataKey(version: number): string {
    return `${this.base}/metadata/v${version}.metadata.json`;
  }

  /** The current version, or undefined for a table nothing was committed to yet. */
  async load(): Promise<LoadedTable | undefined> {
    // Known a moment ago: the versions after it are probed one by one (a read each, where a listing
    // walks the whole metadata folder). A later version is only ever added, never replaced.
    const known = this.latest;
    if (known && Date.now() - known.at < PROBE_FOR_MS) {
      let found: LoadedTable = known.table;
      for (;;) {
        const next = await this.store.read(this.metadataKey(found.version + 1));
        if (!next) break;
        found = this.parsed(found.version + 1, next);
      }
      this.latest = { at: known.at, table: found };
      return found;
    }
    const versions = (await this.store.list(`${this.base}/metadata/v`)).map((o) => Number(VERSION_FILE.exec(o.key)?.[1] ?? NaN)).filter((v) => Number.isInteger(v));
    if (versions.length === 0) return undefined;
    const version = Math.max(...versions);
    const bytes = await this.store.read(this.metadataKey(version));
    if (!bytes) throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${this.base}: v${version}.metadata.json was listed but cannot be read`);
    const table = this.parsed(version, bytes);
    this.latest = { at: Date.now(), table };
    return table;
  }

  private parsed(version: number, bytes: Buffer): LoadedTable {
    return { version, metadataLocation: this.store.location(this.metadataKey(version)), metadata: JSON.parse(bytes.toString('utf8')) as TableMetadata };
  }

  async manifestsOf(snapshot: Snapshot): Promise<ManifestFile[]> {
    return this.cached(`list:${snapshot['manifest-list']}`, async () => readManifestList(await this.mustRead(snapshot['manifest-list'])));
  }

  async entriesOf(manifest: ManifestFile): Promise<ManifestEntry[]> {
    return this.cached(`manifest:${manifest.path}`, async () =>
      readManifest(await this.mustRead(manifest.path), { sequenceNumber: manifest.sequenceNumber, snapshotId: manifest.addedSnapshotId }),
    );
  }

  /**
   * Manifests and manifest lists never change once written (a change writes new ones), so what
   * was read once is kept: a scan plans from memory. The oldest go past MAX_CACHED.
   */
  private async cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.decoded.get(key);
    if (hit !== undefined) {
      this.decoded.delete(key);
      this.decoded.set(key, hit);
      return hit as T;
    }
    const value = await read();
    this.decoded.set(key, value);
    if (this.decoded.size > MAX_CACHED) this.decoded.delete(this.decoded.keys().next().value!);
    return value;
  }

  /** The data files a snapshot (by default the current one) holds. */
  async liveFiles(metadata: TableMetadata, snapshotId = metadata['current-snapshot-id']): Promise<DataFile[]> {
    const snapshot = metadata.snapshots.find((s) => s['snapshot-id'] === snapshotId);
    if (!snapshot) return [];
    const out: DataFile[] = [];
    for (const manifest of await this.manifestsOf(snapshot)) {
      for (const entry of await this.entriesOf(manifest)) if (entry.status !== STATUS.DELETED) out.push(entry.file);
    }
    return out;
  }

  private async mustRead(location: string): Promise<Buffer> {
    const bytes = await this.store.read(this.keyOf(location));
    if (!bytes) throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${this.base}: ${location} is named by the metadata but missing`);
    return bytes;
  }

  /**
   * Commits one snapshot. `plan` sees the current version (undefined before the first commit) and
   * returns the change, or null when there is nothing to do (for example: this export is already
   * in the table). After a lost race it is asked again on the newer version.
   */
  async commit(plan: (current: LoadedTable | undefined) => Promise<TableChange | null> | TableChange | null): Promise<LoadedTable | undefined> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.load();
      const change = await plan(current);
      if (!change) return current;
      const now = this.clock();
      const created = current?.metadata ?? newTableMetadata(this.location, schemaOf({ ...this.spec, ...(change.schema && { fields: change.schema.fields }) }), partitionSpecOf(this.spec), now);
      const base = change.schema ? withSchema(created, change.schema.fields, change.schema.properties) : created;
      const written: string[] = [];
      const snapshot = await this.writeSnapshot(base, change, attempt, now, written);
      const next = withSnapshot(base, current?.metadataLocation ?? null, snapshot, now);
      const won = await this.publish(current?.version ?? 0, next);
      if (won) return won;
      // Another writer committed first: what this attempt wrote is named by nothing.
      await this.store.remove(written).catch(() => undefined);
    }
    throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${this.base}: ${MAX_ATTEMPTS} commits in a row lost to other writers`);
  }

  /** Writes `next` as the version after `version`; undefined if another writer took that version. */
  private async publish(version: number, next: TableMetadata): Promise<LoadedTable | undefined> {
    const key = this.metadataKey(version + 1);
    const bytes = Buffer.from(JSON.stringify(next, null, 1));
    if (!(await this.store.write(key, bytes, { ifAbsent: true }))) {
      // A client that retried its own write (the answer to the first attempt was lost) is told the
      // key exists: if what is there is ours, byte for byte (it holds a fresh snapshot id and
      // time), the commit won.
      const there = await this.store.read(key);
      if (!there?.equals(bytes)) return undefined;
    }
    // For readers that open a table by its folder (DuckDB's iceberg_scan, Hadoop-style catalogs):
    // a hint, not the commit; a reader that finds it one behind reads the version before.
    await this.store.write(`${this.base}/metadata/version-hint.text`, Buffer.from(String(version + 1))).catch(() => undefined);
    // The metadata log names the last METADATA_KEPT versions; the one that just fell out of it goes.
    if (version + 1 > METADATA_KEPT) await this.store.remove([this.metadataKey(version + 1 - METADATA_KEPT - 1)]).catch(() => undefined);
    const table = { version: version + 1, metadataLocation: this.store.location(key), metadata: next };
    if (this.latest) this.latest = { at: this.latest.at, table };
    return table;
  }

  private async writeSnapshot(base: TableMetadata, change: TableChange, attempt: number, now: number, written: string[]): Promise<Snapshot> {
    const parent = currentSnapshot(base);
    const sequenceNumber = base['last-sequence-number'] + 1;
    const snapshotId = newSnapshotId(new Set(base.snapshots.map((s) => s['snapshot-id'])));
    const schema = base.schemas.find((s) => s['schema-id'] === base['current-schema-id'])!;
    const spec = base['partition-specs'].find((s) => s['spec-id'] === base['default-spec-id'])!;
    const manifests: ManifestFile[] = [];
    const writeOne = async (entries: ManifestEntry[]): Promise<void> => {
      const key = `${this.base}/metadata/${randomUUID()}-m${manifests.length}.avro`;
      const bytes = await writeManifest(schema, spec, entries);
      written.push(key);
      await this.store.write(key, bytes);
      manifests.push(summarise(this.store.location(key), bytes.length, spec['spec-id'], sequenceNumber, snapshotId, entries));
    };
    if (change.added.length > 0) {
      await writeOne(change.added.map((file) => ({ status: STATUS.ADDED, snapshotId, sequenceNumber: null, fileSequenceNumber: null, file })));
    }
    let removedRows = 0;
    let removedBytes = 0;
    const found = new Set<string>();
    for (const manifest of parent ? await this.manifestsOf(parent) : []) {
      if (change.removed.size === 0) {
        manifests.push(manifest);
        continue;
      }
      const entries = await this.entriesOf(manifest);
      const live = entries.filter((e) => e.status !== STATUS.DELETED);
      if (!live.some((e) => change.removed.has(e.file.path))) {
        manifests.push(manifest);
        continue;
      }
      const rewritten = live.map((e): ManifestEntry => {
        if (!change.removed.has(e.file.path)) return { ...e, status: STATUS.EXISTING };
        found.add(e.file.path);
        removedRows += e.file.recordCount;
        removedBytes += e.file.fileSizeInBytes;
        return { ...e, status: STATUS.DELETED, snapshotId };
      });
      await writeOne(rewritten);
    }
    const missing = [...change.removed].filter((p) => !found.has(p));
    if (missing.length > 0) {
      throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${this.base}: ${missing.length} files to replace are no longer in the table (${missing[0]}); the change is planned again`, { retryable: true });
    }
    // Each export adds a manifest: past MERGE_ABOVE, the carried ones are merged into one (their
    // live entries as EXISTING, sequence numbers kept), so planning a scan stays a few reads.
    if (manifests.length > MERGE_ABOVE) {
      const fresh = manifests.filter((m) => m.addedSnapshotId === snapshotId);
      const carried = manifests.filter((m) => m.addedSnapshotId !== snapshotId);
      const entries: ManifestEntry[] = [];
      for (const manifest of carried) for (const e of await this.entriesOf(manifest)) if (e.status !== STATUS.DELETED) entries.push({ ...e, status: STATUS.EXISTING });
      manifests.length = 0;
      manifests.push(...fresh);
      await writeOne(entries);
    }
    const listKey = `${this.base}/metadata/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
    written.push(listKey);
    await this.store.write(listKey, await writeManifestList(manifests, { id: snapshotId, parentId: parent?.['snapshot-id'] ?? null, sequenceNumber }));
    const total = (f: (m: ManifestFile) => number): number => manifests.reduce((sum, m) => sum + f(m), 0);
    // How far each writer's exports reached is a property of the table's contents, so every
    // snapshot carries it on; what one operation was (an erasure, a compaction) is not.
    const carried = Object.fromEntries(Object.entries(parent?.summary ?? {}).filter(([k]) => CARRIED.some((prefix) => k.startsWith(prefix))));
    const addedBytes = change.added.reduce((s, f) => s + f.fileSizeInBytes, 0);
    const parentBytes = Number(parent?.summary['total-files-size'] ?? 0);
    return {
      'snapshot-id': snapshotId,
      ...(parent && { 'parent-snapshot-id': parent['snapshot-id'] }),
      'sequence-number': sequenceNumber,
      'timestamp-ms': now,
      'manifest-list': this.store.location(listKey),
      'schema-id': schema['schema-id'],
      summary: {
        ...carried,
        ...change.summary,
        operation: change.operation,
        'added-data-files': String(change.added.length),
        'deleted-data-files': String(found.size),
        'added-records': String(change.added.reduce((s, f) => s + f.recordCount, 0)),
        'deleted-records': String(removedRows),
        'added-files-size': String(addedBytes),
        'removed-files-size': String(removedBytes),
        'total-data-files': String(total((m) => m.addedFiles + m.existingFiles)),
        'total-records': String(total((m) => m.addedRows + m.existingRows)),
        'total-files-size': String(parentBytes + addedBytes - removedBytes),
        'total-delete-files': '0',
        'total-position-deletes': '0',
        'total-equality-deletes': '0',
        'engine-name': 'sightline',
      },
    };
  }

  /**
   * Drops the snapshots `expire` picks (never the current one) in a new version of the metadata,
   * then deletes the files that only they named: manifest lists, manifests and data files.
   */
  async expireSnapshots(expire: (snapshot: Snapshot, metadata: TableMetadata) => boolean): Promise<{ snapshots: number; files: number }> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.load();
      if (!current) return { snapshots: 0, files: 0 };
      const { metadata } = current;
      const expired = new Set(metadata.snapshots.filter((s) => s['snapshot-id'] !== metadata['current-snapshot-id'] && expire(s, metadata)).map((s) => s['snapshot-id']));
      if (expired.size === 0) return { snapshots: 0, files: 0 };
      const next = withoutSnapshots(metadata, expired, this.clock());
      next['metadata-log'] = [...metadata['metadata-log'], { 'metadata-file': current.metadataLocation, 'timestamp-ms': metadata['last-updated-ms'] }].slice(-100);
      // Read what stays before anything changes: a read that fails stops the expiry whole.
      const keep = await this.reachable(next.snapshots, false);
      if (!(await this.publish(current.version, next))) continue;
      if (!this.ownsFiles(metadata)) return { snapshots: expired.size, files: 0 };
      // What went: a file of an expired snapshot that cannot be read any more names nothing to delete.
      const drop = await this.reachable(metadata.snapshots.filter((s) => expired.has(s['snapshot-id'])), true, true);
      const gone = [...drop].filter((location) => !keep.has(location));
      await this.store.remove(gone.map((location) => this.keyOf(location)));
      return { snapshots: expired.size, files: gone.length };
    }
    throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${this.base}: ${MAX_ATTEMPTS} expiries in a row lost to other writers`);
  }

  /** Every data file any snapshot of `metadata` names, live there or marked deleted. */
  async namedFiles(metadata: TableMetadata): Promise<Set<string>> {
    const out = new Set<string>();
    for (const location of await this.reachable(metadata.snapshots, true)) if (location.endsWith('.parquet')) out.add(location);
    return out;
  }

  /**
   * Every location the snapshots name: manifest lists, manifests, and data files (with `deleted`,
   * also those they mark deleted). A file that cannot be read throws, since a set of files to keep
   * that misses some would delete live data; only a set of files to delete may skip them (`tolerant`).
   */
  private async reachable(snapshots: readonly Snapshot[], deleted: boolean, tolerant = false): Promise<Set<string>> {
    const out = new Set<string>();
    const skip = <T>(read: Promise<T[]>): Promise<T[]> => (tolerant ? read.catch(() => []) : read);
    for (const snapshot of snapshots) {
      out.add(snapshot['manifest-list']);
      for (const manifest of await skip(this.manifestsOf(snapshot))) {
        out.add(manifest.path);
        for (const entry of await skip(this.entriesOf(manifest))) if (deleted || entry.status !== STATUS.DELETED) out.add(entry.file.path);
      }
    }
    return out;
  }

  /**
   * Whether the table's files are where this store puts them. A table copied or moved (another
   * folder, bucket or prefix) still names its old locations: nothing here matches them, so
   * deleting "unnamed" files would delete it all. Cleanups are skipped until it is where it says.
   */
  private ownsFiles(metadata: TableMetadata): boolean {
    return metadata.location === this.location;
  }

  /**
   * Deletes files under the table that no snapshot of the current metadata names and that are
   * older than `olderThanMs` (what a crash between writing files and committing left). Call it only
   * while this node writes nothing to the table: a file written for a commit in flight is not named yet.
   */
  async removeOrphans(olderThanMs: number): Promise<string[]> {
    const current = await this.load();
    if (current && !this.ownsFiles(current.metadata)) {
      throw new SightlineError('SL_COLD_UNAVAILABLE', `table ${this.base} says it lives at ${current.metadata.location}, not ${this.location}: orphan files are not removed`);
    }
    const named = current ? await this.reachable(current.metadata.snapshots, true) : new Set<string>();
    const cutoff = this.clock() - olderThanMs;
    const orphans = (await this.store.list(`${this.base}/`))
      .filter((o) => o.modifiedAt < cutoff)
      .filter((o) => o.key.endsWith('.parquet') || (o.key.includes('/metadata/') && o.key.endsWith('.avro')))
      .filter((o) => !named.has(this.store.location(o.key)))
      .map((o) => o.key);
    await this.store.remove(orphans);
    return orphans;
  }
}

/** A manifest's line in the manifest list: counts, and the bounds of its day partition values. */
function summarise(path: string, length: number, specId: number, sequenceNumber: number, snapshotId: number, entries: ManifestEntry[]): ManifestFile {
  const count = (status: number, f: (e: ManifestEntry) => number): number => entries.filter((e) => e.status === status).reduce((s, e) => s + f(e), 0);
  const live = entries.filter((e) => e.status !== STATUS.DELETED);
  const days = live.map((e) => e.file.partitionDay).filter((d): d is number => d !== null);
  return {
    path,
    length,
    specId,
    sequenceNumber,
    minSequenceNumber: Math.min(sequenceNumber, ...live.map((e) => e.sequenceNumber ?? sequenceNumber)),
    addedSnapshotId: snapshotId,
    addedFiles: count(STATUS.ADDED, () => 1),
    existingFiles: count(STATUS.EXISTING, () => 1),
    deletedFiles: count(STATUS.DELETED, () => 1),
    addedRows: count(STATUS.ADDED, (e) => e.file.recordCount),
    existingRows: count(STATUS.EXISTING, (e) => e.file.recordCount),
    deletedRows: count(STATUS.DELETED, (e) => e.file.recordCount),
    partitions: [
      {
        containsNull: live.some((e) => e.file.partitionDay === null),
        lower: days.length ? intBytes(Math.min(...days)) : null,
        upper: days.length ? intBytes(Math.max(...days)) : null,
      },
    ],
  };
}
