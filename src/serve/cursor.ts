import { SightlineError } from '../core/errors.js';

/** Opaque paging cursor: the (timestamp, logPos) of the last row of a page. */
export function encodeCursor(timestamp: number, logPos: number): string {
  return Buffer.from(`v1:${timestamp}:${logPos}`).toString('base64url');
}

export function decodeCursor(cursor: string): { timestamp: number; logPos: number } {
  const match = /^v1:(\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new SightlineError('SL_API_CURSOR_INVALID', 'cursor is not one this API issued');
  return { timestamp: Number(match[1]), logPos: Number(match[2]) };
}
