import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SightlineError } from '../../../src/core/errors.js';
import { FileReferenceData } from '../../../src/process/reference/file-reference-data.js';
import { tempDir } from '../../helpers/tmp.js';

describe('file reference data', () => {
  it('loads CSV, reloads it when it changes, and keeps the old table through a broken edit', async () => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 'users.csv');
    await writeFile(path, 'user_id,plan,country\nu1,pro,DE\nu2,free,FR\n');
    const events: Array<{ rows: number; error?: string }> = [];
    const data = await FileReferenceData.open({ path, format: 'csv', key: 'user_id', reloadIntervalMs: 60_000, onReload: (i) => events.push(i) });
    assert.deepEqual(data.lookup('u1'), { plan: 'pro', country: 'DE' });
    assert.equal(data.lookup('u3'), undefined);

    await writeFile(path, 'user_id,plan,country\nu1,enterprise,DE\nu3,free,US\n');
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    await data.reload(false);
    assert.deepEqual(data.lookup('u1'), { plan: 'enterprise', country: 'DE' });
    assert.deepEqual(data.lookup('u3'), { plan: 'free', country: 'US' });
    assert.equal(data.lookup('u2'), undefined);

    await writeFile(path, 'plan,country\n"unclosed,DE\n');
    await utimes(path, new Date(), new Date(Date.now() + 10_000));
    await data.reload(false);
    assert.deepEqual(data.lookup('u1'), { plan: 'enterprise', country: 'DE' }, 'previous table kept');
    assert.match(data.info().lastError ?? '', /users\.csv/);
    assert.ok(events.some((e) => e.error));
    await data.close();
    await cleanup();
  });

  it('loads JSON as an array or a keyed object, and refuses a bad file at start', async () => {
    const { dir, cleanup } = await tempDir();
    const arr = join(dir, 'a.json');
    await writeFile(arr, JSON.stringify([{ user_id: 'u1', tier: 1 }, { user_id: 7, tier: 2 }]));
    const a = await FileReferenceData.open({ path: arr, format: 'json', key: 'user_id', reloadIntervalMs: 60_000 });
    assert.deepEqual(a.lookup('7'), { tier: 2 });
    await a.close();
    const obj = join(dir, 'o.json');
    await writeFile(obj, JSON.stringify({ u1: { tier: 3 } }));
    const o = await FileReferenceData.open({ path: obj, format: 'json', key: 'user_id', reloadIntervalMs: 60_000 });
    assert.deepEqual(o.lookup('u1'), { tier: 3 });
    await o.close();
    await writeFile(obj, '[1,2]');
    await assert.rejects(
      FileReferenceData.open({ path: obj, format: 'json', key: 'user_id', reloadIntervalMs: 60_000 }),
      (err: unknown) => err instanceof SightlineError && err.code === 'SL_REFERENCE_DATA_INVALID',
    );
    await cleanup();
  });
});
