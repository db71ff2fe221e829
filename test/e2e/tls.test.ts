import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

async function certificate(commonName: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** The certificate a new TLS connection is shown, by its SHA-256 fingerprint. */
function servedFingerprint(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca }, () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

/** HTTPS on the API (issue 17, item 5): a self-signed certificate for local testing, real files reloaded without a restart. */
describe('TLS on the API', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const platforms: PlatformProcess[] = [];
  before(async () => {
    tmp = await tempDir();
  });
  after(async () => {
    for (const p of platforms) if (p.child.exitCode === null) await p.stop();
    await tmp.cleanup();
  });

  it('serves a self-signed certificate that clients must be told to trust, and the probe runs over it', async () => {
    await writeFile(join(tmp.dir, 'probe.json'), JSON.stringify({ probe: { interval: '300ms' }, logLevel: 'warn' }));
    const platform = await startPlatformProcess(['--data', join(tmp.dir, 'a'), '--config', join(tmp.dir, 'probe.json'), '--tls-self-signed']);
    platforms.push(platform);
    assert.match(platform.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const caFile = join(tmp.dir, 'a', 'tls', 'self-signed.crt');
    assert.match(platform.output(), new RegExp(`--ca-file ${caFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    await assert.rejects(fetch(`${platform.url}/healthz`), (err: { cause?: { code?: string } }) => err.cause?.code === 'DEPTH_ZERO_SELF_SIGNED_CERT');
    const untrusted = spawnSync(process.execPath, [CLI, 'status', '--url', platform.url], { encoding: 'utf8' });
    assert.equal(untrusted.status, 1);
    assert.match(untrusted.stderr, /certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): .*--ca-file/);
    const trusted = spawnSync(process.execPath, [CLI, '--ca-file', caFile, 'status', '--url', platform.url], { encoding: 'utf8' });
    assert.equal(trusted.status, 0, trusted.stderr);
    const viaEnv = spawnSync(process.execPath, [CLI, 'status', '--url', platform.url], { encoding: 'utf8', env: { ...process.env, SIGHTLINE_CA_FILE: caFile } });
    assert.equal(viaEnv.status, 0, viaEnv.stderr);
    // The probe trusts its own server's certificate.
    const ca = await readFile(caFile, 'utf8');
    const scrape = (): Promise<string> =>
      new Promise((resolve) => {
        const { hostname, port } = new URL(platform.url);
        const socket = connect({ host: hostname, port: Number(port), ca }, () => socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', () => resolve(''));
      });
    const deadline = Date.now() + 15_000;
    let metrics = await scrape();
    while (Date.now() < deadline && !/sightline_probe_runs_total\{result="ok"\} [1-9]/.test(metrics)) {
      await new Promise((r) => setTimeout(r, 300));
      metrics = await scrape();
    }
    assert.match(metrics, /sightline_probe_runs_total\{result="ok"\} [1-9]/);
    assert.match(metrics, /sightline_probe_runs_total\{result="failed"\} 0/);
    await platform.stop();
  });

  it('serves a renewed certificate without a restart, and keeps the old one when the new pair does not load', async () => {
    const first = await certificate('first');
    const cert = join(tmp.dir, 'server.crt');
    const key = join(tmp.dir, 'server.key');
    await writeFile(cert, first.cert);
    await writeFile(key, first.key);
    await writeFile(join(tmp.dir, 'tls.json'), JSON.stringify({ server: { tls: { cert, key, reloadInterval: '200ms' } }, probe: { interval: 0 }, logLevel: 'warn' }));
    const platform = await startPlatformProcess(['--data', join(tmp.dir, 'b'), '--config', join(tmp.dir, 'tls.json')]);
    platforms.push(platform);
    assert.equal(await servedFingerprint(platform.url, first.cert), new X509Certificate(first.cert).fingerprint256);

    const second = await certificate('second');
    await writeFile(key, second.key);
    await writeFile(cert, second.cert);
    const renewed = new X509Certificate(second.cert).fingerprint256;
    const deadline = Date.now() + 5_000;
    let served = '';
    while (Date.now() < deadline && served !== renewed) {
      served = await servedFingerprint(platform.url, second.cert).catch(() => '');
      if (served !== renewed) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(served, renewed, 'the renewed certificate, same process');

    // A key that does not match its certificate: the server keeps the pair it has.
    await writeFile(key, first.key);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await servedFingerprint(platform.url, second.cert), renewed);
    assert.equal(platform.child.exitCode, null);
    assert.match(await readFile(cert, 'utf8'), /BEGIN CERTIFICATE/);
    await platform.stop();
  });
});
