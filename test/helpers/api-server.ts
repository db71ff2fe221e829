import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Metrics } from '../../src/observe/metrics.js';
import { Tracing } from '../../src/observe/tracing.js';
import type { AccessOptions } from '../../src/serve/access.js';
import type { ListenOptions } from '../../src/serve/api-options.js';
import { createApiServer } from '../../src/serve/server.js';

/** No key is valid: with `required: false` (loopback's default) every request acts as the local user. */
export const NO_KEYS: AccessOptions['keys'] = { authenticate: () => ({ failure: 'SL_AUTH_INVALID' }), authenticateBasic: () => ({ failure: 'SL_AUTH_INVALID' }) };

/** The platform's API server with no routes yet, silent, untraced, on loopback's defaults. */
export function testApiServer(metrics = new Metrics(), listen: Partial<ListenOptions> = {}, access: AccessOptions = { keys: NO_KEYS, required: false }): Promise<FastifyInstance> {
  return createApiServer({
    logger: pino({ level: 'silent' }),
    metrics,
    tracing: new Tracing({ enabled: false, sampleRatio: 1, version: 'test' }),
    version: 'test',
    listen: { host: '127.0.0.1', port: 0, allowedHosts: [], cors: { origins: [] }, requestTimeoutMs: 60_000, ...listen },
    access,
  });
}
