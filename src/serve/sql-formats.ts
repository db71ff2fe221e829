import { pipeline, Readable } from 'node:stream';
import {
  Bool,
  type DataType,
  DateDay,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { stringify } from 'csv-stringify/sync';
import { SightlineError } from '../core/errors.js';
import type { SqlColumn, SqlValue } from '../core/ports/sql-engine.js';

export const SQL_FORMATS = ['application/json', 'text/csv', 'application/x-ndjson', 'application/vnd.apache.arrow.stream'] as const;
export type SqlFormat = 'json' | 'csv' | 'ndjson' | 'arrow';
const BY_TYPE: Record<(typeof SQL_FORMATS)[number], SqlFormat> = {
  'application/json': 'json',
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/vnd.apache.arrow.stream': 'arrow',
};

/** The Content-Type of each streamed format. */
export const STREAMED_CONTENT_TYPES: Record<Exclude<SqlFormat, 'json'>, string> = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson', arrow: 'application/vnd.apache.arrow.stream' };

/** The format an Accept header asks for: the first of its types (by q, then order) the route writes; JSON for none or any. */
export function formatOf(accept: string | undefined): SqlFormat {
  if (!accept) return 'json';
  const asked = accept
    .split(',')
    .map((part, i) => {
      const [type = '', ...params] = part.trim().toLowerCase().split(';');
      const q = Number(params.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? '1');
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((a) => a.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { type } of asked) {
    if (type in BY_TYPE) return BY_TYPE[type as keyof typeof BY_TYPE];
    if (type === '*/*' || type === 'application/*') return 'json';
    if (type === 'text/*') return 'csv';
  }
  throw new SightlineError('SL_API_NOT_ACCEPTABLE', `SQL answers as ${SQL_FORMATS.join(', ')}; Accept asked for ${accept}`);
}

/** CSV's text of a value: nested values as JSON, booleans as true/false, NULL as an empty field. */
const csvCast = { boolean: (v: boolean) => String(v), object: (v: object) => JSON.stringify(v) };

async function* csvRows(columns: readonly SqlColumn[], chunks: AsyncIterable<SqlValue[][]>): AsyncGenerator<string> {
  yield stringify([columns.map((c) => c.name)]);
  for await (const chunk of chunks) yield stringify(chunk, { cast: csvCast });
}

/**
 * One object per row; a failure after the first rows ends the stream with a last line
 * `{"error": {code, message}}`. The line is the signal: breaking the stream off right after it
 * could lose the line itself in the socket's buffers.
 */
async function* ndjsonRows(columns: readonly SqlColumn[], chunks: AsyncIterable<SqlValue[][]>): AsyncGenerator<string> {
  try {
    for await (const chunk of chunks) {
      let text = '';
      for (const row of chunk) text += `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c.name, row[i]])))}\n`;
      yield text;
    }
  } catch (err) {
    if (!(err instanceof SightlineError)) throw err;
    yield `${JSON.stringify({ error: err.toBody() })}\n`;
  }
}

/** Arrow's type for a DuckDB type, and how a row value becomes one of its values. Types without their own become text. */
function arrowTypeOf(duckType: string): { type: DataType; value: (v: SqlValue) => unknown } {
  const t = duckType.toUpperCase();
  if (t === 'BOOLEAN') return { type: new Bool(), value: (v) => v };
  if (['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'].includes(t)) return { type: new Int32(), value: (v) => v };
  if (t === 'BIGINT') return { type: new Int64(), value: (v) => (v === null ? null : BigInt(v as number | string)) };
  if (['DOUBLE', 'FLOAT', 'REAL'].includes(t)) return { type: new Float64(), value: (v) => (typeof v === 'string' ? Number(v) : v) };
  if (t === 'DATE') return { type: new DateDay(), value: (v) => (v === null ? null : new Date(`${v as string}T00:00:00Z`)) };
  if (t === 'TIMESTAMP') return { type: new TimestampMicrosecond(), value: (v) => (v === null ? null : Date.parse(`${(v as string).replace(' ', 'T')}Z`)) };
  if (t === 'TIMESTAMP WITH TIME ZONE') return { type: new TimestampMicrosecond('UTC'), value: (v) => (v === null ? null : Date.parse((v as string).replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'))) };
  return { type: new Utf8(), value: (v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v)) };
}

async function* arrowBatches(columns: readonly SqlColumn[], chunks: AsyncIterable<SqlValue[][]>): AsyncGenerator<RecordBatch> {
  const kinds = columns.map((c) => arrowTypeOf(c.type));
  const schema = new Schema(columns.map((c, i) => new Field(c.name, kinds[i]!.type, true)));
  const struct = new Struct(schema.fields);
  let any = false;
  for await (const chunk of chunks) {
    const children = kinds.map((kind, i) => vectorFromArray(chunk.map((row) => kind.value(row[i]!)) as never[], kind.type).data[0]!);
    any = true;
    yield new RecordBatch(schema, makeData({ type: struct, length: chunk.length, nullCount: 0, children }));
  }
  // An empty result still tells its columns: a stream of the schema and no batch.
  if (!any) yield new RecordBatch(schema, makeData({ type: struct, length: 0, nullCount: 0, children: kinds.map((k) => vectorFromArray([] as never[], k.type).data[0]!) }));
}

/** The rows as a byte stream in `format` (not JSON, which is answered whole); an error mid-way destroys the stream. */
export function rowStream(format: Exclude<SqlFormat, 'json'>, columns: readonly SqlColumn[], chunks: AsyncIterable<SqlValue[][]>): Readable {
  if (format === 'csv') return Readable.from(csvRows(columns, chunks));
  if (format === 'ndjson') return Readable.from(ndjsonRows(columns, chunks));
  return pipeline(Readable.from(arrowBatches(columns, chunks)), RecordBatchStreamWriter.throughNode(), () => undefined);
}
