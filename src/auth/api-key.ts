import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Grant } from './scopes.js';

/**
 * An API key as the `_keys` table keeps it: never the secret, only its SHA-256. A secret is 32
 * random bytes, so a slow password hash would add nothing against guessing, and a fast one keeps
 * the check off the ingest path's cost.
 */
export interface ApiKeyRecord {
  kind: 'key';
  /** Public: shown in lists, logs and the audit trail; the HTTP Basic user name. */
  id: string;
  name: string;
  grants: Grant[];
  /** Hex SHA-256 of the secret. */
  hash: string;
  createdAt: number;
  /** Who created it: a key id, or "local" (a loopback request where keys are not required), or "bootstrap". */
  createdBy: string;
  expiresAt: number | null;
  revokedAt: number | null;
  rotatedAt: number | null;
  /** The secret a rotation replaced, accepted until `until` (the rotation's grace period). */
  previous: { hash: string; until: number } | null;
}

/** What a key's token is: `slk_<id>_<secret>`, where the id is 16 hex digits and the secret 43 base64url characters. */
const TOKEN = /^slk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function newKeyId(): string {
  return randomBytes(8).toString('hex');
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenOf(id: string, secret: string): string {
  return `slk_${id}_${secret}`;
}

/** A bearer token's id and secret, or undefined when it is not one Sightline issued. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new key with a fresh id and secret: its record (the secret's hash only) and its token, to show once. */
export function newKey(fields: Pick<ApiKeyRecord, 'name' | 'grants' | 'createdAt' | 'createdBy' | 'expiresAt'>): { record: ApiKeyRecord; token: string } {
  const secret = newSecret();
  const record: ApiKeyRecord = { kind: 'key', id: newKeyId(), ...fields, hash: hashSecret(secret), revokedAt: null, rotatedAt: null, previous: null };
  return { record, token: tokenOf(record.id, secret) };
}

/** A hash no secret has: compared against when the id is unknown, so that costs the same as a wrong secret. */
const NO_KEY_HASH = hashSecret(newSecret());

export type KeyCheck = 'ok' | 'invalid' | 'expired' | 'revoked';

/**
 * Checks a secret against a key (or against nothing, for an unknown id) in constant time. Whether
 * it is expired or revoked is told only to a caller holding its secret.
 */
export function checkSecret(record: ApiKeyRecord | undefined, secret: string, now: number): KeyCheck {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const current = sameHash(presented, record?.hash ?? NO_KEY_HASH);
  const previous = record?.previous ? sameHash(presented, record.previous.hash) : false;
  if (!record || (!current && !previous)) return 'invalid';
  if (record.revokedAt !== null && record.revokedAt <= now) return 'revoked';
  if (!current && record.previous!.until <= now) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  return 'ok';
}

function sameHash(presented: Buffer, storedHex: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}

/** A key as the API and the CLI show it: everything but the hashes. */
export interface ApiKeyView {
  id: string;
  name: string;
  grants: Grant[];
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  rotated_at: string | null;
  state: 'active' | 'expired' | 'revoked';
}

export function viewOf(record: ApiKeyRecord, now: number): ApiKeyView {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: record.id,
    name: record.name,
    grants: record.grants,
    created_at: new Date(record.createdAt).toISOString(),
    created_by: record.createdBy,
    expires_at: iso(record.expiresAt),
    revoked_at: iso(record.revokedAt),
    rotated_at: iso(record.rotatedAt),
    state: record.revokedAt !== null && record.revokedAt <= now ? 'revoked' : record.expiresAt !== null && record.expiresAt <= now ? 'expired' : 'active',
  };
}
