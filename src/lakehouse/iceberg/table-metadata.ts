import { randomBytes, randomUUID } from 'node:crypto';
import type { IcebergField, IcebergSchema, PartitionSpec } from './table-spec.js';

/** Files exported before a table existed have no field ids: readers find their columns by name. */
const NAME_MAPPING = 'schema.name-mapping.default';
const nameMapping = (fields: IcebergField[]): string => JSON.stringify(fields.map((f) => ({ 'field-id': f.id, names: [f.name] })));

export interface Snapshot {
  'snapshot-id': number;
  'parent-snapshot-id'?: number;
  'sequence-number': number;
  'timestamp-ms': number;
  'manifest-list': string;
  summary: Record<string, string> & { operation: 'append' | 'replace' | 'overwrite' | 'delete' };
  'schema-id': number;
}

/** Table metadata of format version 2 (the spec's "Table Metadata Fields"), as stored in `vN.metadata.json`. */
export interface TableMetadata {
  'format-version': 2;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  'current-schema-id': number;
  schemas: IcebergSchema[];
  'default-spec-id': number;
  'partition-specs': PartitionSpec[];
  'last-partition-id': number;
  'default-sort-order-id': number;
  'sort-orders': Array<{ 'order-id': number; fields: unknown[] }>;
  properties: Record<string, string>;
  'current-snapshot-id'?: number;
  snapshots: Snapshot[];
  'snapshot-log': Array<{ 'snapshot-id': number; 'timestamp-ms': number }>;
  'metadata-log': Array<{ 'metadata-file': string; 'timestamp-ms': number }>;
  refs: Record<string, { 'snapshot-id': number; type: 'branch' | 'tag' }>;
}

/**
 * A positive snapshot id below 2^53, so that it survives JSON and JavaScript numbers exactly; random,
 * as the spec asks (ids from timestamps collide).
 */
export function newSnapshotId(taken: ReadonlySet<number>): number {
  for (;;) {
    const id = Number(randomBytes(8).readBigUInt64BE() >> 11n);
    if (id > 0 && !taken.has(id)) return id;
  }
}

export function newTableMetadata(location: string, schema: IcebergSchema, spec: PartitionSpec, now: number): TableMetadata {
  return {
    'format-version': 2,
    'table-uuid': randomUUID(),
    location,
    'last-sequence-number': 0,
    'last-updated-ms': now,
    'last-column-id': Math.max(...schema.fields.map((f) => f.id)),
    'current-schema-id': schema['schema-id'],
    schemas: [schema],
    'default-spec-id': spec['spec-id'],
    'partition-specs': [spec],
    'last-partition-id': Math.max(999, ...spec.fields.map((f) => f['field-id'])),
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: {
      'write.format.default': 'parquet',
      'write.parquet.compression-codec': 'zstd',
      [NAME_MAPPING]: nameMapping(schema.fields),
    },
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    refs: {},
  };
}

export function currentSnapshot(metadata: TableMetadata): Snapshot | undefined {
  const id = metadata['current-snapshot-id'];
  return id === undefined ? undefined : metadata.snapshots.find((s) => s['snapshot-id'] === id);
}

/** The metadata with `snapshot` made current on `main`, the previous file recorded in the metadata log. */
export function withSnapshot(base: TableMetadata, baseLocation: string | null, snapshot: Snapshot, now: number): TableMetadata {
  return {
    ...base,
    'last-sequence-number': snapshot['sequence-number'],
    'last-updated-ms': now,
    'current-snapshot-id': snapshot['snapshot-id'],
    snapshots: [...base.snapshots, snapshot],
    'snapshot-log': [...base['snapshot-log'], { 'snapshot-id': snapshot['snapshot-id'], 'timestamp-ms': snapshot['timestamp-ms'] }],
    'metadata-log': baseLocation === null ? base['metadata-log'] : [...base['metadata-log'], { 'metadata-file': baseLocation, 'timestamp-ms': base['last-updated-ms'] }].slice(-100),
    refs: { ...base.refs, main: { 'snapshot-id': snapshot['snapshot-id'], type: 'branch' } },
  };
}

/** The metadata without the snapshots in `expired` (never the current one), and their log entries. */
export function withoutSnapshots(base: TableMetadata, expired: ReadonlySet<number>, now: number): TableMetadata {
  const kept = base.snapshots.filter((s) => !expired.has(s['snapshot-id']) || s['snapshot-id'] === base['current-snapshot-id']);
  const keptIds = new Set(kept.map((s) => s['snapshot-id']));
  // The spec: entries before an expired snapshot leave the snapshot log.
  const log = base['snapshot-log'];
  let firstKept = log.length;
  for (let i = log.length - 1; i >= 0 && keptIds.has(log[i]!['snapshot-id']); i--) firstKept = i;
  return {
    ...base,
    'last-updated-ms': now,
    // As the reference implementation does, a kept snapshot keeps naming an expired parent.
    snapshots: kept,
    'snapshot-log': log.slice(firstKept),
  };
}

/**
 * The metadata with `fields` as its current schema (a new schema id when they differ from the
 * current one's, `last-column-id` moved on) and `properties` set. The name mapping follows, so
 * files written without field ids keep being read by name.
 */
export function withSchema(base: TableMetadata, fields: IcebergField[], properties: Record<string, string>): TableMetadata {
  const current = base.schemas.find((s) => s['schema-id'] === base['current-schema-id'])!;
  const merged = { ...base.properties, ...properties };
  if (JSON.stringify(current.fields) === JSON.stringify(fields)) return { ...base, properties: merged };
  const schemaId = Math.max(...base.schemas.map((s) => s['schema-id'])) + 1;
  return {
    ...base,
    'last-column-id': Math.max(base['last-column-id'], ...fields.map((f) => f.id)),
    'current-schema-id': schemaId,
    schemas: [...base.schemas, { type: 'struct', 'schema-id': schemaId, fields }],
    properties: { ...merged, [NAME_MAPPING]: nameMapping(fields) },
  };
}
