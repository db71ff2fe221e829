import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KeyStore } from '../../auth/key-store.js';
import { SCOPES } from '../../auth/scopes.js';
import { DURATION_PATTERN, parseDuration } from '../../core/duration.js';
import { errorResponses } from '../errors.js';
import { parseDateTime } from '../time-param.js';

export interface KeysRoutesOptions {
  keys: KeyStore;
}

const tags = ['keys'];
const admin = { access: { scope: 'admin' as const } };
const audited = (action: 'key.create' | 'key.rotate' | 'key.revoke') => ({
  ...admin,
  // A new key's id is in the answer; a rotated or revoked one's in the path.
  audit: { action, ...(action === 'key.create' && { target: (_request: unknown, answer: unknown) => (answer as { key?: { id?: string } } | undefined)?.key?.id ?? '(none)' }) },
});
const KEY_ID = '^[0-9a-f]{16}$';

const scopesWith = (withResources: boolean) => Object.keys(SCOPES).filter((s) => (SCOPES[s as keyof typeof SCOPES].resource !== null) === withResources);
/** A scope on every resource, or (for the scopes that have resources) on those its patterns match. */
const GRANT = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['scope'],
      properties: { scope: { type: 'string', enum: scopesWith(false), description: Object.entries(SCOPES).map(([s, d]) => `${s}: ${d.summary}`).join('; ') } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['scope'],
      properties: {
        scope: { type: 'string', enum: scopesWith(true) },
        resources: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'string', pattern: '^[A-Za-z0-9_.*/-]{1,200}$' }, description: 'glob patterns (* matches any run of characters); absent: every resource' },
      },
    },
  ],
} as const;

const KEY_VIEW = {
  type: 'object',
  required: ['id', 'name', 'grants', 'created_at', 'created_by', 'expires_at', 'revoked_at', 'rotated_at', 'state'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    grants: { type: 'array', items: GRANT },
    created_at: { type: 'string', format: 'date-time' },
    created_by: { type: 'string' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    revoked_at: { type: ['string', 'null'], format: 'date-time' },
    rotated_at: { type: ['string', 'null'], format: 'date-time' },
    state: { type: 'string', enum: ['active', 'expired', 'revoked'] },
  },
} as const;

const WITH_TOKEN = {
  type: 'object',
  required: ['key', 'token'],
  properties: { key: KEY_VIEW, token: { type: 'string', description: 'the key as producers send it (Authorization: Bearer <token>); shown here once, never stored' } },
} as const;

const byId = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: KEY_ID } } } as const;

/**
 * The admin API of API keys (scope admin): create, list, read, rotate and revoke. A token is in the
 * answer that made it, and nowhere else; each change is logged with who made it.
 */
export async function keysRoutes(app: FastifyInstance, opts: KeysRoutesOptions): Promise<void> {
  const { keys } = opts;
  const actor = (request: FastifyRequest) => request.principal?.keyId ?? 'unknown';
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
  const logged = (request: FastifyRequest, action: string, target: string) => request.log.info({ actor: actor(request), action, target, remote: request.ip }, `API key ${action}`);

  app.get('/v1/keys', { config: admin, schema: { summary: 'API keys (never their secrets)', tags, response: { 200: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: KEY_VIEW } } } } } }, async () => ({
    keys: keys.list(),
  }));

  app.post(
    '/v1/keys',
    {
      config: audited('key.create'),
      schema: {
        summary: 'Create an API key; its token is in this answer only',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'grants'],
          properties: {
            name: { type: 'string', pattern: '^[A-Za-z0-9 _.:@/-]{1,100}$' },
            grants: { type: 'array', minItems: 1, maxItems: 20, items: GRANT },
            expires_at: { type: 'string', format: 'date-time', description: 'when it stops working, in the future (400 otherwise); absent: never' },
          },
        },
        response: { 201: WITH_TOKEN, ...errorResponses(400, 413, 415) },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; grants: Array<{ scope: string; resources?: string[] }>; expires_at?: string };
      const created = await keys.create({ name: body.name, grants: body.grants, expiresAt: body.expires_at === undefined ? null : parseDateTime(body.expires_at) }, actor(request));
      logged(request, 'created', created.key.id);
      return noStore(reply).status(201).send(created);
    },
  );

  app.get('/v1/keys/:id', { config: admin, schema: { summary: 'One API key', tags, params: byId, response: { 200: KEY_VIEW, ...errorResponses(400, 404) } } }, async (request) =>
    keys.get((request.params as { id: string }).id),
  );

  app.post(
    '/v1/keys/:id/rotate',
    {
      config: audited('key.rotate'),
      schema: {
        summary: 'A new secret for a key (same id and grants); the old one works for the grace period',
        tags,
        params: byId,
        body: { type: 'object', additionalProperties: false, properties: { grace: { type: 'string', pattern: DURATION_PATTERN, default: '0s', description: 'how long the old secret keeps working: 0s (not at all) to 7d' } } },
        response: { 200: WITH_TOKEN, ...errorResponses(400, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const grace = parseDuration((request.body as { grace?: string } | undefined)?.grace ?? '0s');
      const rotated = await keys.rotate(id, grace);
      logged(request, 'rotated', id);
      return noStore(reply).send(rotated);
    },
  );

  app.delete('/v1/keys/:id', { config: audited('key.revoke'), schema: { summary: 'Revoke an API key, on every node', tags, params: byId, response: { 200: KEY_VIEW, ...errorResponses(400, 404) } } }, async (request) => {
    const { id } = request.params as { id: string };
    const revoked = await keys.revoke(id);
    logged(request, 'revoked', id);
    return revoked;
  });
}
