import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, runCli } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** What the CLI says when something is wrong around it (issue 16, item 7): a code, one line, what to do. */
describe('CLI messages', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let taken: Server;
  let takenPort: number;

  before(async () => {
    tmp = await tempDir();
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    takenPort = (taken.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((r) => taken.close(r));
    await tmp.cleanup();
  });

  it('--help names SIGHTLINE_URL', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /SIGHTLINE_URL/);
  });

  it('a server that cannot be reached: says where it looked and what to do', async () => {
    const port = await closedPort();
    const r = await runCli(['status', '--url', `127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`error SL_CLIENT_REQUEST_FAILED: cannot reach Sightline at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    assert.match(r.stderr, /is `sightline up` running there\? Give its address with --url or SIGHTLINE_URL/);
  });

  it('a URL that is not http(s) is refused before anything is sent', async () => {
    const r = await runCli(['status', '--url', 'ftp://example.com']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /"ftp:\/\/example.com" is not an http or https URL/);
  });

  it('a JSON array file gets a hint that send takes NDJSON, and an unreachable server one on --url', async () => {
    const file = join(tmp.dir, 'events.json');
    await writeFile(file, JSON.stringify([{ id: 'a', source: 'web', type: 'page_view', timestamp: 1, payload: {} }], null, 2));
    const r = await runCli(['send', file, '--url', `http://127.0.0.1:${await closedPort()}`, '--max-retries', '0', '--quiet']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hint: .*events\.json looks like a JSON array; send takes NDJSON, one event per line/);
    assert.match(r.stderr, /hint: is `sightline up` running at http:\/\/127\.0\.0\.1:\d+\?/);
  });

  it('a port already in use: a code and one line, and nothing created in the data folder', async () => {
    const data = join(tmp.dir, 'never-created');
    const r = await runCli(['up', '--port', String(takenPort), '--data', data]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error SL_SERVER_ADDRESS_IN_USE: 127\\.0\\.0\\.1:${takenPort} is already taken by another process`));
    assert.equal(existsSync(data), false, 'the data folder was created');
  });

  it('up says on stdout where it listens (the data folder as given), whether keys are required, and the first admin key, and logs JSON on stderr', async () => {
    await writeFile(join(tmp.dir, 'quiet.json'), JSON.stringify({ probe: { interval: 0 } }));
    const child = spawn(process.execPath, [CLI, 'up', '--port', '0', '--data', 'relative-data', '--config', join(tmp.dir, 'quiet.json')], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + 30_000;
    while (!stdout.includes('Sightline API at') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    assert.match(
      stdout,
      /^Sightline API at http:\/\/127\.0\.0\.1:\d+ {2}\(data: relative-data; OpenAPI: http:\/\/127\.0\.0\.1:\d+\/openapi\.json\)\nopen on loopback: requests from this machine need no key \(auth\.required: true requires one; docs\/security\.md\)\nfirst start: an admin key was made; its token is shown this once \(stored only as a hash\):\n {2}slk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/,
      stdout + stderr,
    );
    const logs = stderr.trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
    assert.ok(logs.some((l) => l.msg === 'sightline is up'), 'the JSON logs are on stderr');
  });
});
