import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SightlineError } from '../../../core/errors.js';
import { parseVersionRef, type VersionRef } from '../../../registry/registry-input.js';
import type { SchemaInput, SchemaRegistry, SubjectVersion } from '../../../registry/schema-registry.js';
import { SCHEMA_TYPES } from '../../../registry/types/parse-schema.js';
import { confluentErrorHandler, REGISTRY_CONTENT_TYPE } from './confluent-errors.js';

export interface ConfluentRoutesOptions {
  registry: SchemaRegistry;
}

type Params = { subject: string; version: string; id: string };
type Query = Record<string, string | undefined>;

const flag = (query: Query, name: string): boolean => query[name] === 'true';
const TAGS = ['schema registry'];
const BODY_TYPES = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream'];

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
  const route = (summary: string) => ({ config: { bodyTypes: BODY_TYPES }, schema: { summary, tags: TAGS } });
  const version = (request: FastifyRequest): VersionRef => parseVersionRef((request.params as Params).version);
  const subject = (request: FastifyRequest): string => (request.params as Params).subject;
  const query = (request: FastifyRequest): Query => request.query as Query;

  app.get('/', route('Registry root (an empty object, as Confluent answers)'), async () => ({}));
  app.get('/schemas/types', route('Schema types this registry accepts'), async () => SCHEMA_TYPES);
  app.get('/mode', route('The registry mode (always READWRITE)'), async () => ({ mode: 'READWRITE' }));

  app.get('/subjects', route('Subjects'), async (request) =>
    registry.listSubjects({ deleted: flag(query(request), 'deleted'), deletedOnly: flag(query(request), 'deletedOnly'), prefix: query(request).subjectPrefix ?? '' }),
  );
  app.get('/subjects/:subject/versions', route('Versions of a subject'), async (request) =>
    registry.listVersions(subject(request), { deleted: flag(query(request), 'deleted'), deletedOnly: flag(query(request), 'deletedOnly') }),
  );
  app.get('/subjects/:subject/versions/:version', route('One version of a subject (or "latest")'), async (request) =>
    schemaEntity(registry.getVersion(subject(request), version(request), { deleted: flag(query(request), 'deleted') })),
  );
  app.get('/subjects/:subject/versions/:version/schema', route('The schema text of a version'), async (request, reply) =>
    reply.type(REGISTRY_CONTENT_TYPE).send(registry.getVersion(subject(request), version(request), { deleted: flag(query(request), 'deleted') }).schema),
  );
  app.get('/subjects/:subject/versions/:version/referencedby', route('Ids of schemas referencing this version (references are not supported: none)'), async (request) => {
    registry.getVersion(subject(request), version(request));
    return [];
  });
  app.post('/subjects/:subject/versions', route('Register a schema under a subject'), async (request) => {
    const { id } = await registry.register(subject(request), schemaInput(request.body));
    return { id };
  });
  app.post('/subjects/:subject', route('Find the version of a subject that holds a schema'), async (request) =>
    schemaEntity(registry.lookup(subject(request), schemaInput(request.body), { deleted: flag(query(request), 'deleted') })),
  );
  app.delete('/subjects/:subject', route('Delete a subject (soft, or permanent=true after a soft delete)'), async (request) =>
    registry.deleteSubject(subject(request), flag(query(request), 'permanent')),
  );
  app.delete('/subjects/:subject/versions/:version', route('Delete a version (soft, or permanent=true after a soft delete)'), async (request) =>
    registry.deleteVersion(subject(request), version(request), flag(query(request), 'permanent')),
  );

  const id = (request: FastifyRequest): number => {
    const raw = (request.params as Params).id;
    if (!/^\d+$/.test(raw)) throw new SightlineError('SL_SCHEMA_NOT_FOUND', `Schema ${raw} not found`);
    return Number(raw);
  };
  app.get('/schemas/ids/:id', route('A schema by its global id'), async (request) => {
    const found = registry.schemaById(id(request));
    return { ...(found.schemaType !== 'AVRO' && { schemaType: found.schemaType }), schema: found.schema };
  });
  app.get('/schemas/ids/:id/schema', route('The schema text of a global id'), async (request, reply) =>
    reply.type(REGISTRY_CONTENT_TYPE).send(registry.schemaById(id(request)).schema),
  );
  app.get('/schemas/ids/:id/versions', route('Subject-versions that use a global id'), async (request) =>
    registry.usagesOfId(id(request), { deleted: flag(query(request), 'deleted') }),
  );
  app.get('/schemas/ids/:id/subjects', route('Subjects that use a global id'), async (request) => [
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
  app.post('/compatibility/subjects/:subject/versions/:version', route('Test a schema against one version'), compatibility(version));
  app.post('/compatibility/subjects/:subject/versions', route("Test a schema against the versions the subject's level selects"), compatibility(() => 'all'));

  app.get('/config', route('The global compatibility level'), async () => ({ compatibilityLevel: registry.getLevel(null) }));
  app.put('/config', route('Set the global compatibility level'), async (request) => ({ compatibility: await registry.setLevel(null, levelInput(request.body)) }));
  app.delete('/config', route('Reset the global compatibility level'), async () => ({ compatibilityLevel: await registry.deleteLevel(null) }));
  app.get('/config/:subject', route("A subject's compatibility level (404 40408 when it has none, unless defaultToGlobal=true)"), async (request) => ({
    compatibilityLevel: registry.getLevel(subject(request), { defaultToGlobal: flag(query(request), 'defaultToGlobal') }),
  }));
  app.put('/config/:subject', route("Set a subject's compatibility level"), async (request) => ({
    compatibility: await registry.setLevel(subject(request), levelInput(request.body)),
  }));
  app.delete('/config/:subject', route("Remove a subject's own level"), async (request) => ({ compatibilityLevel: await registry.deleteLevel(subject(request)) }));
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
