import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { DeadLetterIndex, DeadLetterQuery } from '../../../src/core/ports/dead-letter-index.js';
import type { DeadLetterReplayer } from '../../../src/dlq/replay.js';
import { dlqRoutes } from '../../../src/serve/routes/dlq.js';
import { testApiServer } from '../../helpers/api-server.js';

describe('request validation', () => {
  let app: FastifyInstance;
  const queries: DeadLetterQuery[] = [];
  const replays: Array<{ ids: readonly string[]; options: unknown }> = [];

  before(async () => {
    app = await testApiServer();
    const hot = {
      deadLetters: async (q: DeadLetterQuery) => {
        queries.push(q);
        return [];
      },
      deadLetter: async () => undefined,
    } as unknown as DeadLetterIndex;
    const replayer = {
      replay: async (ids: readonly string[], options: unknown) => {
        replays.push({ ids, options });
        return { results: [], replayed: 0, duplicates: 0, failed: 0, skipped: 0, notFound: ids.length, settled: true };
      },
    } as unknown as DeadLetterReplayer;
    await app.register(dlqRoutes, { hot, replayer, defaultLimit: 100, maxLimit: 1000 });
    await app.ready();
  });
  after(() => app.close());

  it('a JSON body is taken as sent: null is not false, a number is not a string', async () => {
    for (const [body, field] of [
      [{ ids: ['0-1'], include_replayed: null }, 'include_replayed'],
      [{ ids: ['0-1'], wait_ms: null }, 'wait_ms'],
      [{ ids: ['0-1'], wait_ms: '100' }, 'wait_ms'],
      [{ ids: ['0-1'], include_replayed: 'true' }, 'include_replayed'],
      [{ ids: [1] }, 'ids/0'],
    ] as const) {
      const r = await app.inject({ method: 'POST', url: '/v1/dlq/replay', payload: body });
      assert.equal(r.statusCode, 400, JSON.stringify(body));
      assert.equal(r.json().code, 'SL_API_BAD_REQUEST');
      assert.match(r.json().message, new RegExp(`body/${field}`));
    }
    assert.equal(replays.length, 0);
    const r = await app.inject({ method: 'POST', url: '/v1/dlq/replay', payload: { ids: ['0-1'], include_replayed: true, wait_ms: 100 } });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(replays, [{ ids: ['0-1'], options: { includeReplayed: true, waitMs: 100 } }]);
  });

  it('query strings are text read as the types their schema asks for', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/dlq?limit=5&replayed=false' });
    assert.equal(r.statusCode, 200);
    assert.equal(queries.at(-1)?.limit, 6);
    assert.equal(queries.at(-1)?.replayed, false);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/dlq?limit=five' })).statusCode, 400);
  });
});
