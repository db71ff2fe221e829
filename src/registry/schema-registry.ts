import type { ContractField } from '../core/contract-field.js';
import { SightlineError } from '../core/errors.js';
import {
  type CompatibilityLevel,
  type ConfigRecord,
  type RegistryRecord,
  type SchemaStore,
  type SchemaType,
  type SchemaVersionRecord,
  type StoreChange,
} from '../core/ports/schema-store.js';
import { type CompatibilityResult, checkCompatibility } from './compat/levels.js';
import { formatIncompatibility } from './compat/incompatibility.js';
import { parseSchema } from './types/parse-schema.js';
import { checkSubject, MAX_VERSION, parseLevel, type VersionRef } from './registry-input.js';
import type { ParsedSchema } from './types/schema-type.js';

export interface SchemaInput {
  schema: string;
  schemaType?: string | undefined;
  references?: unknown[] | undefined;
}

/** A version as the API shows it: its record without the store's kind tag. */
export type SubjectVersion = Omit<SchemaVersionRecord, 'kind'>;


/**
 * The schema registry: subjects of numbered versions, global ids shared by identical schemas,
 * compatibility levels (global and per subject), soft and hard deletes, and deprecation. All
 * state is built from the SchemaStore's records, which every node of a deployment follows: a
 * change is computed under the store's write lock (shared by every node) from the state the
 * records before it built, and applied only when the store delivers it back, so every node
 * applies the same records in the same order and ids and versions are never handed out twice.
 */
export class SchemaRegistry {
  private readonly subjects = new Map<string, Map<number, SchemaVersionRecord>>();
  private readonly subjectLevels = new Map<string, CompatibilityLevel>();
  private globalLevel: CompatibilityLevel | null = null;
  private maxId = 0;
  private readonly idByKey = new Map<string, number>();
  private readonly parsed = new Map<number, ParsedSchema>();
  /** Latest live version per subject, for the per-event lookup at ingest; cleared on every change. */
  private readonly latestCache = new Map<string, SchemaVersionRecord | null>();
  private readonly idVersionCache = new Map<string, SchemaVersionRecord | null>();
  /** The schema the last registration compiled, so applying its record does not compile it again. */
  private justParsed: ParsedSchema | undefined;

  private constructor(private readonly store: SchemaStore, private readonly defaultLevel: CompatibilityLevel) {}

  /** Resolves once every stored record is applied; the registry owns the store from here (and closes it if this fails). */
  static async open(store: SchemaStore, options: { defaultCompatibility?: CompatibilityLevel } = {}): Promise<SchemaRegistry> {
    const registry = new SchemaRegistry(store, options.defaultCompatibility ?? 'BACKWARD');
    try {
      await store.follow((records) => registry.applyStored(records));
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return registry;
  }

  // ---- reads

  listSubjects(options: { deleted?: boolean; deletedOnly?: boolean; prefix?: string } = {}): string[] {
    const out: string[] = [];
    for (const [subject, versions] of this.subjects) {
      if (options.prefix && !subject.startsWith(options.prefix)) continue;
      const live = [...versions.values()].some((v) => !v.deleted);
      if (options.deletedOnly ? !live : live || options.deleted) out.push(subject);
    }
    return out.sort();
  }

  listVersions(subject: string, options: { deleted?: boolean; deletedOnly?: boolean } = {}): number[] {
    const versions = [...(this.subjects.get(subject)?.values() ?? [])]
      .filter((v) => (options.deletedOnly ? v.deleted : options.deleted || !v.deleted))
      .map((v) => v.version)
      .sort((a, b) => a - b);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions;
  }

  getVersion(subject: string, ref: VersionRef, options: { deleted?: boolean } = {}): SubjectVersion {
    const versions = this.subjects.get(subject);
    const live = this.liveVersions(subject);
    if (!versions || (live.length === 0 && !options.deleted) || versions.size === 0) throw subjectNotFound(subject);
    const record = ref === 'latest' ? live[live.length - 1] : versions.get(ref);
    if (!record || (record.deleted && !options.deleted)) throw versionNotFound(ref);
    return view(record);
  }

  /** The version of `subject` holding this schema (Confluent's `POST /subjects/{subject}`). */
  lookup(subject: string, input: SchemaInput, options: { deleted?: boolean } = {}): SubjectVersion {
    const parsed = parseInput(input);
    const candidates = [...(this.subjects.get(subject)?.values() ?? [])].filter((v) => options.deleted || !v.deleted);
    if (candidates.length === 0) throw subjectNotFound(subject);
    const id = this.idByKey.get(identityKey(parsed));
    const match = candidates.filter((v) => v.id === id).sort((a, b) => b.version - a.version)[0];
    if (!match) throw new SightlineError('SL_SCHEMA_NOT_FOUND', 'Schema not found');
    return view(match);
  }

  schemaById(id: number): { id: number; schemaType: SchemaType; schema: string } {
    const record = this.recordsWithId(id)[0];
    if (!record) throw new SightlineError('SL_SCHEMA_NOT_FOUND', `Schema ${id} not found`);
    return { id, schemaType: record.schemaType, schema: record.schema };
  }

  /** Where an id is used: every subject and version holding it. */
  usagesOfId(id: number, options: { deleted?: boolean } = {}): Array<{ subject: string; version: number }> {
    const records = this.recordsWithId(id);
    if (records.length === 0) throw new SightlineError('SL_SCHEMA_NOT_FOUND', 'Schema not found');
    return records.filter((r) => options.deleted || !r.deleted).map((r) => ({ subject: r.subject, version: r.version }));
  }

  /**
   * A live version, or undefined: the per-event lookup of ingest, so it neither throws nor
   * allocates. The result must not be changed.
   */
  findVersion(subject: string, ref: VersionRef): Readonly<SubjectVersion> | undefined {
    if (ref !== 'latest') {
      const record = this.subjects.get(subject)?.get(ref);
      return record && !record.deleted ? record : undefined;
    }
    let latest = this.latestCache.get(subject);
    if (latest === undefined) {
      latest = this.liveVersions(subject).pop() ?? null;
      this.latestCache.set(subject, latest);
    }
    return latest ?? undefined;
  }

  /**
   * The columns of a subject's table: the top-level fields of every live version, in the order
   * they first appeared, each typed as the newest version that has it types it. Undefined when the
   * subject has no live version (its events have no table).
   */
  contractFields(subject: string): ContractField[] | undefined {
    const versions = this.liveVersions(subject);
    if (versions.length === 0) return undefined;
    const fields = new Map<string, ContractField>();
    for (const v of versions) for (const f of this.parsed.get(v.id)?.fields() ?? []) fields.set(f.name, f);
    return [...fields.values()];
  }

  /** The compiled schema of an id, for validation and decoding. */
  parsedById(id: number): ParsedSchema | undefined {
    return this.parsed.get(id);
  }

  /**
   * The live version an event naming schema `id` is held to: the newest version of the event's
   * own subject with that id, else the newest registered version of any subject with it (a
   * Confluent serializer registers under its topic's subject). Per event, so cached; the cache is
   * dropped on every change. The result must not be changed.
   */
  versionForId(subject: string, id: number): Readonly<SubjectVersion> | undefined {
    const key = `${subject}\n${id}`;
    let found = this.idVersionCache.get(key);
    if (found === undefined) {
      const own = this.liveVersions(subject).filter((v) => v.id === id).pop();
      const anywhere = this.recordsWithId(id)
        .filter((v) => !v.deleted)
        .sort((a, b) => a.registeredAt - b.registeredAt || a.version - b.version)
        .pop();
      found = own ?? anywhere ?? null;
      this.idVersionCache.set(key, found);
    }
    return found ?? undefined;
  }

  /** The level that applies to a subject: its own, else the global one. */
  effectiveLevel(subject: string | null): CompatibilityLevel {
    return (subject !== null ? this.subjectLevels.get(subject) : undefined) ?? this.globalLevel ?? this.defaultLevel;
  }

  getLevel(subject: string | null, options: { defaultToGlobal?: boolean } = {}): CompatibilityLevel {
    if (subject === null) return this.globalLevel ?? this.defaultLevel;
    const own = this.subjectLevels.get(subject);
    if (own) return own;
    if (options.defaultToGlobal) return this.globalLevel ?? this.defaultLevel;
    throw new SightlineError('SL_SCHEMA_SUBJECT_LEVEL_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level compatibility configured`);
  }

  /**
   * Checks a schema without registering it: against one version, or (ref 'all') against the live
   * versions the subject's level selects. A subject without versions accepts anything.
   */
  testCompatibility(subject: string, ref: VersionRef | 'all', input: SchemaInput): CompatibilityResult & { messages: string[] } {
    const parsed = parseInput(input);
    const level = this.effectiveLevel(subject);
    const live = this.liveVersions(subject);
    let previous = live;
    if (typeof ref === 'number') {
      const record = this.subjects.get(subject)?.get(ref);
      if (!record || record.deleted) throw versionNotFound(ref);
      previous = [record];
    } else if (ref === 'latest') {
      previous = live.slice(-1);
    }
    const result = checkCompatibility(
      parsed,
      previous.map((v) => ({ version: v.version, schema: this.parsed.get(v.id)! })),
      typeof ref === 'number' || ref === 'latest' ? (level.replace('_TRANSITIVE', '') as CompatibilityLevel) : level,
    );
    return { ...result, messages: this.messages(result, level, subject) };
  }

  // ---- changes

  /** Registers a schema under a subject, or returns the version that already holds it. */
  async register(subject: string, input: SchemaInput): Promise<{ id: number; version: number; created: boolean }> {
    checkSubject(subject);
    const parsed = parseInput(input);
    const key = identityKey(parsed);
    // Registered already (a serializer registering at every start): no lock needed to say so.
    const known = this.registered(subject, key);
    if (known) return known;
    return this.change<{ id: number; version: number; created: boolean }>(() => {
      const registered = this.registered(subject, key);
      if (registered) return { records: [], result: registered };
      const knownId = this.idByKey.get(key);
      const live = this.liveVersions(subject);
      const level = this.effectiveLevel(subject);
      const result = checkCompatibility(
        parsed,
        live.map((v) => ({ version: v.version, schema: this.parsed.get(v.id)! })),
        level,
      );
      if (!result.compatible) {
        throw new SightlineError(
          'SL_SCHEMA_INCOMPATIBLE',
          `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${this.messages(result, level, subject).join(', ')}]`,
        );
      }
      const id = knownId ?? this.maxId + 1;
      const records: RegistryRecord[] = knownId === undefined ? [{ kind: 'ids', maxId: id }] : [];
      const all = [...(this.subjects.get(subject)?.values() ?? [])];
      const version = Math.max(0, ...all.map((v) => v.version)) + 1;
      if (version > MAX_VERSION) throw new SightlineError('SL_SCHEMA_VERSION_INVALID', `subject ${subject} has no versions left`);
      // Confluent drops a soft-deleted copy of the same schema when it comes back as a new version.
      for (const old of all.filter((v) => v.deleted && v.id === id)) records.push({ kind: 'schema-tombstone', subject, version: old.version, id });
      records.push({ kind: 'schema', subject, version, id, schemaType: parsed.type, schema: parsed.canonical, deleted: false, registeredAt: Date.now() });
      this.justParsed = parsed;
      return { records, result: { id, version, created: true } };
    });
  }

  async setLevel(subject: string | null, level: string): Promise<CompatibilityLevel> {
    if (subject !== null) checkSubject(subject);
    const normalized = parseLevel(level);
    return this.change(() => ({ records: [{ kind: 'config', subject, compatibility: normalized }], result: normalized }));
  }

  /** Removes a subject's own level (it falls back to the global one), or resets the global level. */
  deleteLevel(subject: string | null): Promise<CompatibilityLevel> {
    return this.change(() => {
      const old = subject === null ? this.globalLevel ?? this.defaultLevel : this.subjectLevels.get(subject);
      if (old === undefined) throw subjectNotFound(subject!);
      return { records: [{ kind: 'config', subject, compatibility: null }], result: old };
    });
  }

  deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
    return this.change(() => {
      const all = [...(this.subjects.get(subject)?.values() ?? [])].sort((a, b) => a.version - b.version);
      if (all.length === 0) throw subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted);
      if (!permanent) {
        if (live.length === 0) throw new SightlineError('SL_SCHEMA_SUBJECT_SOFT_DELETED', `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
        const records: RegistryRecord[] = live.map((v) => ({ ...v, deleted: true }));
        if (this.subjectLevels.has(subject)) records.push({ kind: 'config', subject, compatibility: null });
        return { records, result: live.map((v) => v.version) };
      }
      if (live.length > 0) throw new SightlineError('SL_SCHEMA_SUBJECT_NOT_SOFT_DELETED', `Subject '${subject}' was not deleted first before being permanently deleted`);
      return {
        records: all.map((v) => ({ kind: 'schema-tombstone', subject, version: v.version, id: v.id })),
        result: all.map((v) => v.version),
      };
    });
  }

  deleteVersion(subject: string, ref: VersionRef, permanent: boolean): Promise<number> {
    return this.change(() => {
      const versions = this.subjects.get(subject);
      if (!versions || versions.size === 0) throw subjectNotFound(subject);
      const record = ref === 'latest' ? this.liveVersions(subject).pop() : versions.get(ref);
      if (!record) throw versionNotFound(ref);
      if (!permanent) {
        if (record.deleted) {
          throw new SightlineError('SL_SCHEMA_VERSION_SOFT_DELETED', `Subject '${subject}' Version ${record.version} was soft deleted.Set permanent=true to delete permanently`);
        }
        const records: RegistryRecord[] = [{ ...record, deleted: true }];
        // The subject's last live version: the subject goes, and its level with it.
        const lastLive = this.liveVersions(subject).every((v) => v.version === record.version);
        if (lastLive && this.subjectLevels.has(subject)) records.push({ kind: 'config', subject, compatibility: null });
        return { records, result: record.version };
      }
      if (!record.deleted) {
        throw new SightlineError('SL_SCHEMA_VERSION_NOT_SOFT_DELETED', `Subject '${subject}' Version ${record.version} was not deleted first before being permanently deleted`);
      }
      return { records: [{ kind: 'schema-tombstone', subject, version: record.version, id: record.id }], result: record.version };
    });
  }

  /**
   * Marks a version deprecated: events that name it are accepted with a warning until `sunsetAt`,
   * and refused after it. `null` lifts a deprecation.
   */
  deprecate(subject: string, ref: VersionRef, deprecation: { sunsetAt?: number | undefined } | null): Promise<SubjectVersion> {
    return this.change(() => {
      const record = this.subjects.get(subject)?.get(ref === 'latest' ? (this.liveVersions(subject).pop()?.version ?? -1) : ref);
      if (!this.subjects.has(subject)) throw subjectNotFound(subject);
      if (!record || record.deleted) throw versionNotFound(ref);
      const { deprecatedAt: _deprecatedAt, sunsetAt: _sunsetAt, ...rest } = record;
      const next: SchemaVersionRecord =
        deprecation === null ? rest : { ...rest, deprecatedAt: Date.now(), ...(deprecation.sunsetAt !== undefined && { sunsetAt: deprecation.sunsetAt }) };
      return { records: [next], result: view(next) };
    });
  }

  /** Waits for the changes under way, then stops following the store. */
  async close(): Promise<void> {
    await this.store.close();
  }

  // ---- internals

  private liveVersions(subject: string): SchemaVersionRecord[] {
    return [...(this.subjects.get(subject)?.values() ?? [])].filter((v) => !v.deleted).sort((a, b) => a.version - b.version);
  }

  private recordsWithId(id: number): SchemaVersionRecord[] {
    const out: SchemaVersionRecord[] = [];
    for (const versions of this.subjects.values()) for (const v of versions.values()) if (v.id === id) out.push(v);
    return out.sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
  }

  private messages(result: CompatibilityResult, level: CompatibilityLevel, subject: string): string[] {
    if (result.compatible) return [];
    const old = result.againstVersion === undefined ? undefined : this.subjects.get(subject)?.get(result.againstVersion)?.schema;
    return [
      ...result.problems.map(formatIncompatibility),
      ...(result.againstVersion !== undefined ? [`{oldSchemaVersion: ${result.againstVersion}}`] : []),
      ...(old ? [`{oldSchema: '${old}'}`] : []),
      `{compatibility: '${level}'}`,
    ];
  }

  private registered(subject: string, key: string): { id: number; version: number; created: false } | undefined {
    const id = this.idByKey.get(key);
    const existing = id === undefined ? undefined : this.liveVersions(subject).find((v) => v.id === id);
    return existing && { id: existing.id, version: existing.version, created: false };
  }

  /** Runs a change under the store's write lock; its records are applied as the store delivers them. */
  private change<T>(compute: () => StoreChange<T>): Promise<T> {
    return this.store.exclusive(compute).finally(() => (this.justParsed = undefined));
  }

  /** Applies records as the store delivers them: at open, every stored record; then each node's changes. */
  private applyStored(records: readonly RegistryRecord[]): void {
    for (const record of records) {
      try {
        this.apply(record);
      } catch (err) {
        const where = record.kind === 'config' || record.kind === 'ids' ? `a ${record.kind} record` : `subject "${record.subject}" version ${record.version}`;
        throw new SightlineError('SL_REGISTRY_STORE_FAILED', `the registry's stored ${where} does not load: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  private apply(record: RegistryRecord): void {
    if (record.kind === 'config') return this.applyConfig(record);
    if (record.kind === 'ids') {
      this.maxId = Math.max(this.maxId, record.maxId);
      return;
    }
    this.latestCache.delete(record.subject);
    this.idVersionCache.clear();
    this.maxId = Math.max(this.maxId, record.id);
    let versions = this.subjects.get(record.subject);
    if (!versions) {
      versions = new Map();
      this.subjects.set(record.subject, versions);
    }
    if (record.kind === 'schema-tombstone') {
      versions.delete(record.version);
      if (versions.size === 0) this.subjects.delete(record.subject);
      if (this.recordsWithId(record.id).length === 0) {
        const gone = this.parsed.get(record.id);
        if (gone) this.idByKey.delete(identityKey(gone));
        this.parsed.delete(record.id);
      }
      return;
    }
    versions.set(record.version, record);
    if (!this.parsed.has(record.id)) {
      const hint = this.justParsed;
      const schema = hint && hint.type === record.schemaType && hint.canonical === record.schema ? hint : parseSchema(record.schema, record.schemaType);
      this.parsed.set(record.id, schema);
      this.idByKey.set(identityKey(schema), record.id);
    }
  }

  private applyConfig(record: ConfigRecord): void {
    if (record.subject === null) this.globalLevel = record.compatibility;
    else if (record.compatibility === null) this.subjectLevels.delete(record.subject);
    else this.subjectLevels.set(record.subject, record.compatibility);
  }
}

function identityKey(schema: ParsedSchema): string {
  return `${schema.type}\n${schema.canonical}`;
}

function parseInput(input: SchemaInput): ParsedSchema {
  if (input.references !== undefined && input.references.length > 0) {
    throw new SightlineError('SL_SCHEMA_INVALID', 'Schema references are not supported yet: register the schema with the referenced types inlined');
  }
  return parseSchema(input.schema, input.schemaType);
}

function subjectNotFound(subject: string): SightlineError {
  return new SightlineError('SL_SCHEMA_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`);
}

function versionNotFound(ref: VersionRef): SightlineError {
  return new SightlineError('SL_SCHEMA_VERSION_NOT_FOUND', `Version ${ref === 'latest' ? -1 : ref} not found.`);
}

function view(record: SchemaVersionRecord): SubjectVersion {
  const { kind: _kind, ...version } = record;
  return version;
}
