import type { SightlineEvent } from '../core/envelope.js';
import type { CheckFailure } from '../core/event-check.js';
import { isPlainObject } from '../core/envelope.js';
import type { SchemaRegistry, SubjectVersion } from '../registry/schema-registry.js';
import type { ParsedSchema } from '../registry/types/schema-type.js';
import type { ContractStats } from './contract-stats.js';
import { subjectFor } from './subject.js';

export type UnknownContractPolicy = 'reject' | 'accept';

export interface ContractWarning {
  code: 'SL_CONTRACT_DEPRECATED';
  message: string;
}

export type ContractCheck = { ok: true; warning?: ContractWarning } | CheckFailure;

/** What ingest writes into `metadata.contract` of an accepted event. */
export interface ContractStamp {
  subject: string;
  version: number | null;
  id: number;
}

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

  /** Finds and applies the event's contract; on success stamps `metadata.contract`. */
  check(event: SightlineEvent, now: number): ContractCheck {
    const subject = subjectFor(event.source, event.type);
    const resolved = this.resolve(event, subject);
    if ('failure' in resolved) return resolved.failure;
    if (!resolved.schema) {
      if (this.unknown === 'accept') {
        this.stats.count(subject, null, 'unknown_accepted');
        return { ok: true };
      }
      this.stats.count(subject, null, 'unknown_rejected');
      return {
        ok: false,
        code: 'SL_CONTRACT_UNKNOWN',
        message: `no schema is registered for subject "${subject}" (source.type); register one (sightline schema register ${subject} <file>) or set contracts.unknown: accept`,
      };
    }
    const { schema, id, version } = resolved;
    const versionNumber = version?.version ?? null;
    if (version?.sunsetAt !== undefined && version.sunsetAt <= now) {
      this.stats.count(subject, versionNumber, 'sunset');
      return {
        ok: false,
        code: 'SL_CONTRACT_SUNSET',
        message: `subject "${subject}" version ${versionNumber} was deprecated and its sunset (${new Date(version.sunsetAt).toISOString()}) has passed; produce with a newer version`,
      };
    }
    const violation = schema.validate(event.payload);
    if (violation) {
      this.stats.count(subject, versionNumber, 'invalid');
      return {
        ok: false,
        code: 'SL_CONTRACT_VIOLATION',
        message: `payload${violation.path === '/' ? '' : violation.path} ${violation.message} (subject "${subject}" version ${versionNumber ?? '?'}, schema id ${id})`,
      };
    }
    event.metadata = { ...event.metadata, contract: { subject, version: versionNumber, id } satisfies ContractStamp };
    if (version?.deprecatedAt !== undefined) {
      this.stats.count(subject, versionNumber, 'deprecated');
      const sunset = version.sunsetAt === undefined ? '' : `; events naming it are refused from ${new Date(version.sunsetAt).toISOString()}`;
      return { ok: true, warning: { code: 'SL_CONTRACT_DEPRECATED', message: `subject "${subject}" version ${versionNumber} is deprecated${sunset}` } };
    }
    this.stats.count(subject, versionNumber, 'valid');
    return { ok: true };
  }

  private resolve(
    event: SightlineEvent,
    subject: string,
  ): { failure: CheckFailure } | { schema?: undefined } | { schema: ParsedSchema; id: number; version: Readonly<SubjectVersion> | undefined } {
    const { schemaId, schemaVersion } = event.metadata;
    if (schemaId !== undefined) {
      if (typeof schemaId !== 'number' || !Number.isInteger(schemaId)) return { failure: invalidPin('metadata.schemaId must be an integer schema id') };
      const schema = this.registry.parsedById(schemaId);
      if (!schema) return { failure: { ok: false, code: 'SL_CONTRACT_UNKNOWN', message: `schema id ${schemaId} is not registered` } };
      return { schema, id: schemaId, version: this.registry.versionOfIdInSubject(subject, schemaId) };
    }
    if (schemaVersion !== undefined) {
      if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1) {
        return { failure: invalidPin('metadata.schemaVersion must be a positive integer') };
      }
      const version = this.registry.findVersion(subject, schemaVersion);
      if (!version) return { failure: { ok: false, code: 'SL_CONTRACT_UNKNOWN', message: `subject "${subject}" has no version ${schemaVersion}` } };
      return { schema: this.registry.parsedById(version.id)!, id: version.id, version };
    }
    const latest = this.registry.findVersion(subject, 'latest');
    return latest ? { schema: this.registry.parsedById(latest.id)!, id: latest.id, version: latest } : {};
  }
}

function wireFailure(message: string): CheckFailure {
  return { ok: false, code: 'SL_CONTRACT_WIRE_INVALID', message };
}

function invalidPin(message: string): CheckFailure {
  return { ok: false, code: 'SL_EVENT_FIELD_INVALID', message };
}
