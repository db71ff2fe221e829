import type { FastifyInstance } from 'fastify';
import type { AlertEngine } from '../../alerts/alert-engine.js';
import { ALERT_STATES, type AlertState } from '../../core/ports/alert-sink.js';
import { errorResponses } from '../errors.js';

export interface AlertRoutesOptions {
  engine: Pick<AlertEngine, 'list'>;
}

const labelsSchema = { type: 'object', additionalProperties: { type: 'string' } } as const;

const ALERT_SCHEMA = {
  type: 'object',
  required: ['labels', 'annotations', 'state', 'activeAt', 'startsAt', 'endsAt', 'value', 'fingerprint'],
  properties: {
    labels: labelsSchema,
    annotations: labelsSchema,
    state: { enum: [...ALERT_STATES] },
    activeAt: { type: 'string', description: 'When the condition became true (ISO 8601)' },
    startsAt: { type: ['string', 'null'], description: 'When the alert began firing' },
    endsAt: { type: ['string', 'null'], description: 'When the alert resolved' },
    value: { type: 'number', description: 'The measured value that broke the threshold' },
    fingerprint: { type: 'string', description: "Prometheus's fingerprint of the labels" },
  },
} as const;

/** The alert engine's alerts (docs/alerts.md), in the states Prometheus gives them. */
export async function alertRoutes(app: FastifyInstance, opts: AlertRoutesOptions): Promise<void> {
  app.get(
    '/v1/alerts',
    {
      config: { access: { scope: 'ops:read' } },
      schema: {
        summary: 'Alerts raised by the alert engine: pending, firing and recently resolved',
        tags: ['operations'],
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: [...ALERT_STATES] },
            alertname: { type: 'string' },
          },
        },
        response: { 200: { type: 'object', required: ['alerts'], properties: { alerts: { type: 'array', items: ALERT_SCHEMA } } }, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { state, alertname } = request.query as { state?: string; alertname?: string };
      return { alerts: opts.engine.list({ state: state as AlertState | undefined, alertname }) };
    },
  );
}
