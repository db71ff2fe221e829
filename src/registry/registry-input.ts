import { SightlineError } from '../core/errors.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../core/ports/schema-store.js';

/** A version of a subject: its number, or the newest live one. */
export type VersionRef = number | 'latest';

export const MAX_VERSION = 2 ** 31 - 1;

// What callers name in the registry (levels, versions, subjects), read and checked with the
// errors and messages Confluent's registry answers with.

export function parseLevel(level: string): CompatibilityLevel {
  const normalized = String(level).trim().toUpperCase();
  if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(normalized)) {
    throw new SightlineError(
      'SL_SCHEMA_COMPATIBILITY_INVALID',
      'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
    );
  }
  return normalized as CompatibilityLevel;
}

/** A version path segment: an integer from 1 to 2^31-1, or "latest" (-1 means latest too). */
export function parseVersionRef(raw: string): VersionRef {
  const trimmed = raw.trim();
  if (trimmed.toLowerCase() === 'latest' || trimmed === '-1') return 'latest';
  const n = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || n < 1 || n > MAX_VERSION) {
    throw new SightlineError(
      'SL_SCHEMA_VERSION_INVALID',
      `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return n;
}

export function checkSubject(subject: string): void {
  // eslint-disable-next-line no-control-regex
  if (subject.length === 0 || subject.length > 255 || /[\u0000-\u001f\u007f]/.test(subject)) {
    throw new SightlineError('SL_SCHEMA_SUBJECT_INVALID', `The specified subject '${subject}' is not valid: 1-255 characters without control characters`);
  }
}
