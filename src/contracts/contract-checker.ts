import type { SightlineEvent } from '../core/envelope.js';
import type { CheckFailure } from '../core/event-check.js';
import { isPlainObject } from '../core/envelope.js';
import type { SchemaRegistry, SubjectVersion } from '../registry/schema-registry.js';
import type { ContractStats } from './contract-stats.js';
import { PROBE_SCHEMA, PROBE_SOURCE, PROBE_TYPE } from '../core/probe-event.js';
import { JsonSchema } from '../registry/types/json-schema.js';
import { subjectFor } from '../core/subject.js';

export type UnknownContractPolicy = 'reject' | 'accept';

export interface ContractWarning {
  code: 'SL_CONTRACT_DEPRECATED';
  message: string;
}

/** A failure names the contract when one was found, for the dead letter's reason. */
export type ContractCheck = { ok: true; warning?: ContractWarning } | (CheckFailure & { schema?: { subject: string; version: number; id: number } });

/** What ingest writes into `metadata.contract` of an accepted event. */
export interface ContractStamp {
  subject: string;
  version: number | null;
  id: number;
}

const PROBE_SUBJECT = subjectFor(PROBE_SOURCE, PROBE_TYPE);
const PROBE_CONTRACT = JsonSchema.parse(PROBE_SCHEMA);
const WIRE_MAGIC = 0;
const WIRE_HEADER_BYTES = 5;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Checks events against their contracts at ingest. The contract is the schema id in
 * `metadata.schemaId`, else the version in `metadata.schemaVersion` of the event's subject, else
 * that subject's latest version. Validators are compiled once per schema id (the registry keeps
 * them), so a check costs one compiled-function call. A deprecated version is accepted with a
 * warning until its sunset and refused after it.
 */
export class ContractChecker {
  constructor(
    private readonly registry: SchemaRegistry,
    private readonly unknown: UnknownContractPolicy,
    readonly stats: ContractStats,
  ) {}

  /**
   * A payload given as a string is the Confluent wire format in base64 (magic byte 0, a 4-byte
   * big-endian schema id, then the Avro or JSON body): it is decoded in place, and the id it
   * names becomes the event's `metadata.schemaId`.
   */
  decodeWirePayload(raw: unknown): CheckFailure | undefined {
    if (!isPlainObject(raw) || typeof raw.payload !== 'string') return undefined;
    // Node's decoder skips characters outside the alphabet; refuse them rather than guess.
    const bytes = BASE64.test(raw.payload) ? Buffer.from(raw.payload, 'base64') : Buffer.alloc(0);
    if (bytes.length < WIRE_HEADER_BYTES || bytes[0] !== WIRE_MAGIC) {
      return wireFailure('a string payload must be base64 of the Confluent wire format: magic byte 0, a 4-byte schema id, the body');
    }
    const id = bytes.readInt32BE(1);
    const schema = this.registry.parsedById(id);
    if (!schema) return { ok: false, code: 'SL_CONTRACT_UNKNOWN', message: `the wire payload names schema id ${id}, which is not registered` };
    let payload: unknown;
    try {
      payload = schema.decode(bytes.subarray(WIRE_HEADER_BYTES));
    } catch (err) {
      return wireFailure(`the wire payload does not decode with schema id ${id}: ${(err as Error).message}`);
    }
    if (!isPlainObject(payload)) return wireFailure(`the wire payload decodes to a ${Array.isArray(payload) ? 'array' : typeof payload}, not an object`);
    raw.payload = payload;
    raw.metadata = { ...(isPlainObject(raw.metadata) ? raw.metadata : {}), schemaId: id };
    return undefined;
  }

  /**
   * Finds and applies the event's contract; on success stamps `metadata.contract`. A stamp the
   * producer sent is removed first: only ingest says which contract an event passed.
   */
  check(event: SightlineEvent, now: number): ContractCheck {
    if ('contract' in event.metadata) {
      const { contract: _claimed, ...rest } = event.metadata;
      event.metadata = rest;
    }
    const subject = subjectFor(event.source, event.type);
    if (subject === PROBE_SUBJECT) return this.checkProbe(event);
    const resolved = this.resolve(event, subject);
    if ('failure' in resolved) {
      this.stats.count(subject, null, 'invalid');
      return resolved.failure;
    }
    if (!resolved.version) {
      if (this.unknown === 'accept') {
        this.stats.count(subject, null, 'unknown_accepted');
        return { ok: true };
      }
      this.stats.count(subject, null, 'unknown_rejected');
      return { ok: false, code: 'SL_CONTRACT_UNKNOWN', message: resolved.unknown };
    }
    const { version } = resolved;
    // An id registered under another subject (a Kafka topic's subject) is that subject's contract.
    const owner = version.subject;
    const schema = this.registry.parsedById(version.id)!;
    if (version.sunsetAt !== undefined && version.sunsetAt <= now) {
      this.stats.count(owner, version.version, 'sunset');
      return {
        ok: false,
        schema: { subject: owner, version: version.version, id: version.id },
        code: 'SL_CONTRACT_SUNSET',
        message: `subject "${owner}" version ${version.version} was deprecated and its sunset (${new Date(version.sunsetAt).toISOString()}) has passed; produce with a newer version`,
      };
    }
    const violation = schema.validate(event.payload);
    if (violation) {
      this.stats.count(owner, version.version, 'invalid');
      return {
        ok: false,
        schema: { subject: owner, version: version.version, id: version.id },
        code: 'SL_CONTRACT_VIOLATION',
        message: `payload${violation.path === '/' ? '' : violation.path} ${violation.message} (subject "${owner}" version ${version.version}, schema id ${version.id})`,
      };
    }
    event.metadata = { ...event.metadata, contract: { subject: owner, version: version.version, id: version.id } satisfies ContractStamp };
    if (version.deprecatedAt !== undefined) {
      this.stats.count(owner, version.version, 'deprecated');
      const sunset = version.sunsetAt === undefined ? '' : `; events naming it are refused from ${new Date(version.sunsetAt).toISOString()}`;
      return { ok: true, warning: { code: 'SL_CONTRACT_DEPRECATED', message: `subject "${owner}" version ${version.version} is deprecated${sunset}` } };
    }
    this.stats.count(owner, version.version, 'valid');
    return { ok: true };
  }

  /**
   * The synthetic probe's events (`sightline.probe`) have a built-in contract, kept out of the
   * registry so that users' subjects and ids are theirs alone.
   */
  private checkProbe(event: SightlineEvent): ContractCheck {
    // Not counted in the per-subject stats: `schema list` shows the user's subjects alone.
    const violation = PROBE_CONTRACT.validate(event.payload);
    if (violation) {
      return { ok: false, code: 'SL_CONTRACT_VIOLATION', message: `payload${violation.path === '/' ? '' : violation.path} ${violation.message} (built-in subject "${PROBE_SUBJECT}")` };
    }
    return { ok: true };
  }

  /** The version the event is held to, or why there is none (unknown) or its pin is malformed (failure). */
  private resolve(event: SightlineEvent, subject: string): { failure: CheckFailure } | { version?: undefined; unknown: string } | { version: Readonly<SubjectVersion> } {
    const { schemaId, schemaVersion } = event.metadata;
    if (schemaId !== undefined) {
      if (typeof schemaId !== 'number' || !Number.isInteger(schemaId)) return { failure: invalidPin('metadata.schemaId must be an integer schema id') };
      const version = this.registry.versionForId(subject, schemaId);
      return version ? { version } : { unknown: `schema id ${schemaId} is not registered (or only under deleted versions)` };
    }
    if (schemaVersion !== undefined) {
      if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
        return { failure: invalidPin('metadata.schemaVersion must be a positive integer') };
      }
      const version = this.registry.findVersion(subject, schemaVersion);
      return version ? { version } : { unknown: `subject "${subject}" has no version ${schemaVersion}` };
    }
    const latest = this.registry.findVersion(subject, 'latest');
    return latest
      ? { version: latest }
      : { unknown: `no schema is registered for subject "${subject}" (source.type); register one (sightline schema register ${subject} <file>) or set contracts.unknown: accept` };
  }
}

function wireFailure(message: string): CheckFailure {
  return { ok: false, code: 'SL_CONTRACT_WIRE_INVALID', message };
}

function invalidPin(message: string): CheckFailure {
  return { ok: false, code: 'SL_EVENT_FIELD_INVALID', message };
}
