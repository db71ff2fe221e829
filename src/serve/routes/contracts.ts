import type { FastifyInstance } from 'fastify';
import type { ContractStats } from '../../contracts/contract-stats.js';
import { SightlineError } from '../../core/errors.js';
import { parseVersionRef } from '../../registry/registry-input.js';
import type { SchemaRegistry, SubjectVersion } from '../../registry/schema-registry.js';
import { ERROR_BODY_SCHEMA } from '../errors.js';

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

  app.get('/v1/contracts', { schema: { summary: 'Subjects, versions, deprecations and events per version', tags } }, async () => {
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

  const versionParams = { type: 'object', properties: { subject: { type: 'string' }, version: { type: 'string' } } } as const;
  app.put(
    '/v1/contracts/:subject/versions/:version/deprecation',
    {
      schema: {
        summary: 'Deprecate a version: events naming it get a warning, and are refused after the sunset',
        tags,
        params: versionParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { sunset: { type: 'string', description: 'ISO 8601 date-time after which events naming this version are refused' } },
        },
        response: { 404: ERROR_BODY_SCHEMA, 400: ERROR_BODY_SCHEMA },
      },
    },
    async (request) => {
      const { subject, version } = request.params as { subject: string; version: string };
      const { sunset } = (request.body ?? {}) as { sunset?: string };
      const sunsetAt = sunset === undefined ? undefined : Date.parse(sunset);
      if (sunsetAt !== undefined && Number.isNaN(sunsetAt)) throw new SightlineError('SL_API_BAD_REQUEST', `sunset "${sunset}" is not an ISO 8601 date-time`);
      return versionView(await registry.deprecate(subject, parseVersionRef(version), { sunsetAt }));
    },
  );
  app.delete(
    '/v1/contracts/:subject/versions/:version/deprecation',
    { schema: { summary: 'Lift a deprecation', tags, params: versionParams, response: { 404: ERROR_BODY_SCHEMA } } },
    async (request) => {
      const { subject, version } = request.params as { subject: string; version: string };
      return versionView(await registry.deprecate(subject, parseVersionRef(version), null));
    },
  );
}

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
