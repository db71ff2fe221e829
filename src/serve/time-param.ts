import { SightlineError } from '../core/errors.js';

/** A time bound from a query string: epoch milliseconds or an ISO 8601 date-time. */
export function parseTimeParam(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new SightlineError('SL_API_BAD_REQUEST', `${name} must be epoch milliseconds or an ISO 8601 date-time`);
  return parsed;
}
