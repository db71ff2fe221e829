import { type ErrorCode, SightlineError } from '../core/errors.js';
import type { TableStore } from '../core/ports/table-store.js';
import { type ApiKeyRecord, type ApiKeyView, checkSecret, hashSecret, newKey, newSecret, parseToken, tokenOf, viewOf } from './api-key.js';
import { checkGrant, type Grant } from './scopes.js';

/** Who a request acts as: a key, or "local" where keys are not required on loopback. */
export interface Principal {
  keyId: string;
  name: string;
  grants: readonly Grant[];
}

/** A loopback request where `auth.required` is false: the machine's own user, with every scope. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ keyId: 'local', name: 'loopback, keys not required', grants: Object.freeze([{ scope: 'admin' as const }]) });

export type Authentication = { principal: Principal } | { failure: Extract<ErrorCode, 'SL_AUTH_INVALID' | 'SL_AUTH_EXPIRED' | 'SL_AUTH_REVOKED'> };

export interface NewKey {
  name: string;
  grants: Array<{ scope: string; resources?: string[] | undefined }>;
  /** Epoch ms, or null for a key that does not expire. */
  expiresAt: number | null;
}

const NAME = /^[A-Za-z0-9 _.:@/-]{1,100}$/;
/** The longest grace a rotation gives the old secret. */
export const MAX_ROTATION_GRACE_MS = 7 * 24 * 3_600_000;

/**
 * The platform's API keys: every node follows the `_keys` table (a compacted one-partition topic
 * of its log), so a key created, rotated or revoked on one node holds on all of them within about a
 * second. Checks run against the followed state in memory.
 */
export class KeyStore {
  private readonly keys = new Map<string, ApiKeyRecord>();
  /** Keys of this process only (nodeKey), never written to the table. */
  private readonly nodeKeys = new Map<string, ApiKeyRecord>();

  private constructor(private readonly table: TableStore<ApiKeyRecord>, private readonly clock: () => number) {}

  static async open(table: TableStore<ApiKeyRecord>, clock: () => number = Date.now): Promise<KeyStore> {
    const store = new KeyStore(table, clock);
    await table.follow((records) => {
      for (const record of records) store.keys.set(record.id, record);
    });
    return store;
  }

  /** A bearer token: `slk_<id>_<secret>`. */
  authenticate(token: string): Authentication {
    const parsed = parseToken(token);
    // A malformed token still costs one hash comparison, as a wrong secret does.
    return this.check(parsed?.id, parsed?.secret ?? token);
  }

  /** HTTP Basic, as Confluent's clients send it: the key id as the user, the secret (or the whole token) as the password. */
  authenticateBasic(user: string, password: string): Authentication {
    const parsed = parseToken(password);
    if (parsed) return parsed.id === user ? this.check(parsed.id, parsed.secret) : this.check(undefined, parsed.secret);
    return this.check(user, password);
  }

  private check(id: string | undefined, secret: string): Authentication {
    const record = id === undefined ? undefined : (this.keys.get(id) ?? this.nodeKeys.get(id));
    const outcome = checkSecret(record, secret, this.clock());
    if (outcome === 'ok') return { principal: { keyId: record!.id, name: record!.name, grants: record!.grants } };
    return { failure: outcome === 'expired' ? 'SL_AUTH_EXPIRED' : outcome === 'revoked' ? 'SL_AUTH_REVOKED' : 'SL_AUTH_INVALID' };
  }

  list(): ApiKeyView[] {
    const now = this.clock();
    return [...this.keys.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).map((r) => viewOf(r, now));
  }

  get(id: string): ApiKeyView {
    return viewOf(this.found(id), this.clock());
  }

  /** Creates a key; the token (its secret) is in the answer only, never stored. */
  async create(request: NewKey, actor: string): Promise<{ key: ApiKeyView; token: string }> {
    const now = this.clock();
    const name = request.name.trim();
    if (!NAME.test(name)) throw new SightlineError('SL_KEY_REQUEST_INVALID', 'a key name is 1 to 100 ASCII letters, digits, spaces and _ . : @ / -');
    if (request.grants.length === 0 || request.grants.length > 20) throw new SightlineError('SL_KEY_REQUEST_INVALID', 'a key needs 1 to 20 grants (scopes)');
    const grants = request.grants.map(checkGrant);
    if (request.expiresAt !== null && !(request.expiresAt > now)) throw new SightlineError('SL_KEY_REQUEST_INVALID', 'the expiry is not in the future');
    const { record, token } = newKey({ name, grants, createdAt: now, createdBy: actor, expiresAt: request.expiresAt });
    await this.table.exclusive(() => ({ records: [record], result: undefined }));
    return { key: viewOf(record, now), token };
  }

  /**
   * A new secret for the same key (same id, name, grants, expiry). The old secret keeps working
   * for `graceMs` (0: not at all), so producers can be moved over without a gap.
   */
  async rotate(id: string, graceMs: number): Promise<{ key: ApiKeyView; token: string }> {
    if (!(graceMs >= 0 && graceMs <= MAX_ROTATION_GRACE_MS)) throw new SightlineError('SL_KEY_REQUEST_INVALID', `the grace period is 0 to ${MAX_ROTATION_GRACE_MS / 3_600_000} h`);
    const secret = newSecret();
    const record = await this.table.exclusive(() => {
      const now = this.clock();
      const current = this.found(id);
      if (current.revokedAt !== null) throw new SightlineError('SL_KEY_REQUEST_INVALID', `key ${id} is revoked; create another`);
      const rotated: ApiKeyRecord = { ...current, hash: hashSecret(secret), rotatedAt: now, previous: graceMs > 0 ? { hash: current.hash, until: now + graceMs } : null };
      return { records: [rotated], result: rotated };
    });
    return { key: viewOf(record, this.clock()), token: tokenOf(id, secret) };
  }

  /** Revokes a key at once on every node (within the table's follow delay). Revoking twice is a no-op. */
  async revoke(id: string): Promise<ApiKeyView> {
    const record = await this.table.exclusive(() => {
      const current = this.found(id);
      if (current.revokedAt !== null) return { records: [], result: current };
      const revoked: ApiKeyRecord = { ...current, revokedAt: this.clock(), previous: null };
      return { records: [revoked], result: revoked };
    });
    return viewOf(record, this.clock());
  }

  /**
   * On a platform's first start (no key was ever made, on any node): an admin key, whose token is
   * returned to be shown once. Undefined when a key exists already.
   */
  async bootstrapAdmin(): Promise<string | undefined> {
    return this.table.exclusive(() => {
      if (this.keys.size > 0) return { records: [], result: undefined };
      const { record, token } = newKey({ name: 'admin (first start)', grants: [{ scope: 'admin' }], createdAt: this.clock(), createdBy: 'bootstrap', expiresAt: null });
      return { records: [record], result: token };
    });
  }

  /**
   * A key that exists in this process only, for what the platform sends to its own API (the
   * probe): never stored, never listed, gone at stop, valid on this node alone.
   */
  nodeKey(name: string, grants: Grant[]): string {
    const { record, token } = newKey({ name, grants: grants.map(checkGrant), createdAt: this.clock(), createdBy: 'node', expiresAt: null });
    this.nodeKeys.set(record.id, record);
    return token;
  }

  async close(): Promise<void> {
    await this.table.close();
  }

  private found(id: string): ApiKeyRecord {
    const record = this.keys.get(id);
    if (!record) throw new SightlineError('SL_KEY_NOT_FOUND', `no API key with id "${id}"`);
    return record;
  }
}
