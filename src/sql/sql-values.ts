import {
  BIGINT,
  BOOLEAN,
  DATE,
  DuckDBBlobValue,
  dateValue,
  DOUBLE,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBValueConverter,
  INTEGER,
  type Json,
  JsonDuckDBValueConverter,
  TIMESTAMP,
  TIMESTAMPTZ,
  timestampTZValue,
  timestampValue,
  VARCHAR,
} from '@duckdb/node-api';
import { SightlineError } from '../core/errors.js';
import type { SqlParam, SqlParamType, SqlValue } from '../core/ports/sql-engine.js';

const TYPES: Record<SqlParamType | 'UNKNOWN', DuckDBType> = { VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, TIMESTAMP, TIMESTAMPTZ, DATE, UNKNOWN: VARCHAR };

const invalid = (name: string, type: SqlParamType | 'UNKNOWN', why: string): SightlineError => new SightlineError('SL_SQL_PARAMS_INVALID', `parameter ${name} (${type}): ${why}`);

/** Microseconds since the epoch of an ISO 8601 time or of epoch milliseconds. */
function micros(name: string, type: SqlParamType, value: string | number): bigint {
  const ms = typeof value === 'number' ? value : /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(name, type, 'give an ISO 8601 time (2026-12-01T10:00:00Z) or epoch milliseconds');
  return BigInt(Math.trunc(ms)) * 1000n;
}

/** One parameter as DuckDB binds it: its value of its declared type. */
export function duckValue(name: string, param: SqlParam): DuckDBValue {
  const { type, value } = param;
  if (value === null) return null;
  switch (type) {
    case 'UNKNOWN':
    case 'VARCHAR':
      if (typeof value !== 'string') throw invalid(name, type, 'give a string');
      return value;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') throw invalid(name, type, 'give true or false');
      return value;
    case 'DOUBLE':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(name, type, 'give a finite number');
      return value;
    case 'INTEGER':
    case 'BIGINT': {
      const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : typeof value === 'string' ? value : '';
      if (!/^-?\d{1,19}$/.test(text)) throw invalid(name, type, 'give an integer (a string for one past 2^53)');
      const n = BigInt(text);
      const max = type === 'INTEGER' ? 2n ** 31n : 2n ** 63n;
      if (n >= max || n < -max) throw invalid(name, type, 'out of range');
      return type === 'INTEGER' ? Number(n) : n;
    }
    case 'TIMESTAMP':
    case 'TIMESTAMPTZ':
      if (typeof value !== 'string' && typeof value !== 'number') throw invalid(name, type, 'give an ISO 8601 time or epoch milliseconds');
      return type === 'TIMESTAMP' ? timestampValue(micros(name, type, value)) : timestampTZValue(micros(name, type, value));
    case 'DATE': {
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw invalid(name, type, 'give a date as YYYY-MM-DD');
      return dateValue(Math.floor(Date.parse(`${value}T00:00:00Z`) / 86_400_000));
    }
  }
}

/** DuckDB's type of a declared parameter type. */
export const duckType = (type: SqlParamType | 'UNKNOWN'): DuckDBType => TYPES[type];

const WIDE_INTEGERS = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT]);

/**
 * DuckDB values as JSON carries them: node-api's JSON conversion, except that 64-bit and wider
 * integers are numbers while they are exact in one (a count is a number), and text beyond.
 */
export const jsonValue: DuckDBValueConverter<SqlValue> = (value, type, converter) => {
  // Postgres' bytea text form, which every client reads.
  if (type.typeId === DuckDBTypeId.BLOB && value instanceof DuckDBBlobValue) return `\\x${Buffer.from(value.bytes).toString('hex')}`;
  if (WIDE_INTEGERS.has(type.typeId) && typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  return JsonDuckDBValueConverter(value, type, converter as unknown as DuckDBValueConverter<Json>) as SqlValue;
};
