import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteAudit } from '../../audit-trail.js';
import { SightlineError } from '../../../core/errors.js';
import { parseVersionRef, type VersionRef } from '../../../registry/registry-input.js';
import type { SchemaInput, SchemaRegistry, SubjectVersion } from '../../../registry/schema-registry.js';
import { SCHEMA_TYPES } from '../../../registry/types/parse-schema.js';
import { confluentErrorHandler, REGISTRY_CONTENT_TYPE } from './confluent-errors.js';
import { BODY_TYPES, flagParam, idParam, LEVEL_INPUT, newSubjectParam, OK, params, registryBody, registryErrors, SCHEMA_INPUT, subjectParam, versionParam } from './confluent-schemas.js';

export interface ConfluentRoutesOptions {
  registry: SchemaRegistry;
}

type Params = { subject: string; version: string; id: string };
type Query = Record<string, string | undefined>;

const flag = (query: Query, name: string): boolean => query[name] === 'true';
const TAGS = ['schema registry'];

/**
 * Confluent Schema Registry's REST API (the 7.x paths, bodies, error codes and content type) at
 * the root of Sightline's API, so a Kafka client's `schema.registry.url` can point at Sightline.
 * Unknown query parameters are ignored, as Confluent does.
 */
export async function confluentRegistryRoutes(app: FastifyInstance, opts: ConfluentRoutesOptions): Promise<void> {
  const { registry } = opts;
  app.setErrorHandler(confluentErrorHandler);
  // Confluent takes JSON under its own media types and as octet-stream (its clients send one of
  // these). It also takes a body with no type at all, which Sightline does not: a web page on any
  // site can send that, or a form, without a CORS preflight, and so register schemas (CSRF).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(BODY_TYPES, { parseAs: 'string' }, parseJsonBody);
  app.addHook('onSend', async (_request, reply, payload) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('application/json') || reply.getHeader('content-type') === undefined) {
      reply.type(REGISTRY_CONTENT_TYPE);
    }
    return payload;
  });
  // The handlers check what they read, with Confluent's codes: the schemas below only document it.
  app.setValidatorCompiler(() => () => true);
  // Reads need registry:read, changes registry:write, on the subject the path names (on every
  // subject where it names none). HTTP Basic is taken too: Confluent's clients send key id and secret.
  const route = (
    summary: string,
    schema: { params?: object; querystring?: object; body?: object; response: Record<number, object> },
    scope: 'registry:read' | 'registry:write' = 'registry:read',
    audit?: RouteAudit['action'],
  ) => ({
    config: {
      bodyTypes: BODY_TYPES,
      access: { scope, basic: true, resource: (request: FastifyRequest) => (request.params as Partial<Params>).subject },
      // Changes are on the audit log, named by subject (and version), or "global" for the registry's own level.
      ...(audit && { audit: { action: audit, target: (request: FastifyRequest) => { const p = request.params as Partial<Params>; return p.subject === undefined ? 'global' : p.version === undefined ? p.subject : `${p.subject}/${p.version}`; } } }),
    },
    schema: { summary, tags: TAGS, ...schema, response: { ...registryErrors(401, 403), ...schema.response } },
  });
  const version = (request: FastifyRequest): VersionRef => parseVersionRef((request.params as Params).version);
  const subject = (request: FastifyRequest): string => (request.params as Params).subject;
  const query = (request: FastifyRequest): Query => request.query as Query;
  const bySubject = params({ subject: subjectParam });
  const byVersion = params({ subject: subjectParam, version: versionParam });
  const byId = params({ id: idParam });
  const deleted = { type: 'object', properties: { deleted: flagParam('soft-deleted ones too') } };
  const schemaBody = registryBody(SCHEMA_INPUT, 'A schema');
  const levelBody = registryBody(LEVEL_INPUT, 'A compatibility level');

  app.get('/', route('Registry root (an empty object, as Confluent answers)', { response: { 200: OK.empty } }), async () => ({}));
  app.get('/schemas/types', route('Schema types this registry accepts', { response: { 200: OK.schemaTypes } }), async () => SCHEMA_TYPES);
  app.get('/mode', route('The registry mode (always READWRITE)', { response: { 200: OK.mode } }), async () => ({ mode: 'READWRITE' }));

  const listSubjects = { type: 'object', properties: { deleted: flagParam('soft-deleted subjects too'), deletedOnly: flagParam('soft-deleted subjects only'), subjectPrefix: { type: 'string' } } };
  app.get('/subjects', route('Subjects', { querystring: listSubjects, response: { 200: OK.subjects } }), async (request) =>
    registry.listSubjects({ deleted: flag(query(request), 'deleted'), deletedOnly: flag(query(request), 'deletedOnly'), prefix: query(request).subjectPrefix ?? '' }),
  );
  const listVersions = { type: 'object', properties: { deleted: flagParam('soft-deleted versions too'), deletedOnly: flagParam('soft-deleted versions only') } };
  app.get('/subjects/:subject/versions', route('Versions of a subject', { params: bySubject, querystring: listVersions, response: { 200: OK.versions, ...registryErrors(404) } }), async (request) =>
    registry.listVersions(subject(request), { deleted: flag(query(request), 'deleted'), deletedOnly: flag(query(request), 'deletedOnly') }),
  );
  const versionRead = (response: object) => ({ params: byVersion, querystring: deleted, response: { 200: response, ...registryErrors(404, 422) } });
  app.get('/subjects/:subject/versions/:version', route('One version of a subject (or "latest")', versionRead(OK.schemaEntity)), async (request) =>
    schemaEntity(registry.getVersion(subject(request), version(request), { deleted: flag(query(request), 'deleted') })),
  );
  app.get('/subjects/:subject/versions/:version/schema', route('The schema text of a version', versionRead(OK.schemaText)), async (request, reply) =>
    reply.type(REGISTRY_CONTENT_TYPE).send(registry.getVersion(subject(request), version(request), { deleted: flag(query(request), 'deleted') }).schema),
  );
  app.get(
    '/subjects/:subject/versions/:version/referencedby',
    route('Ids of schemas referencing this version (references are not supported: none)', { params: byVersion, response: { 200: OK.noIds, ...registryErrors(404, 422) } }),
    async (request) => {
      registry.getVersion(subject(request), version(request));
      return [];
    },
  );
  app.post(
    '/subjects/:subject/versions',
    route('Register a schema under a subject', { params: params({ subject: newSubjectParam }), body: schemaBody, response: { 200: OK.id, ...registryErrors(400, 409, 413, 415, 422) } }, 'registry:write', 'schema.register'),
    async (request) => {
      const { id } = await registry.register(subject(request), schemaInput(request.body));
      return { id };
    },
  );
  app.post(
    '/subjects/:subject',
    route('Find the version of a subject that holds a schema', { params: bySubject, querystring: deleted, body: schemaBody, response: { 200: OK.schemaEntity, ...registryErrors(400, 404, 413, 415, 422) } }),
    async (request) => schemaEntity(registry.lookup(subject(request), schemaInput(request.body), { deleted: flag(query(request), 'deleted') })),
  );
  const permanent = { type: 'object', properties: { permanent: flagParam('delete for good (after a soft delete)') } };
  app.delete(
    '/subjects/:subject',
    route('Delete a subject (soft, or permanent=true after a soft delete)', { params: bySubject, querystring: permanent, response: { 200: OK.versions, ...registryErrors(404) } }, 'registry:write', 'schema.delete'),
    async (request) => registry.deleteSubject(subject(request), flag(query(request), 'permanent')),
  );
  app.delete(
    '/subjects/:subject/versions/:version',
    route('Delete a version (soft, or permanent=true after a soft delete)', { params: byVersion, querystring: permanent, response: { 200: OK.version, ...registryErrors(404, 422) } }, 'registry:write', 'schema.delete'),
    async (request) => registry.deleteVersion(subject(request), version(request), flag(query(request), 'permanent')),
  );

  const id = (request: FastifyRequest): number => {
    const raw = (request.params as Params).id;
    if (!/^\d+$/.test(raw)) throw new SightlineError('SL_SCHEMA_NOT_FOUND', `Schema ${raw} not found`);
    return Number(raw);
  };
  const idRead = (response: object, querystring?: object) => ({ params: byId, ...(querystring && { querystring }), response: { 200: response, ...registryErrors(404) } });
  app.get('/schemas/ids/:id', route('A schema by its global id', idRead(OK.schemaById)), async (request) => {
    const found = registry.schemaById(id(request));
    return { ...(found.schemaType !== 'AVRO' && { schemaType: found.schemaType }), schema: found.schema };
  });
  app.get('/schemas/ids/:id/schema', route('The schema text of a global id', idRead(OK.schemaText)), async (request, reply) =>
    reply.type(REGISTRY_CONTENT_TYPE).send(registry.schemaById(id(request)).schema),
  );
  app.get('/schemas/ids/:id/versions', route('Subject-versions that use a global id', idRead(OK.usages, deleted)), async (request) =>
    registry.usagesOfId(id(request), { deleted: flag(query(request), 'deleted') }),
  );
  app.get('/schemas/ids/:id/subjects', route('Subjects that use a global id', idRead(OK.subjects, deleted)), async (request) => [
    ...new Set(registry.usagesOfId(id(request), { deleted: flag(query(request), 'deleted') }).map((u) => u.subject)),
  ]);

  const compatibility = (ref: (request: FastifyRequest) => VersionRef | 'all') => async (request: FastifyRequest) => {
    const verbose = flag(query(request), 'verbose');
    let result;
    try {
      result = registry.testCompatibility(subject(request), ref(request), schemaInput(request.body));
    } catch (err) {
      // With verbose=true Confluent reports an unparseable schema as incompatible, with the reason.
      if (verbose && err instanceof SightlineError && err.code === 'SL_SCHEMA_INVALID') return { is_compatible: false, messages: [err.message] };
      throw err;
    }
    return { is_compatible: result.compatible, ...(verbose && { messages: result.messages }) };
  };
  const verbose = { type: 'object', properties: { verbose: flagParam('say why not') } };
  app.post(
    '/compatibility/subjects/:subject/versions/:version',
    route('Test a schema against one version', { params: byVersion, querystring: verbose, body: schemaBody, response: { 200: OK.compatibility, ...registryErrors(400, 404, 413, 415, 422) } }),
    compatibility(version),
  );
  app.post(
    '/compatibility/subjects/:subject/versions',
    route("Test a schema against the versions the subject's level selects", { params: bySubject, querystring: verbose, body: schemaBody, response: { 200: OK.compatibility, ...registryErrors(400, 413, 415, 422) } }),
    compatibility(() => 'all'),
  );

  app.get('/config', route('The global compatibility level', { response: { 200: OK.levelIs } }), async () => ({ compatibilityLevel: registry.getLevel(null) }));
  app.put('/config', route('Set the global compatibility level', { body: levelBody, response: { 200: OK.levelSet, ...registryErrors(400, 413, 415, 422) } }, 'registry:write', 'compatibility.set'), async (request) => ({
    compatibility: await registry.setLevel(null, levelInput(request.body)),
  }));
  app.delete('/config', route('Reset the global compatibility level', { response: { 200: OK.levelIs } }, 'registry:write', 'compatibility.reset'), async () => ({ compatibilityLevel: await registry.deleteLevel(null) }));
  const defaultToGlobal = { type: 'object', properties: { defaultToGlobal: flagParam("the global level when the subject has none of its own") } };
  app.get(
    '/config/:subject',
    route("A subject's compatibility level (404 40408 when it has none, unless defaultToGlobal=true)", { params: bySubject, querystring: defaultToGlobal, response: { 200: OK.levelIs, ...registryErrors(404) } }),
    async (request) => ({ compatibilityLevel: registry.getLevel(subject(request), { defaultToGlobal: flag(query(request), 'defaultToGlobal') }) }),
  );
  app.put(
    '/config/:subject',
    route("Set a subject's compatibility level", { params: params({ subject: newSubjectParam }), body: levelBody, response: { 200: OK.levelSet, ...registryErrors(400, 413, 415, 422) } }, 'registry:write', 'compatibility.set'),
    async (request) => ({ compatibility: await registry.setLevel(subject(request), levelInput(request.body)) }),
  );
  app.delete("/config/:subject", route("Remove a subject's own level", { params: bySubject, response: { 200: OK.levelIs, ...registryErrors(404) } }, 'registry:write', 'compatibility.reset'), async (request) => ({
    compatibilityLevel: await registry.deleteLevel(subject(request)),
  }));
}

function parseJsonBody(_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void {
  if (body.trim() === '') return done(null, undefined);
  try {
    done(null, JSON.parse(body));
  } catch (err) {
    done(new SightlineError('SL_SCHEMA_REQUEST_INVALID', `the body is not JSON: ${(err as Error).message}`));
  }
}

function schemaInput(body: unknown): SchemaInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SightlineError('SL_SCHEMA_REQUEST_INVALID', 'the body must be a JSON object: {"schema": "...", "schemaType": "AVRO" | "JSON"}');
  }
  const { schema, schemaType, references } = body as Record<string, unknown>;
  if (schema === undefined || schema === null) throw new SightlineError('SL_SCHEMA_INVALID', 'Empty schema');
  if (schemaType !== undefined && typeof schemaType !== 'string') throw new SightlineError('SL_SCHEMA_REQUEST_INVALID', 'schemaType must be a string');
  if (references !== undefined && !Array.isArray(references)) throw new SightlineError('SL_SCHEMA_REQUEST_INVALID', 'references must be an array');
  // Some clients send an Avro schema as a JSON object rather than a string; take it.
  return { schema: typeof schema === 'string' ? schema : JSON.stringify(schema), schemaType, references };
}

function levelInput(body: unknown): string {
  const level = typeof body === 'object' && body !== null ? (body as { compatibility?: unknown }).compatibility : undefined;
  if (typeof level !== 'string') throw new SightlineError('SL_SCHEMA_COMPATIBILITY_INVALID', 'the body must be {"compatibility": "<level>"}');
  return level;
}

/** Confluent's schema entity: schemaType left out for AVRO, as Confluent does. */
function schemaEntity(v: SubjectVersion): Record<string, unknown> {
  return { subject: v.subject, version: v.version, id: v.id, ...(v.schemaType !== 'AVRO' && { schemaType: v.schemaType }), schema: v.schema };
}
