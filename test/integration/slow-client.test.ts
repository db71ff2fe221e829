import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { getJson } from '../helpers/events.js';
import { useInProcessPlatform } from '../helpers/in-process-platform.js';

/**
 * A client that trickles its request (slowloris) holds a socket only until server.requestTimeout,
 * then gets 408 SL_API_REQUEST_TIMEOUT and a closed connection; other clients are served all along.
 */
describe('a slow client', () => {
  const platform = useInProcessPlatform({ server: { port: 0, requestTimeout: '1s' } });

  it('is answered 408 once its request has not arrived whole within server.requestTimeout', async () => {
    const { hostname, port } = new URL(platform().url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write('POST /v1/events HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[');
      });
      // A byte every 200 ms: never idle long, never done.
      const trickle = setInterval(() => socket.writable && socket.write(' '), 200);
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        clearInterval(trickle);
        resolve(Buffer.concat(chunks).toString());
      });
    });
    const tookMs = Date.now() - started;
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.match(answer, /"code":"SL_API_REQUEST_TIMEOUT"/);
    assert.ok(tookMs >= 1000 && tookMs < 10_000, `closed after ${tookMs} ms`);
    assert.equal((await getJson(`${platform().url}/healthz`)).status, 200);
  });
});
