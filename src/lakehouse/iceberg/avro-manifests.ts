import { Writable } from 'node:stream';
import avro from 'avsc';
import type { IcebergSchema, PartitionSpec } from './table-spec.js';

/** A data file as a manifest tracks it: where, how big, its partition and its column statistics. */
export interface DataFile {
  path: string;
  recordCount: number;
  fileSizeInBytes: number;
  /** The day partition's value: days since 1970-01-01. */
  partitionDay: number | null;
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  lowerBounds: Map<number, Buffer>;
  upperBounds: Map<number, Buffer>;
}

export const STATUS = { EXISTING: 0, ADDED: 1, DELETED: 2 } as const;

export interface ManifestEntry {
  status: 0 | 1 | 2;
  snapshotId: number | null;
  /** Null for ADDED entries: inherited from the manifest's sequence number in the manifest list. */
  sequenceNumber: number | null;
  fileSequenceNumber: number | null;
  file: DataFile;
}

export interface PartitionSummary {
  containsNull: boolean;
  lower: Buffer | null;
  upper: Buffer | null;
}

/** A manifest as the manifest list tracks it. */
export interface ManifestFile {
  path: string;
  length: number;
  specId: number;
  sequenceNumber: number;
  minSequenceNumber: number;
  addedSnapshotId: number;
  addedFiles: number;
  existingFiles: number;
  deletedFiles: number;
  addedRows: number;
  existingRows: number;
  deletedRows: number;
  partitions: PartitionSummary[];
}

const optional = (type: unknown): unknown[] => ['null', type];
/** A map with int keys, stored as Iceberg says: an array of key/value records with the `map` logical type. */
function intMap(keyId: number, valueId: number, value: string): unknown {
  return {
    type: 'array',
    logicalType: 'map',
    items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [{ name: 'key', type: 'int', 'field-id': keyId }, { name: 'value', type: value, 'field-id': valueId }] },
  };
}

/** The `manifest_entry` record of format version 2, with the spec's field ids. */
function manifestEntrySchema(spec: PartitionSpec): object {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: optional('long'), default: null, 'field-id': 1 },
      { name: 'sequence_number', type: optional('long'), default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: optional('long'), default: null, 'field-id': 4 },
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134, doc: 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes' },
            { name: 'file_path', type: 'string', 'field-id': 100, doc: 'Location URI with FS scheme' },
            { name: 'file_format', type: 'string', 'field-id': 101, doc: 'File format name: avro, orc, or parquet' },
            {
              name: 'partition',
              'field-id': 102,
              type: {
                type: 'record',
                name: 'r102',
                fields: spec.fields.map((f) => ({ name: f.name, type: optional({ type: 'int', logicalType: 'date' }), default: null, 'field-id': f['field-id'] })),
              },
            },
            { name: 'record_count', type: 'long', 'field-id': 103, doc: 'Number of records in the file' },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104, doc: 'Total file size in bytes' },
            { name: 'value_counts', type: optional(intMap(119, 120, 'long')), default: null, 'field-id': 109 },
            { name: 'null_value_counts', type: optional(intMap(121, 122, 'long')), default: null, 'field-id': 110 },
            { name: 'lower_bounds', type: optional(intMap(126, 127, 'bytes')), default: null, 'field-id': 125 },
            { name: 'upper_bounds', type: optional(intMap(129, 130, 'bytes')), default: null, 'field-id': 128 },
            { name: 'sort_order_id', type: optional('int'), default: null, 'field-id': 140 },
          ],
        },
      },
    ],
  };
}

/** The `manifest_file` record of a format version 2 manifest list. */
const MANIFEST_FILE_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    {
      name: 'partitions',
      type: optional({
        type: 'array',
        'element-id': 508,
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            { name: 'contains_null', type: 'boolean', 'field-id': 509 },
            { name: 'contains_nan', type: optional('boolean'), default: null, 'field-id': 518 },
            { name: 'lower_bound', type: optional('bytes'), default: null, 'field-id': 510 },
            { name: 'upper_bound', type: optional('bytes'), default: null, 'field-id': 511 },
          ],
        },
      }),
      default: null,
      'field-id': 507,
    },
    { name: 'key_metadata', type: optional('bytes'), default: null, 'field-id': 519 },
  ],
};

/**
 * An Avro object container file in memory: the header with `metadata`, then the records. The
 * schema goes in as JSON, not as a parsed type: avsc then writes it to the header whole, with the
 * `field-id` of every field that Iceberg readers resolve columns by.
 */
async function containerFile(schema: object, metadata: Record<string, string>, records: unknown[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const meta = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v)]));
  // writeHeader true: the header is written even for a file without records.
  const encoder = new avro.streams.BlockEncoder(schema as avro.Schema, { metadata: meta, codec: 'deflate', writeHeader: true } as object);
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
    encoder.on('error', reject);
  });
  encoder.pipe(sink);
  for (const record of records) encoder.write(record);
  encoder.end();
  await finished;
  return Buffer.concat(chunks);
}

async function readContainer(bytes: Buffer): Promise<{ records: Array<Record<string, unknown>>; metadata: Record<string, string> }> {
  const records: Array<Record<string, unknown>> = [];
  let metadata: Record<string, string> = {};
  const decoder = new avro.streams.BlockDecoder({ readerSchema: undefined } as object);
  await new Promise<void>((resolve, reject) => {
    decoder.on('metadata', (_type: unknown, _codec: unknown, header: { meta: Record<string, Buffer> }) => {
      metadata = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString()]));
    });
    decoder.on('data', (record: Record<string, unknown>) => records.push(record));
    decoder.on('end', resolve);
    decoder.on('error', reject);
    decoder.end(bytes);
  });
  return { records, metadata };
}

const mapOut = <V>(m: Map<number, V>): Array<{ key: number; value: V }> | null => (m.size === 0 ? null : [...m].map(([key, value]) => ({ key, value })));
const mapIn = <V>(a: unknown): Map<number, V> => new Map(((a as Array<{ key: number; value: V }> | null) ?? []).map((e) => [e.key, e.value]));

/** A manifest of data files, with the metadata keys format version 2 requires. */
export async function writeManifest(schema: IcebergSchema, spec: PartitionSpec, entries: ManifestEntry[]): Promise<Buffer> {
  const partitionName = spec.fields[0]!.name;
  const records = entries.map((e) => ({
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: {
      content: 0,
      file_path: e.file.path,
      file_format: 'PARQUET',
      partition: { [partitionName]: e.file.partitionDay },
      record_count: e.file.recordCount,
      file_size_in_bytes: e.file.fileSizeInBytes,
      value_counts: mapOut(e.file.valueCounts),
      null_value_counts: mapOut(e.file.nullValueCounts),
      lower_bounds: mapOut(e.file.lowerBounds),
      upper_bounds: mapOut(e.file.upperBounds),
      sort_order_id: null,
    },
  }));
  return containerFile(
    manifestEntrySchema(spec),
    {
      schema: JSON.stringify(schema),
      'schema-id': String(schema['schema-id']),
      'partition-spec': JSON.stringify(spec.fields),
      'partition-spec-id': String(spec['spec-id']),
      'format-version': '2',
      content: 'data',
    },
    records,
  );
}

/** The entries of a manifest, with the sequence numbers ADDED entries inherit filled in from `inherited`. */
export async function readManifest(bytes: Buffer, inherited: { sequenceNumber: number; snapshotId: number }): Promise<ManifestEntry[]> {
  const { records } = await readContainer(bytes);
  return records.map((r) => {
    const f = r.data_file as Record<string, unknown>;
    const partition = f.partition as Record<string, number | null>;
    const status = r.status as 0 | 1 | 2;
    const inherit = (v: unknown): number | null => (v === null || v === undefined ? (status === STATUS.ADDED ? inherited.sequenceNumber : null) : Number(v));
    return {
      status,
      snapshotId: r.snapshot_id === null || r.snapshot_id === undefined ? inherited.snapshotId : Number(r.snapshot_id),
      sequenceNumber: inherit(r.sequence_number),
      fileSequenceNumber: inherit(r.file_sequence_number),
      file: {
        path: String(f.file_path),
        recordCount: Number(f.record_count),
        fileSizeInBytes: Number(f.file_size_in_bytes),
        partitionDay: Object.values(partition)[0] ?? null,
        valueCounts: mapIn(f.value_counts),
        nullValueCounts: mapIn(f.null_value_counts),
        lowerBounds: mapIn(f.lower_bounds),
        upperBounds: mapIn(f.upper_bounds),
      },
    };
  });
}

export async function writeManifestList(manifests: ManifestFile[], snapshot: { id: number; parentId: number | null; sequenceNumber: number }): Promise<Buffer> {
  return containerFile(
    MANIFEST_FILE_SCHEMA,
    {
      'snapshot-id': String(snapshot.id),
      'parent-snapshot-id': snapshot.parentId === null ? 'null' : String(snapshot.parentId),
      'sequence-number': String(snapshot.sequenceNumber),
      'format-version': '2',
    },
    manifests.map((m) => ({
      manifest_path: m.path,
      manifest_length: m.length,
      partition_spec_id: m.specId,
      content: 0,
      sequence_number: m.sequenceNumber,
      min_sequence_number: m.minSequenceNumber,
      added_snapshot_id: m.addedSnapshotId,
      added_files_count: m.addedFiles,
      existing_files_count: m.existingFiles,
      deleted_files_count: m.deletedFiles,
      added_rows_count: m.addedRows,
      existing_rows_count: m.existingRows,
      deleted_rows_count: m.deletedRows,
      partitions: m.partitions.map((p) => ({ contains_null: p.containsNull, contains_nan: false, lower_bound: p.lower, upper_bound: p.upper })),
      key_metadata: null,
    })),
  );
}

export async function readManifestList(bytes: Buffer): Promise<ManifestFile[]> {
  const { records } = await readContainer(bytes);
  return records.map((r) => ({
    path: String(r.manifest_path),
    length: Number(r.manifest_length),
    specId: Number(r.partition_spec_id),
    sequenceNumber: Number(r.sequence_number),
    minSequenceNumber: Number(r.min_sequence_number),
    addedSnapshotId: Number(r.added_snapshot_id),
    addedFiles: Number(r.added_files_count),
    existingFiles: Number(r.existing_files_count),
    deletedFiles: Number(r.deleted_files_count),
    addedRows: Number(r.added_rows_count),
    existingRows: Number(r.existing_rows_count),
    deletedRows: Number(r.deleted_rows_count),
    partitions: ((r.partitions as Array<Record<string, unknown>> | null) ?? []).map((p) => ({
      containsNull: Boolean(p.contains_null),
      lower: (p.lower_bound as Buffer | null) ?? null,
      upper: (p.upper_bound as Buffer | null) ?? null,
    })),
  }));
}

/**
 * The field ids some of `files` have a column for, from their value counts; undefined (take every
 * column as present) when a file with rows has no counts to tell.
 */
export function columnsIn(files: readonly DataFile[]): Set<number> | undefined {
  const out = new Set<number>();
  for (const file of files) {
    if (file.valueCounts.size === 0 && file.recordCount > 0) return undefined;
    for (const id of file.valueCounts.keys()) out.add(id);
  }
  return out;
}
