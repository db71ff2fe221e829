import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type ErrorCode, SightlineError } from '../core/errors.js';
import { hostCheck } from './allowed-hosts.js';
import type { ListenOptions } from './api-options.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Media types the route takes a body in; application/json when not given. */
    bodyTypes?: readonly string[];
    /** The code a body of another type is refused with; SL_API_UNSUPPORTED_MEDIA_TYPE when not given. */
    bodyTypeError?: ErrorCode;
  }
}

const JSON_ONLY = ['application/json'] as const;

/** The media type of a Content-Type header, without parameters, lower-cased; '' when there is none. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * What keeps a web page on another site from using the API through its visitor's browser:
 * - a body must come in a type the route declares (JSON by default). The types a page can send
 *   anywhere without a CORS preflight (form, multipart, text/plain, none) are never among them,
 *   so a forged cross-site request cannot change state;
 * - the Host header must name this server (server.allowedHosts), against DNS rebinding;
 * - CORS answers only the configured origins (none by default);
 * - security headers on every response (CSP, frame-ancestors, nosniff), for the /ui page above all.
 */
export async function browserGuards(app: FastifyInstance, options: ListenOptions): Promise<void> {
  const hostAllowed = hostCheck(options.host, options.allowedHosts);
  if (hostAllowed) {
    app.addHook('onRequest', async (request) => {
      if (!hostAllowed(request.headers.host)) {
        request.log.warn({ host: request.headers.host }, 'request for a host this server does not answer for refused');
        throw new SightlineError('SL_API_HOST_NOT_ALLOWED', `this server does not answer for the host "${request.headers.host}": add its name to server.allowedHosts`);
      }
    });
  }
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.is404 || !hasBody(request)) return;
    const accepted = request.routeOptions.config.bodyTypes ?? JSON_ONLY;
    const type = mediaType(request.headers['content-type']);
    if (accepted.includes(type)) return;
    throw new SightlineError(
      request.routeOptions.config.bodyTypeError ?? 'SL_API_UNSUPPORTED_MEDIA_TYPE',
      `a body of type "${type || '(none)'}" is not taken here: send ${accepted.join(' or ')}`,
    );
  });
  if (options.cors.origins.length > 0) {
    await app.register(cors, {
      origin: options.cors.origins.includes('*') ? '*' : options.cors.origins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['content-type', 'content-encoding', 'authorization', 'traceparent', 'tracestate'],
      exposedHeaders: ['retry-after', 'traceparent'],
      maxAge: 600,
    });
  }
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    // Plain HTTP until TLS is configured; a browser ignores HSTS over HTTP, and a long max-age
    // would outlive a switch back.
    strictTransportSecurity: false,
  });
}
