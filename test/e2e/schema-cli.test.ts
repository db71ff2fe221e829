import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type PlatformProcess, runCli, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

const PAGE_VIEW_CONTRACT = fileURLToPath(new URL('../../../examples/contracts/web.page_view.json', import.meta.url));

/** `sightline schema …` against a running `sightline up`, as a CI pipeline would call it. */
describe('sightline schema', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  const cli = (...args: string[]) => runCli(['schema', ...args, '--url', platform.url]);

  before(async () => {
    tmp = await tempDir();
    platform = await startPlatformProcess(['--data', join(tmp.dir, 'data')]);
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.stop();
    await tmp.cleanup();
  });

  it('registers a schema, and says so when it is already registered', async () => {
    const first = await cli('register', 'web.page_view', PAGE_VIEW_CONTRACT);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /web.page_view: registered version 1 \(schema id 1, JSON\)/);
    const again = await cli('register', 'web.page_view', PAGE_VIEW_CONTRACT);
    assert.match(again.stdout, /web.page_view: already registered as version 1 \(schema id 1\)/);
    const avsc = join(tmp.dir, 'signup.avsc');
    await writeFile(avsc, JSON.stringify({ type: 'record', name: 'Signup', fields: [{ name: 'email', type: 'string' }] }));
    assert.match((await cli('register', 'app.signup', avsc)).stdout, /registered version 1 \(schema id 2, AVRO\)/);
  });

  it('checks a proposed schema for CI: exit 0 when compatible, 1 with the reasons when not', async () => {
    const doc = JSON.parse(await (await import('node:fs/promises')).readFile(PAGE_VIEW_CONTRACT, 'utf8'));
    const relaxed = join(tmp.dir, 'relaxed.json');
    await writeFile(relaxed, JSON.stringify({ ...doc, required: ['page'] }));
    const ok = await cli('check', 'web.page_view', relaxed);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /is compatible \(BACKWARD\)/);
    const breaking = join(tmp.dir, 'breaking.json');
    await writeFile(breaking, JSON.stringify({ ...doc, properties: { ...doc.properties, page: { type: 'integer' } } }));
    const bad = await cli('check', 'web.page_view', breaking);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /is NOT compatible \(BACKWARD\)/);
    assert.match(bad.stderr, /TYPE_CHANGED/);
    assert.match(bad.stderr, /#\/properties\/page/);
    const broken = join(tmp.dir, 'broken.json');
    await writeFile(broken, '{"type": ');
    const unparseable = await cli('check', 'web.page_view', broken);
    assert.equal(unparseable.code, 1);
    assert.match(unparseable.stderr, /not JSON/);
    assert.deepEqual((await runCli(['schema', 'list', '--url', platform.url, '--json'])).code, 0);
    // The registry finds anything compatible with a subject that has no versions: a misspelt
    // subject in CI must fail, not pass.
    const misspelt = await cli('check', 'web.page_veiw', relaxed);
    assert.equal(misspelt.code, 1, misspelt.stdout);
    assert.match(misspelt.stderr, /error SL_SCHEMA_SUBJECT_NOT_FOUND: web.page_veiw has no registered versions/);
  });

  it('shows, configures, deprecates and lists', async () => {
    assert.match((await cli('show', 'web.page_view')).stdout, /web.page_view version 1, schema id 1, JSON\n\{\n {2}"\$schema"/);
    assert.match((await cli('config', 'web.page_view')).stdout, /web.page_view: compatibility BACKWARD/);
    assert.match((await cli('config', 'web.page_view', '--set', 'full_transitive')).stdout, /compatibility FULL_TRANSITIVE/);
    const refused = await cli('config', 'web.page_view', '--set', 'sideways');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /error SL_SCHEMA_COMPATIBILITY_INVALID: Invalid compatibility level/);
    assert.match((await cli('deprecate', 'web.page_view', '1', '--sunset', '2030-01-01T00:00:00Z')).stdout, /deprecated; events naming it are refused from 2030-01-01T00:00:00.000Z/);
    const list = await cli('list');
    assert.match(list.stdout, /web.page_view \(FULL_TRANSITIVE\)\n {2}v1 {2}id 1 {2}JSON {2}deprecated, sunset 2030-01-01T00:00:00.000Z/);
    assert.match(list.stdout, /app.signup \(BACKWARD\)/);
    const missing = await cli('show', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error SL_SCHEMA_SUBJECT_NOT_FOUND: Subject 'nope' not found./);
  });

  it('fails clearly when the platform cannot be reached', async () => {
    const r = await runCli(['schema', 'list', '--url', 'http://127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error SL_CLIENT_REQUEST_FAILED: cannot reach Sightline/);
  });
});
