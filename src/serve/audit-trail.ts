import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditAction, AuditFacts } from '../audit/audit-entry.js';

/** Where the API's audit entries go: the audit log. */
export interface AuditSink {
  record(facts: AuditFacts): Promise<unknown>;
  recordRefusal(facts: AuditFacts): Promise<void>;
}

/** A sensitive route's entry: the action, and what it acted on (by default the subject or id of its path). */
export interface RouteAudit {
  action: AuditAction;
  target?: (request: FastifyRequest, payload: unknown) => string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    audit?: RouteAudit;
  }
}

/** The trace a request belongs to: its server span's, or the caller's traceparent where tracing is off. */
export function traceIdOf(request: FastifyRequest): string | null {
  const fromSpan = request.traceSpan?.spanContext().traceId;
  if (fromSpan) return fromSpan;
  const header = request.headers.traceparent;
  return (typeof header === 'string' ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(header)?.[1] : undefined) ?? null;
}

/**
 * Writes an audit entry for every request to a route that declares `config.audit`, after its
 * handler and before its answer is sent, so that an action reported done is on record (refused
 * credentials are recorded by access control). No body or value goes in: the actor's key id, the
 * action, its target, the outcome and status, the caller's address and the trace id.
 */
export function auditTrail(app: FastifyInstance, sink: AuditSink): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const audit = request.routeOptions.config.audit;
    if (!audit || reply.statusCode === 401 || reply.statusCode === 403) return payload;
    const params = request.params as { subject?: string; id?: string } | undefined;
    let target = params?.subject ?? params?.id ?? request.routeOptions.url ?? request.url;
    try {
      if (audit.target) target = audit.target(request, typeof payload === 'string' ? JSON.parse(payload) : undefined);
    } catch {
      // an answer that is not JSON (an error page) keeps the default target
    }
    const code = reply.statusCode >= 400 && typeof payload === 'string' ? /"code":"(SL_[A-Z_]+)"/.exec(payload)?.[1] : undefined;
    try {
      await sink.record({
        actor: request.principal?.keyId ?? 'unknown',
        action: audit.action,
        target,
        outcome: reply.statusCode < 400 ? 'ok' : 'failed',
        source: request.ip,
        trace_id: traceIdOf(request),
        detail: { status: reply.statusCode, ...(code && { code }) },
      });
    } catch (err) {
      request.log.error({ err, action: audit.action, target }, 'the audit entry of this request could not be written');
    }
    return payload;
  });
}
