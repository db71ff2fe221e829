import { context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import { SpanKind, type Tracing } from '../observe/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    traceSpan: Span | null;
  }
}

/**
 * A server span per API request, continuing the caller's `traceparent`. The handler runs with
 * it active, so the spans and log lines of the work it does join the same trace.
 */
export function instrumentTracing(app: FastifyInstance, tracing: Tracing): void {
  if (!tracing.enabled) return;
  app.decorateRequest('traceSpan', null);
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.traceparent;
    const parent = tracing.extract(typeof header === 'string' ? header : undefined);
    const span = tracing.startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, {
      parent,
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0]!, 'http.route': request.routeOptions.url ?? '' },
    });
    request.traceSpan = span;
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = request.traceSpan;
    if (!span) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
