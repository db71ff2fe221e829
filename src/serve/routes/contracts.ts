import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ContractStats } from '../../contracts/contract-stats.js';
import { SightlineError } from '../../core/errors.js';
import { COMPATIBILITY_LEVELS } from '../../core/ports/schema-store.js';
import { parseVersionRef, VERSION_PATTERN } from '../../registry/registry-input.js';
import type { SchemaRegistry, SubjectVersion } from '../../registry/schema-registry.js';
import { SCHEMA_TYPES } from '../../registry/types/parse-schema.js';
import { errorResponses } from '../errors.js';
import { parseDateTime } from '../time-param.js';

/** The subject a route's path names: the resource its access is checked on. */
const subjectParam = (request: FastifyRequest): string => (request.params as { subject: string }).subject;
/** A version, as the audit log names it: subject/version. */
const versionTarget = (request: FastifyRequest): string => `${subjectParam(request)}/${(request.params as { version: string }).version}`;

export interface ContractRoutesOptions {
  registry: SchemaRegistry;
  stats: ContractStats;
}

/**
 * Sightline's own view of its data contracts: every subject with its versions, their deprecation,
 * and how many events each version saw (version drift), and deprecation itself, which
 * Confluent's API has no place for.
 */
export async function contractRoutes(app: FastifyInstance, opts: ContractRoutesOptions): Promise<void> {
  const { registry, stats } = opts;
  const tags = ['contracts'];

  app.get('/v1/contracts', { config: { access: { scope: 'registry:read' } }, schema: { summary: 'Subjects, versions, deprecations and events per version', tags, response: { 200: CONTRACTS_SCHEMA } } }, async () => {
    const subjects = [...new Set([...registry.listSubjects(), ...stats.subjects()])].sort();
    return {
      subjects: subjects.map((subject) => {
        const events = stats.forSubject(subject);
        const versions = registry.listSubjects().includes(subject) ? registry.listVersions(subject).map((v) => registry.getVersion(subject, v)) : [];
        return {
          subject,
          compatibility: registry.effectiveLevel(subject),
          versions: versions.map((v) => ({ ...versionView(v), events: events[String(v.version)] ?? {} })),
          ...(events.none && { events_without_version: events.none }),
        };
      }),
    };
  });

  const versionParams = {
    type: 'object',
    properties: { subject: { type: 'string' }, version: { type: 'string', pattern: VERSION_PATTERN, description: 'A version number from 1 to 2^31-1, "latest" or -1 (latest)' } },
  } as const;
  app.put(
    '/v1/contracts/:subject/versions/:version/deprecation',
    {
      config: { access: { scope: 'registry:write', resource: subjectParam }, audit: { action: 'contract.deprecate', target: versionTarget } },
      schema: {
        summary: 'Deprecate a version: events naming it get a warning, and are refused after the sunset',
        tags,
        params: versionParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { sunset: { type: 'string', format: 'date-time', description: 'RFC 3339 date-time after which events naming this version are refused' } },
        },
        response: { 200: VERSION_SCHEMA, ...errorResponses(400, 404, 413, 415) },
      },
    },
    async (request) => {
      const { subject, version } = request.params as { subject: string; version: string };
      const { sunset } = (request.body ?? {}) as { sunset?: string };
      const sunsetAt = sunset === undefined ? undefined : parseDateTime(sunset);
      if (sunsetAt !== undefined && Number.isNaN(sunsetAt)) throw new SightlineError('SL_API_BAD_REQUEST', `sunset "${sunset}" is not an RFC 3339 date-time`);
      return versionView(await registry.deprecate(subject, parseVersionRef(version), { sunsetAt }));
    },
  );
  app.delete(
    '/v1/contracts/:subject/versions/:version/deprecation',
    { config: { access: { scope: 'registry:write', resource: subjectParam }, audit: { action: 'contract.undeprecate', target: versionTarget } }, schema: { summary: 'Lift a deprecation', tags, params: versionParams, response: { 200: VERSION_SCHEMA, ...errorResponses(400, 404) } } },
    async (request) => {
      const { subject, version } = request.params as { subject: string; version: string };
      return versionView(await registry.deprecate(subject, parseVersionRef(version), null));
    },
  );
}

const time = { type: ['string', 'null'], format: 'date-time' };
const VERSION_SCHEMA = {
  type: 'object',
  required: ['version', 'id', 'schema_type', 'registered_at', 'deprecated_at', 'sunset_at'],
  additionalProperties: false,
  properties: {
    version: { type: 'integer', minimum: 1 },
    id: { type: 'integer', minimum: 1 },
    schema_type: { type: 'string', enum: [...SCHEMA_TYPES] },
    registered_at: { type: 'string', format: 'date-time' },
    deprecated_at: time,
    sunset_at: time,
  },
} as const;
const counts = { type: 'object', additionalProperties: { type: 'integer' }, description: 'events by outcome (valid, invalid, ...)' };
const CONTRACTS_SCHEMA = {
  type: 'object',
  required: ['subjects'],
  additionalProperties: false,
  properties: {
    subjects: {
      type: 'array',
      items: {
        type: 'object',
        required: ['subject', 'compatibility', 'versions'],
        additionalProperties: false,
        properties: {
          subject: { type: 'string' },
          compatibility: { type: 'string', enum: [...COMPATIBILITY_LEVELS] },
          versions: {
            type: 'array',
            items: { ...VERSION_SCHEMA, required: [...VERSION_SCHEMA.required, 'events'], properties: { ...VERSION_SCHEMA.properties, events: counts } },
          },
          events_without_version: counts,
        },
      },
    },
  },
} as const;

function versionView(v: SubjectVersion) {
  return {
    version: v.version,
    id: v.id,
    schema_type: v.schemaType,
    registered_at: new Date(v.registeredAt).toISOString(),
    deprecated_at: v.deprecatedAt === undefined ? null : new Date(v.deprecatedAt).toISOString(),
    sunset_at: v.sunsetAt === undefined ? null : new Date(v.sunsetAt).toISOString(),
  };
}
