import { SightlineError } from '../core/errors.js';

/**
 * A time bound in a query string, as the route schema (and so the OpenAPI document) says it:
 * epoch milliseconds (empty: no bound), an RFC 3339 date-time, or a date (midnight UTC).
 * Request validation refuses anything else with 400 before parseTimeParam reads it.
 */
export const TIME_PARAM_SCHEMA = {
  anyOf: [
    { type: 'string', pattern: '^[0-9]{0,15}$' },
    { type: 'string', format: 'date-time' },
    { type: 'string', format: 'date' },
  ],
  description: 'epoch milliseconds, an RFC 3339 date-time (2026-11-26T09:00:00Z) or a date (2026-11-26, midnight UTC); empty: no bound',
} as const;

/** A time bound from a query string (see TIME_PARAM_SCHEMA) in epoch milliseconds. */
export function parseTimeParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = /^[0-9]+$/.test(value) ? Number(value) : parseDateTime(value);
  if (Number.isNaN(parsed)) throw new SightlineError('SL_API_BAD_REQUEST', `${name} must be epoch milliseconds, an RFC 3339 date-time or a date`);
  return parsed;
}

// RFC 3339 as JSON Schema's date-time and date formats take it (Ajv's ajv-formats): any
// separator of T, t or whitespace, Z or an offset (+hh, +hhmm, +hh:mm), a leap second at 23:59:60 UTC.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt\s](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?))?$/;

/**
 * An RFC 3339 date-time, or a date (midnight UTC), in epoch milliseconds; NaN if it is neither.
 * Unlike Date.parse it takes every form the date-time format does (a leap second is the next
 * minute's first instant) and nothing else (no local times, no Feb 31).
 */
export function parseDateTime(value: string): number {
  const m = DATE_TIME.exec(value);
  if (!m) return NaN;
  const [year, month, day, hours = 0, minutes = 0, seconds = 0] = m.slice(1, 7).map((part) => Number(part ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day);
  if (date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day || hours > 23 || minutes > 59 || seconds > 60) return NaN;
  date.setUTCHours(hours, minutes, seconds, Number((m[7] ?? '').padEnd(3, '0').slice(0, 3)));
  const offsetMinutes = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10] ?? 0));
  return date.getTime() - offsetMinutes * 60_000;
}
