import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildConfig, loadConfigFile } from '../../../src/config/config.js';
import { parseDuration } from '../../../src/core/duration.js';
import { SightlineError } from '../../../src/core/errors.js';
import { tempDir } from '../../helpers/tmp.js';

describe('config', () => {
  it('fills every default from an empty document', () => {
    const c = buildConfig({}, '/base');
    assert.equal(c.dataDir, join(process.cwd(), 'sightline-data'), 'the default data folder is relative to the working directory');
    assert.equal(c.server.port, 8080);
    assert.equal(c.process.dedupWindowMs, 300_000);
    assert.deepEqual(c.aggregations.map((a) => [a.name, a.groupField, a.windows.map((w) => w.ms)]), [['page-views', 'page', [60_000, 300_000]]]);
  });

  it('fails fast with the path of every problem', () => {
    assert.throws(
      () => buildConfig({ server: { port: 'eighty' }, process: { dedupWindow: '5 minutes' }, nope: 1 }),
      (err: unknown) =>
        err instanceof SightlineError &&
        err.code === 'SL_CONFIG_INVALID' &&
        /\/server\/port/.test(err.message) &&
        /\/process\/dedupWindow/.test(err.message) &&
        /\/nope is not a setting \(the settings here: dataDir, server, /.test(err.message),
    );
    assert.throws(() => buildConfig({ ingest: { maxEventBytes: 4_150_000 } }), /must be at least 64 KiB below log.maxRecordBytes/);
    assert.throws(() => buildConfig({ aggregations: [{ name: 'a', groupBy: 'payload.x', windows: ['1m'] }, { name: 'a', groupBy: 'payload.y', windows: ['1m'] }] }), /declared twice/);
  });

  it('reads YAML and resolves paths against the file', async () => {
    const { dir, cleanup } = await tempDir();
    const file = join(dir, 'sightline.yaml');
    await writeFile(file, 'dataDir: ./d\nenrichment:\n  referenceData:\n    path: users.csv\nprocess:\n  allowedLateness: 30s\n');
    const c = await loadConfigFile(file, { server: { port: 9999 } });
    assert.equal(c.dataDir, join(dir, 'd'));
    assert.equal(c.enrichment.referenceData?.path, join(dir, 'users.csv'));
    assert.equal(c.enrichment.referenceData?.format, 'csv');
    assert.deepEqual(c.enrichment.referenceData?.joinOn, ['payload', 'user_id']);
    assert.equal(c.process.allowedLatenessMs, 30_000);
    assert.equal(c.server.port, 9999);
    await writeFile(file, 'server: [unclosed');
    await assert.rejects(loadConfigFile(file), /not valid YAML/);
    await cleanup();
  });

  it('resolves the object store and the lifecycle, and refuses a tier folder inside a table', () => {
    const c = buildConfig(
      {
        cold: { objectStore: { bucket: 'lake', prefix: 'sightline', endpoint: 'https://s3.internal:9000/', secretAccessKeyFile: 'secret', caFile: 'ca.pem', accessKeyId: 'serve' } },
        lifecycle: { interval: '10m', tables: { events: { hotRetention: '7d', compactBelow: '32MiB', compactMinFiles: 4 } } },
      },
      '/base',
    );
    assert.deepEqual(c.cold.objectStore, { bucket: 'lake', prefix: 'sightline/', endpoint: 'https://s3.internal:9000', accessKeyId: 'serve', secretAccessKeyPath: '/base/secret', caPath: '/base/ca.pem' });
    assert.equal(c.lifecycle.intervalMs, 600_000);
    assert.deepEqual(c.lifecycle.tables.events, { hotRetentionMs: 7 * 86_400_000, compactBelowBytes: 32 * 1024 * 1024, compactMinFiles: 4 });
    assert.deepEqual(buildConfig({}).lifecycle.tables['*'], { compactBelowBytes: 32 * 1024 * 1024, compactMinFiles: 8 });
    assert.throws(() => buildConfig({ lifecycle: { tier: { prefix: 'events/old/' } } }), /inside the folder of a table/);
    assert.throws(() => buildConfig({ cold: { objectStore: { bucket: 'Not_A_Bucket' } } }), /objectStore\/bucket/);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.equal(parseDuration(42), 42);
    assert.throws(() => parseDuration('1 week'));
  });
});
