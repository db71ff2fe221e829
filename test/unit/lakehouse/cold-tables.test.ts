import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ColdTables } from '../../../src/lakehouse/cold-tables.js';
import { LocalColdStore } from '../../../src/store/cold/local/local-cold-store.js';
import { tempDir } from '../../helpers/tmp.js';

describe('ColdTables', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let store: LocalColdStore;
  before(async () => {
    tmp = await tempDir();
    store = await LocalColdStore.open(tmp.dir);
  });
  after(async () => {
    store.close();
    await tmp.cleanup();
  });

  it('names every table apart in the catalog, even subjects whose catalog names would be the same', async () => {
    const tables = new ColdTables(store);
    const empty = () => ({ operation: 'append' as const, added: [], removed: new Set<string>(), summary: {} });
    for (const subject of ['web-app.click', 'web_app.click', 'web.page_view', 'a/b.c']) await tables.of('contracts', subject).commit(empty);
    await tables.of('events').commit(empty);
    const listed = await tables.list({ fresh: true });
    const names = [...listed.keys()];
    assert.equal(names[0], 'events');
    assert.ok(names.includes('events_web_page_view'));
    assert.ok(names.includes('events_a_b_c'), names.join(', '));
    const clicks = names.filter((n) => n.startsWith('events_web_app_click'));
    assert.equal(clicks.length, 2, names.join(', '));
    assert.ok(clicks.every((n) => /^events_web_app_click_[0-9a-f]{8}$/.test(n)), clicks.join(', '));
    assert.deepEqual(new Set(clicks.map((n) => listed.get(n)!.base)), new Set(['contracts/web-app.click', 'contracts/web_app.click']));
    // The housekeeping jobs and erasures see each table once, by folder.
    assert.equal((await tables.all()).length, 5);
  });
});
