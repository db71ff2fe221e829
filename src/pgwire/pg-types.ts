import type { SqlValue } from '../core/ports/sql-engine.js';

import { PG_TYPES } from '../core/pg-type-oids.js';

/** The OIDs the encoders below switch on. */
export const OID = Object.fromEntries(Object.entries(PG_TYPES).map(([name, t]) => [name, t.oid])) as { [K in keyof typeof PG_TYPES]: (typeof PG_TYPES)[K]['oid'] };

/** A value's text form as Postgres writes it: t/f, numbers, DuckDB's temporal text (Postgres' own style), JSON for nested values. */
export function pgText(value: SqlValue): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) && 'months' in value && 'days' in value && 'micros' in value) return intervalText(value as { months: number; days: number; micros: number | string });
  return JSON.stringify(value);
}

function intervalText(v: { months: number; days: number; micros: number | string }): string {
  let micros = BigInt(v.micros);
  const sign = micros < 0n ? '-' : '';
  if (micros < 0n) micros = -micros;
  const seconds = micros / 1_000_000n;
  const fraction = micros % 1_000_000n;
  const hms = [seconds / 3600n, (seconds / 60n) % 60n, seconds % 60n].map((n) => String(n).padStart(2, '0')).join(':');
  return `${v.months} mons ${v.days} days ${sign}${hms}${fraction ? `.${String(fraction).padStart(6, '0')}` : ''}`;
}

const PG_EPOCH_DAYS = 10_957; // 2000-01-01 in days since 1970-01-01
const PG_EPOCH_MICROS = BigInt(PG_EPOCH_DAYS) * 86_400_000_000n;

/** Microseconds since 1970 of DuckDB's timestamp text (`2026-12-07 19:16:37.84`, `…+00`), exactly. */
export function timestampMicros(text: string): bigint {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/.exec(text);
  if (!m) throw new Error(`not a timestamp: ${text}`);
  const days = BigInt(Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000));
  const fraction = BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  let micros = days * 86_400_000_000n + BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6])) * 1_000_000n + fraction;
  if (m[8]) {
    const offset = BigInt(Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0)) * 1_000_000n;
    micros += m[8] === '+' ? -offset : offset;
  }
  return micros;
}

/** Postgres' binary numeric: base-10000 digits with a weight, a sign and a display scale. */
function numericBinary(text: string): Buffer {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace(/^[+-]/, '').split('.');
  const intPart = whole.replace(/^0+/, '');
  const padInt = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0');
  const padFrac = fraction.padEnd(Math.ceil(fraction.length / 4) * 4, '0');
  const groups = [...(padInt.match(/.{4}/g) ?? []), ...(padFrac.match(/.{4}/g) ?? [])].map(Number);
  let weight = padInt.length / 4 - 1;
  while (groups.length > 0 && groups[0] === 0) {
    groups.shift();
    weight--;
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
  const out = Buffer.alloc(8 + groups.length * 2);
  out.writeInt16BE(groups.length, 0);
  out.writeInt16BE(groups.length === 0 ? 0 : weight, 2);
  out.writeUInt16BE(negative && groups.length > 0 ? 0x4000 : 0, 4);
  out.writeInt16BE(fraction.length, 6);
  groups.forEach((g, i) => out.writeInt16BE(g, 8 + i * 2));
  return out;
}

/** A value in Postgres' binary format for the type it is sent as. */
export function pgBinary(value: SqlValue, oid: number): Buffer | null {
  if (value === null) return null;
  const buf = (size: number, write: (b: Buffer) => void): Buffer => {
    const b = Buffer.alloc(size);
    write(b);
    return b;
  };
  switch (oid) {
    case OID.bool:
      return Buffer.from([value ? 1 : 0]);
    case OID.int2:
      return buf(2, (b) => b.writeInt16BE(Number(value)));
    case OID.int4:
      return buf(4, (b) => b.writeInt32BE(Number(value)));
    case OID.int8:
      return buf(8, (b) => b.writeBigInt64BE(BigInt(value as number | string)));
    case OID.float4:
      return buf(4, (b) => b.writeFloatBE(Number(value)));
    case OID.float8:
      return buf(8, (b) => b.writeDoubleBE(Number(value)));
    case OID.numeric:
      return numericBinary(String(value));
    case OID.date:
      return buf(4, (b) => b.writeInt32BE(Math.floor(Date.parse(`${value as string}T00:00:00Z`) / 86_400_000) - PG_EPOCH_DAYS));
    case OID.timestamp:
    case OID.timestamptz:
      return buf(8, (b) => b.writeBigInt64BE(timestampMicros(value as string) - PG_EPOCH_MICROS));
    case OID.time:
      return buf(8, (b) => b.writeBigInt64BE(timestampMicros(`1970-01-01 ${value as string}`)));
    case OID.uuid:
      return Buffer.from((value as string).replaceAll('-', ''), 'hex');
    case OID.bytea:
      return Buffer.from((value as string).replace(/^\\x/, ''), 'hex');
    case OID.interval: {
      const v = value as { months: number; days: number; micros: number | string };
      return buf(16, (b) => {
        b.writeBigInt64BE(BigInt(v.micros), 0);
        b.writeInt32BE(v.days, 8);
        b.writeInt32BE(v.months, 12);
      });
    }
    default:
      return Buffer.from(pgText(value) ?? '', 'utf8');
  }
}

/** A parameter's text from its binary form, by the type the client declared (text for the types it leaves unknown). */
export function paramText(bytes: Buffer, oid: number): string {
  switch (oid) {
    case OID.bool:
      return bytes[0] ? 'true' : 'false';
    case OID.int2:
      return String(bytes.readInt16BE(0));
    case OID.int4:
      return String(bytes.readInt32BE(0));
    case OID.int8:
      return String(bytes.readBigInt64BE(0));
    case OID.float4:
      return String(bytes.readFloatBE(0));
    case OID.float8:
      return String(bytes.readDoubleBE(0));
    case OID.date:
      return new Date((bytes.readInt32BE(0) + PG_EPOCH_DAYS) * 86_400_000).toISOString().slice(0, 10);
    case OID.timestamp:
    case OID.timestamptz: {
      const micros = bytes.readBigInt64BE(0) + PG_EPOCH_MICROS;
      const ms = micros / 1000n;
      const iso = new Date(Number(ms)).toISOString().replace('T', ' ').replace('Z', '');
      return `${iso.slice(0, 19)}.${String(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0')}${oid === OID.timestamptz ? '+00' : ''}`;
    }
    case OID.bytea:
      return `\\x${bytes.toString('hex')}`;
    case OID.uuid: {
      const h = bytes.toString('hex');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    default:
      return bytes.toString('utf8');
  }
}
