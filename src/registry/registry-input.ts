import { SightlineError } from '../core/errors.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel } from '../core/ports/schema-store.js';
import { anyCase, JS_SPACE } from '../core/text-patterns.js';

/** A version of a subject: its number, or the newest live one. */
export type VersionRef = number | 'latest';

export const MAX_VERSION = 2 ** 31 - 1;

// What callers name in the registry (levels, versions, subjects), read and checked with the
// errors and messages Confluent's registry answers with. Each check is a regular expression that
// the API's OpenAPI document gives as the parameter's pattern, so the document and the check are
// one thing (core/text-patterns), matched here with the `u` flag, as JSON Schema does.

/** What String.prototype.trim() removes, around the value. */
const TRIMMED = `[${JS_SPACE}]*`;

/** The decimal integers from 1 to max, without leading zeros. */
export function integersUpTo(max: number): string {
  const digits = String(max);
  const parts: string[] = digits.length > 1 ? [`[1-9][0-9]{0,${digits.length - 2}}`] : [];
  for (let i = 0; i < digits.length; i++) {
    const low = i === 0 ? 1 : 0;
    const digit = Number(digits[i]);
    const rest = digits.length - 1 - i;
    if (digit > low) parts.push(`${digits.slice(0, i)}[${low}-${digit - 1}]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  parts.push(digits);
  return `(?:${parts.join('|')})`;
}

/** A compatibility level in any case, with surrounding white space. */
export const LEVEL_PATTERN = `^${TRIMMED}(?:${COMPATIBILITY_LEVELS.map(anyCase).join('|')})${TRIMMED}$`;
/** A version path segment: an integer from 1 to 2^31-1 (leading zeros allowed), "latest" in any case, or -1 (latest too). */
export const VERSION_PATTERN = `^${TRIMMED}(?:${anyCase('latest')}|-1|0*${integersUpTo(MAX_VERSION)})${TRIMMED}$`;
/** A subject: 1 to 255 characters (code points), no control characters. */
export const SUBJECT_PATTERN = '^[^\\u0000-\\u001f\\u007f]{1,255}$';

const LEVEL = new RegExp(LEVEL_PATTERN, 'u');
const VERSION = new RegExp(VERSION_PATTERN, 'u');
const SUBJECT = new RegExp(SUBJECT_PATTERN, 'u');

export function parseLevel(level: string): CompatibilityLevel {
  if (typeof level !== 'string' || !LEVEL.test(level)) {
    throw new SightlineError(
      'SL_SCHEMA_COMPATIBILITY_INVALID',
      'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
    );
  }
  return level.trim().toUpperCase() as CompatibilityLevel;
}

/** A version path segment (VERSION_PATTERN). */
export function parseVersionRef(raw: string): VersionRef {
  if (!VERSION.test(raw)) {
    throw new SightlineError(
      'SL_SCHEMA_VERSION_INVALID',
      `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  const trimmed = raw.trim();
  return trimmed.toLowerCase() === 'latest' || trimmed === '-1' ? 'latest' : Number(trimmed);
}

export function checkSubject(subject: string): void {
  if (!SUBJECT.test(subject)) {
    throw new SightlineError('SL_SCHEMA_SUBJECT_INVALID', `The specified subject '${subject}' is not valid: 1-255 characters without control characters`);
  }
}
