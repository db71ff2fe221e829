import fastifyAuth from '@fastify/auth';
import fastifyBasicAuth from '@fastify/basic-auth';
import fastifyBearerAuth from '@fastify/bearer-auth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Authentication, LOCAL_PRINCIPAL, type Principal } from '../auth/key-store.js';
import { allows, holdsScope, type Scope, SCOPES } from '../auth/scopes.js';
import { type ErrorCode, SightlineError } from '../core/errors.js';
import { type AuditSink, traceIdOf } from './audit-trail.js';
import { errorResponses } from './errors.js';

/**
 * What a route lets through: every route declares it (a route without one fails at start), so no
 * surface added later can forget. `public` is for what a load balancer or a browser needs before
 * it holds a key: health, readiness, the OpenAPI document, the dashboard's page (not its data).
 */
export type RouteAccess =
  | 'public'
  /** Public, but a caller with a valid key (or the local user) is identified: the answer may hold more for it (the OpenAPI document's pipes). */
  | 'identified'
  | {
      scope: Scope;
      /** The resource the request touches, from its path or query (a subject, a dataset); undefined: every resource. */
      resource?: (request: FastifyRequest) => string | undefined;
      /** Also take HTTP Basic (key id and secret), as Confluent's registry clients send. */
      basic?: boolean;
      /** The body names the resources (an ingest batch's subjects): the handler checks each with requireResource. */
      resourcesInBody?: boolean;
      /** The answer holds only the resources the key may read (a catalog's listing): the scope on any resource lets it in. */
      filtersResources?: boolean;
    };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyInstance {
    /** Where access control records refusals, for requireResource too. */
    accessAudit: AuditSink | undefined;
  }
  interface FastifyRequest {
    /** Who the request acts as, once access control let it through. */
    principal?: Principal;
    /** Why the presented credentials were refused. */
    authFailure?: ErrorCode;
  }
}

/** Whether a route takes requests without a key (it may still identify one that comes with it). */
export const takesNoKey = (access: RouteAccess | undefined): access is 'public' | 'identified' => access === 'public' || access === 'identified';

/** Who a request's change is recorded as: its key id, or `local` for the loopback user. */
export const actorOf = (request: FastifyRequest): string => request.principal?.keyId ?? 'local';

/** What checks credentials: the key store. */
export interface Authenticator {
  authenticate(token: string): Authentication;
  authenticateBasic(user: string, password: string): Authentication;
}

export interface AccessOptions {
  keys: Authenticator;
  /** Refused credentials and scopes are recorded here (rate-limited per address and code). */
  audit?: AuditSink;
  /** False only where the API listens on loopback only: a request without credentials acts as LOCAL_PRINCIPAL. */
  required: boolean;
}

const HOW = 'send an API key as "Authorization: Bearer <key>" (sightline keys create, or the admin key printed at first start; the CLI reads SIGHTLINE_KEY)';

/**
 * Access control for every route: credentials parsed by @fastify/bearer-auth and
 * @fastify/basic-auth under @fastify/auth, checked against the key store, then the route's scope
 * (and resource) against the key's grants. 401 and 403 carry a code; failures are logged with the
 * key id (never the secret) and the caller's address.
 */
export async function accessControl(app: FastifyInstance, options: AccessOptions): Promise<void> {
  app.decorate('accessAudit', options.audit);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.access)`);
    if (takesNoKey(access) || !route.schema) return;
    // The OpenAPI document says which credentials each route takes and documents its 401 and 403.
    const response = (route.schema.response ?? {}) as Record<number, unknown>;
    const kind = SCOPES[access.scope].resource;
    const needs = `Needs scope \`${access.scope}\`${access.filtersResources ? ` on any ${kind}; the answer holds only the ${kind}s the key may read` : kind && !access.resourcesInBody ? ` on the ${kind} it names (a key limited to some ${kind}s may not ask for all)` : kind ? ` on the ${kind} of every event it sends` : ''}.`;
    route.schema = {
      ...route.schema,
      description: route.schema.description ? `${route.schema.description} ${needs}` : needs,
      security: access.basic ? [{ bearer: [] }, { basic: [] }] : [{ bearer: [] }],
      response: { ...errorResponses(401, 403), ...response },
    };
  });
  const settle = (request: FastifyRequest, outcome: Authentication): boolean => {
    if ('principal' in outcome) request.principal = outcome.principal;
    else request.authFailure = outcome.failure;
    return 'principal' in outcome;
  };
  await app.register(fastifyAuth);
  await app.register(fastifyBearerAuth, { addHook: false, keys: [], verifyErrorLogLevel: 'debug', auth: (key: string, request: FastifyRequest) => settle(request, options.keys.authenticate(key)) });
  await app.register(fastifyBasicAuth, {
    authenticate: false,
    validate: async (user: string, password: string, request: FastifyRequest) => {
      if (!settle(request, options.keys.authenticateBasic(user, password))) throw new Error('refused');
    },
  });
  const bearerOnly = app.auth([app.verifyBearerAuth!]);
  const bearerOrBasic = app.auth([app.verifyBearerAuth!, app.basicAuth]);

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    // Undefined: no route matched (the 404 and 405 answers), which hold nothing to protect.
    if (access === undefined || access === 'public') return;
    if (access === 'identified') {
      // Credentials that do not check leave the caller anonymous: the route answers anyone.
      if (request.headers.authorization === undefined) request.principal = options.required ? undefined : LOCAL_PRINCIPAL;
      else await new Promise<unknown>((resolve) => bearerOnly.call(app, request, reply, resolve));
      return;
    }
    if (request.headers.authorization === undefined) {
      if (!options.required) request.principal = LOCAL_PRINCIPAL;
      else throw refused(request, reply, 'SL_AUTH_MISSING', access.basic === true, options.audit);
    } else {
      const verify = access.basic ? bearerOrBasic : bearerOnly;
      const failed = await new Promise<unknown>((resolve) => verify.call(app, request, reply, resolve));
      if (failed || !request.principal) throw refused(request, reply, request.authFailure ?? 'SL_AUTH_INVALID', access.basic === true, options.audit);
    }
    const resource = access.resource?.(request);
    if (access.resourcesInBody || access.filtersResources ? !holdsScope(request.principal!.grants, access.scope) : !allows(request.principal!.grants, access.scope, resource)) {
      request.log.warn({ key: request.principal!.keyId, scope: access.scope, resource, remote: request.ip, route: request.routeOptions.url }, 'request refused: key lacks scope');
      recordForbidden(request, access.scope, resource, options.audit);
      const on = resource === undefined ? (SCOPES[access.scope].resource ? ` on every ${SCOPES[access.scope].resource}` : '') : ` on "${resource}"`;
      throw new SightlineError('SL_AUTH_FORBIDDEN', `key ${request.principal!.keyId} lacks scope ${access.scope}${on}`);
    }
  });
}

/** Whether the request's key holds a scope only on some resources, so each one the body names needs requireResource. */
export function limitedTo(request: FastifyRequest, scope: Scope): boolean {
  const principal = request.principal;
  return principal !== undefined && !allows(principal.grants, scope) && holdsScope(principal.grants, scope);
}

/**
 * Checks a resource that only the body names (the subjects of an ingest batch), after the route's
 * scope was checked on the request.
 */
export function requireResource(request: FastifyRequest, scope: Scope, resource: string): void {
  const principal = request.principal;
  if (principal && allows(principal.grants, scope, resource)) return;
  request.log.warn({ key: principal?.keyId, scope, resource, remote: request.ip, route: request.routeOptions.url }, 'request refused: key lacks scope');
  recordForbidden(request, scope, resource, request.server.accessAudit);
  throw new SightlineError('SL_AUTH_FORBIDDEN', `key ${principal?.keyId ?? '(none)'} lacks scope ${scope} on "${resource}"`);
}

/** A valid key refused for its scope: on the audit log. */
function recordForbidden(request: FastifyRequest, scope: Scope, resource: string | undefined, audit: AuditSink | undefined): void {
  recordRefusal(request, audit, 'auth.forbidden', request.principal?.keyId, { code: 'SL_AUTH_FORBIDDEN', scope, ...(resource !== undefined && { resource }) });
}

/** A refusal on the audit log, without waiting for it (refusals are rate-limited there). */
function recordRefusal(request: FastifyRequest, audit: AuditSink | undefined, action: 'auth.failed' | 'auth.forbidden', actor: string | undefined, detail: Record<string, string>): void {
  void audit
    ?.recordRefusal({
      actor: actor ?? 'unknown',
      action,
      target: `${request.method} ${request.routeOptions.url ?? request.url}`,
      outcome: 'refused',
      source: request.ip,
      trace_id: traceIdOf(request),
      detail,
    })
    .catch((err: unknown) => request.log.error({ err }, 'a refusal could not be written to the audit log'));
}

function refused(request: FastifyRequest, reply: FastifyReply, code: ErrorCode, basic: boolean, audit: AuditSink | undefined): SightlineError {
  const messages: Partial<Record<ErrorCode, string>> = {
    SL_AUTH_MISSING: `this route needs an API key: ${HOW}`,
    SL_AUTH_INVALID: `the credentials are not a valid API key (malformed, unknown, or a wrong secret): ${HOW}`,
    SL_AUTH_EXPIRED: 'the API key has expired: rotate it (sightline keys rotate) or create another',
    SL_AUTH_REVOKED: 'the API key was revoked (or rotated, and its old secret is no longer accepted)',
  };
  const key = keyIdOf(request.headers.authorization);
  request.log.warn({ code, key, remote: request.ip, route: request.routeOptions.url }, 'authentication failed');
  recordRefusal(request, audit, 'auth.failed', key, { code });
  void reply.header('www-authenticate', basic ? 'Bearer realm="sightline", Basic realm="sightline"' : 'Bearer realm="sightline"');
  return new SightlineError(code, messages[code] ?? code);
}

/** The key id a bearer token names, for the log: never the secret. */
function keyIdOf(header: string | undefined): string | undefined {
  return /^Bearer slk_([0-9a-f]{16})_/.exec(header ?? '')?.[1];
}
