import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SightlineError } from '../core/errors.js';

/**
 * A request no route takes: 405 with `Allow` when the path exists under other methods, else 404,
 * both in the API's {code, message}. Answered as the request arrives (an onRequest hook), so a
 * body the route would never read is neither parsed nor refused first; call it after the hooks
 * that count and trace requests, so these are counted and traced too.
 */
export function answerUnroutedRequests(app: FastifyInstance): void {
  // Every method some route takes (Fastify adds HEAD to each GET route); a wrong one is looked up
  // under each of them with the router's own matching, so the answer follows the real routes.
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
  });
  const answer = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0]!;
    const routes = [...methods].map((method) => ({ method, route: routeFor(app, method, path) }));
    // A catch-all route (`*`, as a CORS preflight handler registers) makes no path exist, but it
    // does answer its method on a path that exists.
    const allowed = routes.some((r) => r.route === 'specific') ? routes.filter((r) => r.route !== null).map((r) => r.method).sort() : [];
    if (allowed.length === 0) {
      const err = new SightlineError('SL_API_NOT_FOUND', `no route ${request.method} ${path}`);
      return reply.status(err.status).send(err.toBody());
    }
    const err = new SightlineError('SL_API_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`);
    return reply.status(err.status).header('allow', allowed.join(', ')).send(err.toBody());
  };
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return answer(request, reply);
  });
  app.setNotFoundHandler(answer);
}

/** Which route of this method takes the path: one made for it, a catch-all (`*`), or none. */
function routeFor(app: FastifyInstance, method: string, path: string): 'specific' | 'catch-all' | null {
  const found = app.findRoute({ method: method as 'GET', url: path });
  if (found === null) return null;
  return Object.hasOwn(found.params ?? {}, '*') ? 'catch-all' : 'specific';
}
