import { type SightlineEvent, isPlainObject } from './envelope.js';
import type { ErrorCode } from './errors.js';

export interface EventLimits {
  maxEventBytes: number;
  maxDepth: number;
  maxStringLength: number;
  /** How far ahead of the wall clock an event time may be, in ms; guards the watermark. */
  maxFutureSkewMs: number;
}

/** Why an event is refused: a code from the closed set and a message for the producer. */
export type CheckFailure = { ok: false; code: ErrorCode; message: string };

export type EventCheck = { ok: true; event: SightlineEvent; bytes: Buffer } | CheckFailure;

const ID_MAX = 256;
const NAME_PATTERN = /^[A-Za-z0-9_.:\-/]{1,128}$/;

/**
 * Checks one decoded event against the envelope and the limits, and returns the normalised
 * event with the exact bytes that go to the log (so the size limit is the stored size).
 */
export function checkEvent(raw: unknown, limits: EventLimits, now: number): EventCheck {
  const envelope = checkEnvelope(raw, limits, now);
  return envelope.ok ? serializeEvent(envelope.event, limits) : envelope;
}

export type EnvelopeCheck = { ok: true; event: SightlineEvent } | CheckFailure;

/** The envelope and the limits on depth and strings, without serialising (a contract may still stamp metadata). */
export function checkEnvelope(raw: unknown, limits: EventLimits, now: number): EnvelopeCheck {
  if (!isPlainObject(raw)) return fail('SL_EVENT_NOT_OBJECT', 'event must be a JSON object');
  const shape = checkShape(raw, limits, now);
  if (shape) return shape;
  const limitFailure = checkDepthAndStrings(raw, limits);
  if (limitFailure) return limitFailure;
  return {
    ok: true,
    event: {
      id: raw.id as string,
      source: raw.source as string,
      type: raw.type as string,
      timestamp: raw.timestamp as number,
      payload: raw.payload as Record<string, unknown>,
      metadata: (raw.metadata as Record<string, unknown> | undefined) ?? {},
    },
  };
}

/** The event's stored bytes, refused when they exceed the size limit. */
export function serializeEvent(event: SightlineEvent, limits: EventLimits): EventCheck {
  const bytes = Buffer.from(JSON.stringify(event));
  if (bytes.length > limits.maxEventBytes) {
    return fail('SL_EVENT_TOO_LARGE', `event is ${bytes.length} bytes, over the limit of ${limits.maxEventBytes}`);
  }
  return { ok: true, event, bytes };
}

function checkShape(raw: Record<string, unknown>, limits: EventLimits, now: number): CheckFailure | undefined {
  for (const field of ['id', 'source', 'type', 'timestamp', 'payload'] as const) {
    if (raw[field] === undefined) return fail('SL_EVENT_FIELD_MISSING', `${field} is required`);
  }
  if (typeof raw.id !== 'string' || raw.id.length === 0 || raw.id.length > ID_MAX) {
    return fail('SL_EVENT_FIELD_INVALID', `id must be a non-empty string of at most ${ID_MAX} characters`);
  }
  for (const field of ['source', 'type'] as const) {
    const value = raw[field];
    if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
      return fail('SL_EVENT_FIELD_INVALID', `${field} must be 1-128 characters of letters, digits and _.:-/`);
    }
  }
  const ts = raw.timestamp;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
    return fail('SL_EVENT_TIMESTAMP_INVALID', 'timestamp must be a non-negative integer of epoch milliseconds');
  }
  if (ts > now + limits.maxFutureSkewMs) {
    return fail('SL_EVENT_TIMESTAMP_INVALID', `timestamp ${ts} is more than ${limits.maxFutureSkewMs} ms in the future`);
  }
  if (!isPlainObject(raw.payload)) return fail('SL_EVENT_FIELD_INVALID', 'payload must be an object');
  if (raw.metadata !== undefined && !isPlainObject(raw.metadata)) {
    return fail('SL_EVENT_FIELD_INVALID', 'metadata must be an object when present');
  }
  return undefined;
}

/**
 * Iterative walk: a hostile document must not be able to exhaust the stack. Containers wait on
 * two parallel stacks (no object per node); strings and keys are checked where they are met.
 */
function checkDepthAndStrings(root: Record<string, unknown>, limits: EventLimits): CheckFailure | undefined {
  const containers: object[] = [root];
  const depths: number[] = [1];
  while (containers.length > 0) {
    const value = containers.pop()!;
    const depth = depths.pop()!;
    if (depth > limits.maxDepth) return fail('SL_EVENT_TOO_DEEP', `event nests deeper than ${limits.maxDepth} levels`);
    if (Array.isArray(value)) {
      for (const item of value) {
        const failure = checkMember(item, depth, limits, containers, depths);
        if (failure) return failure;
      }
      continue;
    }
    for (const key in value) {
      if (key.length > limits.maxStringLength) {
        return fail('SL_EVENT_STRING_TOO_LONG', `a key of ${key.length} characters exceeds the limit of ${limits.maxStringLength}`);
      }
      if (!key.isWellFormed()) return fail('SL_EVENT_FIELD_INVALID', 'a key holds an unpaired UTF-16 surrogate');
      const failure = checkMember((value as Record<string, unknown>)[key], depth, limits, containers, depths);
      if (failure) return failure;
    }
  }
  return undefined;
}

function checkMember(value: unknown, parentDepth: number, limits: EventLimits, containers: object[], depths: number[]): CheckFailure | undefined {
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength) {
      return fail('SL_EVENT_STRING_TOO_LONG', `a string of ${value.length} characters exceeds the limit of ${limits.maxStringLength}`);
    }
    if (!value.isWellFormed()) return fail('SL_EVENT_FIELD_INVALID', 'a string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff escape)');
  } else if (typeof value === 'object' && value !== null) {
    containers.push(value);
    depths.push(parentDepth + 1);
  }
  return undefined;
}

function fail(code: ErrorCode, message: string): CheckFailure {
  return { ok: false, code, message };
}
