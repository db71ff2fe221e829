import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { pino } from 'pino';
import { componentLogger } from '../../../src/observe/logging.js';
import { activeTraceFields } from '../../../src/observe/tracing.js';

it('gives each component its own level over the root level, and no trace fields outside a span', () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const root = pino({ level: 'info', mixin: activeTraceFields }, sink);
  const process = componentLogger(root, 'process', { process: 'debug', cold: 'error' });
  const cold = componentLogger(root, 'cold', { process: 'debug', cold: 'error' });
  const ingest = componentLogger(root, 'ingest', { process: 'debug', cold: 'error' });
  process.debug('shown: process is at debug');
  cold.warn('hidden: cold is at error');
  ingest.debug('hidden: ingest follows the root level');
  ingest.info('shown');
  assert.deepEqual(
    lines.map((l) => [l.component, l.msg]),
    [
      ['process', 'shown: process is at debug'],
      ['ingest', 'shown'],
    ],
  );
  assert.ok(lines.every((l) => !('trace_id' in l)));
});
