import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, runCli, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

const PAGE_VIEW_CONTRACT = fileURLToPath(new URL('../../../examples/contracts/web.page_view.json', import.meta.url));

/** `sightline dlq list|show|replay` against a running `sightline up`: an operator's round trip after a bad deploy. */
describe('sightline dlq', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  const cli = (...args: string[]) => runCli(['dlq', ...args, '--url', platform.url]);
  const now = Date.now();
  const view = (id: string, payload: Record<string, unknown>) => ({ id, source: 'web', type: 'page_view', timestamp: now, payload });

  before(async () => {
    tmp = await tempDir();
    const config = join(tmp.dir, 'sightline.yaml');
    await writeFile(config, `probe:\n  interval: 0\n`);
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data'), '--config', config]);
    const registered = await runCli(['schema', 'register', 'web.page_view', PAGE_VIEW_CONTRACT, '--url', platform.url]);
    assert.equal(registered.code, 0, registered.stderr);
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.stop();
    await tmp.cleanup();
  });

  it('lists, shows and replays after the contract is fixed; a second replay is skipped; exit 1 while some fail', async () => {
    // A producer ships page views with a numeric page id; the contract wants a path.
    const r = await postEvents(platform.url, [view('p1', { user_id: 'u1', page: 7 }), view('p2', { user_id: 'u2', page: 8 }), view('ok', { user_id: 'u3', page: '/' })]);
    assert.equal(r.body.accepted, 1);
    await waitForBacklogZero(platform.url);

    const list = await cli('list', '--code', 'SL_CONTRACT_VIOLATION');
    assert.equal(list.code, 0, list.stderr);
    const ids = [...list.stdout.matchAll(/^(\d+-\d+) /gm)].map((m) => m[1]!);
    assert.equal(ids.length, 2, list.stdout);
    assert.match(list.stdout, /ingest +SL_CONTRACT_VIOLATION  web\.page_view  p2/);
    assert.match(list.stdout, /payload\/page must be string/);

    const shown = await cli('show', ids[1]!);
    assert.equal(shown.code, 0, shown.stderr);
    const doc = JSON.parse(shown.stdout);
    assert.deepEqual(doc.original, view('p1', { user_id: 'u1', page: 7 }));
    assert.deepEqual(doc.schema, { subject: 'web.page_view', version: 1, id: 1 });

    // Still broken: every replay fails again, with the reason, and the exit code says so.
    const early = await cli('replay', '--code', 'SL_CONTRACT_VIOLATION', '--quiet');
    assert.equal(early.code, 1);
    assert.match(early.stdout, /replayed 0, duplicates 0 \(stored already\), failed again 2/);
    assert.match(early.stdout, /SL_CONTRACT_VIOLATION/);

    // The fix: the page may be a path or a number (a compatible widening).
    const contract = JSON.parse(await (await import('node:fs/promises')).readFile(PAGE_VIEW_CONTRACT, 'utf8'));
    const fixed = join(tmp.dir, 'fixed.json');
    await writeFile(fixed, JSON.stringify({ ...contract, properties: { ...contract.properties, page: { type: ['string', 'integer'] } } }));
    const register = await runCli(['schema', 'register', 'web.page_view', fixed, '--url', platform.url]);
    assert.equal(register.code, 0, register.stderr);

    const replay = await cli('replay', '--code', 'SL_CONTRACT_VIOLATION');
    assert.equal(replay.code, 0, replay.stdout + replay.stderr);
    assert.match(replay.stdout, /replayed 2, duplicates 0 \(stored already\), failed again 0/);
    assert.match(replay.stderr, /replay \[#+\] 2\/2/);
    const status = (await (await fetch(`${platform.url}/v1/status`)).json()) as any;
    assert.equal(status.hot_store.tables.find((t: any) => t.table === 'events').rows, 3);

    // Nothing left to replay by filter; by id it is skipped, and forced it is a duplicate.
    const none = await cli('replay', '--code', 'SL_CONTRACT_VIOLATION', '--dry-run');
    assert.match(none.stdout, /^0 dead letters would be replayed/);
    const forced = await cli('replay', ids[0]!, '--include-replayed', '--quiet');
    assert.equal(forced.code, 0);
    assert.match(forced.stdout, /replayed 0, duplicates 1/);
    const listed = await cli('list', '--json');
    assert.deepEqual(JSON.parse(listed.stdout).map((e: any) => e.replay?.outcome).sort(), ['duplicate', 'replayed']);

    const usage = await cli('replay');
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /SL_CLI_USAGE/);
  });
});
