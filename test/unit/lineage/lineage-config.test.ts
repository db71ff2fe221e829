import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../../src/config/config.js';
import { createLineageSinks } from '../../../src/lineage/lineage-sinks.js';

it('has lineage defaults that send nothing', () => {
  const c = buildConfig({});
  assert.deepEqual(c.lineage, { namespace: 'sightline', intervalMs: 60_000, maxQueue: 1000 });
  assert.deepEqual(createLineageSinks(c.lineage, pino({ level: 'silent' })), []);
});

it('reads the HTTP and file transports; a relative file is inside the data folder', () => {
  const c = buildConfig(
    { dataDir: 'data', lineage: { namespace: 'prod', interval: '30s', http: { url: 'http://marquez:5000/api/v1/lineage', apiKey: 'k', timeout: '2s' }, file: 'lineage.ndjson' } },
    '/etc/sightline',
  );
  assert.deepEqual(c.lineage, {
    namespace: 'prod',
    intervalMs: 30_000,
    maxQueue: 1000,
    http: { url: 'http://marquez:5000/api/v1/lineage', apiKey: 'k', timeoutMs: 2000, retries: 5 },
    file: join('/etc/sightline/data', 'lineage.ndjson'),
  });
  assert.deepEqual(createLineageSinks(c.lineage, pino({ level: 'silent' })).map((s) => s.name), ['http', 'file']);
  assert.equal(buildConfig({ lineage: { file: '/var/log/ol.ndjson' } }).lineage.file, '/var/log/ol.ndjson');
});

it('refuses a lineage section it does not understand', () => {
  assert.throws(() => buildConfig({ lineage: { http: { url: 'marquez:5000' } } }), /SL_CONFIG_INVALID|configuration is invalid/);
  assert.throws(() => buildConfig({ lineage: { transport: 'kafka' } }), /configuration is invalid/);
});
