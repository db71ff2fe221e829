import { SightlineError } from '../core/errors.js';

/**
 * The paging cursor of recent events: the (timestamp, logPos) of the last row of a page, as
 * `<timestamp>-<logPos>`. Plain digits, so the OpenAPI document can say exactly which cursors
 * exist (any that matches pages from that point); the sizes keep both numbers exact in a double.
 */
export const CURSOR_PATTERN = '^[0-9]{1,15}-[0-9]{1,16}$';

export function encodeCursor(timestamp: number, logPos: number): string {
  return `${timestamp}-${logPos}`;
}

export function decodeCursor(cursor: string): { timestamp: number; logPos: number } {
  const match = /^([0-9]{1,15})-([0-9]{1,16})$/.exec(cursor);
  if (!match) throw new SightlineError('SL_API_CURSOR_INVALID', 'cursor is not one this API issued');
  return { timestamp: Number(match[1]), logPos: Number(match[2]) };
}
