import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SightlineError } from '../core/errors.js';

type RouteKind = 'static' | 'templated' | 'catch-all';

/**
 * A request no route takes: 405 with `Allow` when the path exists under other methods, else 404,
 * both in the API's {code, message}. Paths are read as the OpenAPI document reads them: a
 * concrete path (`/v1/dlq/replay`) is its own resource, not an instance of a templated one
 * (`/v1/dlq/{id}`), so GET on it is a 405 even though the router would hand it to GET
 * /v1/dlq/:id. Answered as the request arrives (an onRequest hook), so a body the route would
 * never read is neither parsed nor refused first; call it after the hooks that count and trace
 * requests, so these are counted and traced too.
 */
export function answerUnroutedRequests(app: FastifyInstance): void {
  // Every method some route takes (Fastify adds HEAD to each GET route); a path is looked up
  // under each of them with the router's own matching, so the answer follows the real routes.
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
  });
  const refuse = (request: FastifyRequest, reply: FastifyReply, path: string, allowed: string[]): FastifyReply => {
    if (allowed.length === 0) {
      const err = new SightlineError('SL_API_NOT_FOUND', `no route ${request.method} ${path}`);
      return reply.status(err.status).send(err.toBody());
    }
    const err = new SightlineError('SL_API_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`);
    return reply.status(err.status).header('allow', allowed.join(', ')).send(err.toBody());
  };
  app.addHook('onRequest', async (request, reply) => {
    const templated = !request.is404 && kindOf(request.params) === 'templated';
    if (!request.is404 && !templated) return;
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(app, methods, path);
    if (request.is404 || !allowed.includes(request.method)) return refuse(request, reply, path, allowed);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    return refuse(request, reply, path, allowedMethods(app, methods, path));
  });
}

/**
 * The methods that take a path: those of its concrete routes if it has any, else those of the
 * templated routes it matches; a catch-all route (`*`, as a CORS preflight handler registers)
 * makes no path exist, but answers its method on one that does.
 */
function allowedMethods(app: FastifyInstance, methods: ReadonlySet<string>, path: string): string[] {
  const routes: Array<[string, RouteKind]> = [];
  for (const method of methods) {
    const found = app.findRoute({ method: method as 'GET', url: path });
    if (found !== null) routes.push([method, kindOf(found.params)]);
  }
  const strongest = routes.some(([, kind]) => kind === 'static') ? 'static' : routes.some(([, kind]) => kind === 'templated') ? 'templated' : undefined;
  if (strongest === undefined) return [];
  return routes
    .filter(([, kind]) => kind === strongest || kind === 'catch-all')
    .map(([method]) => method)
    .sort();
}

function kindOf(params: unknown): RouteKind {
  const names = Object.keys((params ?? {}) as object);
  return names.includes('*') ? 'catch-all' : names.length > 0 ? 'templated' : 'static';
}
