import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Agent } from 'node:https';
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { selfSignedPems } from '../../src/cli/self-signed.js';
import { freePort } from './prometheus.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const VERSITYGW = join(ROOT, 'node_modules/.cache/sightline-go/versitygw-v1.8.0');
const MOTO = join(ROOT, 'node_modules/.cache/sightline-moto/venv/bin/moto_server');

/**
 * The object-store servers, built or installed by scripts/s3/fetch.sh on first use (.ci/run runs
 * it before the tests). In CI a server that cannot be had fails the test, never skips it.
 */
export function s3SkipReason(): string | false {
  if (!existsSync(VERSITYGW) || !existsSync(MOTO)) {
    const built = spawnSync('bash', [join(ROOT, 'scripts/s3/fetch.sh')], { stdio: 'inherit' });
    if (built.status !== 0 || !existsSync(VERSITYGW) || !existsSync(MOTO)) {
      const reason = 'the S3 servers for the tests (versitygw, moto) could not be built or installed (scripts/s3/fetch.sh: needs go and python3)';
      if (process.env.CI) throw new Error(`${reason}; CI must run the object-store tests`);
      return reason;
    }
  }
  return false;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RunningS3 {
  endpoint: string;
  /** The PEM of the server's self-signed certificate (its own CA), for a TLS server. */
  caPath?: string;
  root: Credentials;
  /** A client as the root user (or the given user), path-style, trusting the server's CA. */
  client(as?: Credentials): S3Client;
  createBucket(name: string): Promise<void>;
  /** Replaces the bucket's policy (root only). */
  setPolicy(bucket: string, policy: object): Promise<void>;
  /** Adds a user with the `user` role (versitygw only); what it may do is the bucket policy's. */
  addUser(user: Credentials): Promise<void>;
  stop(): Promise<void>;
}

async function waitForPort(child: ChildProcess, url: string, output: () => string, agent?: Agent): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`S3 server exited with ${child.exitCode}:\n${output()}`);
    const up = await new Promise<boolean>((done) => {
      const mod = url.startsWith('https') ? import('node:https') : import('node:http');
      void mod.then((m) => {
        const req = m.request(url, { method: 'GET', ...(agent && { agent }) }, (res) => {
          res.resume();
          done(true);
        });
        req.once('error', () => done(false));
        req.end();
      });
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`S3 server not answering at ${url} in 30 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function clientFor(endpoint: string, creds: Credentials, ca?: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: creds,
    ...(ca !== undefined && { requestHandler: { httpsAgent: new Agent({ ca }) } }),
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
}

/**
 * Versity Gateway over HTTPS with a self-signed certificate, its objects as files under `dir`
 * (posix backend), users in `dir/iam`: the server with per-user policies and conditional writes.
 */
export async function startVersityGw(dir: string): Promise<RunningS3> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const pems = await selfSignedPems({ commonName: 's3', days: 7, altNames: ['localhost', '127.0.0.1'] });
  const [cert, key, ca] = [join(dir, 'cert.pem'), join(dir, 'key.pem'), join(dir, 'ca.pem')];
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'iam'), { recursive: true });
  await writeFile(cert, pems.cert);
  await writeFile(ca, pems.cert);
  await writeFile(key, pems.private, { mode: 0o600 });
  const root: Credentials = { accessKeyId: 'sightline-root', secretAccessKey: 'sightline-root-secret' };
  let output = '';
  const child = spawn(
    VERSITYGW,
    ['--port', `127.0.0.1:${port}`, '--admin-port', `127.0.0.1:${adminPort}`, '--cert', cert, '--key', key, '--admin-cert', cert, '--admin-cert-key', key, '--iam-dir', join(dir, 'iam'), '--quiet', 'posix', join(dir, 'data')],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROOT_ACCESS_KEY_ID: root.accessKeyId, ROOT_SECRET_ACCESS_KEY: root.secretAccessKey } },
  );
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const endpoint = `https://127.0.0.1:${port}`;
  const stop = stopper(child);
  try {
    await waitForPort(child, endpoint, () => output, new Agent({ ca: pems.cert }));
  } catch (err) {
    await stop();
    throw err;
  }
  const admin = clientFor(endpoint, root, pems.cert);
  return {
    endpoint,
    caPath: ca,
    root,
    client: (as = root) => clientFor(endpoint, as, pems.cert),
    createBucket: async (name) => void (await admin.send(new CreateBucketCommand({ Bucket: name }))),
    setPolicy: async (bucket, policy) => void (await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }))),
    async addUser(user) {
      const made = spawnSync(VERSITYGW, ['admin', '--allow-insecure', 'create-user', '-a', user.accessKeyId, '-s', user.secretAccessKey, '-r', 'user'], {
        env: { ...process.env, ADMIN_ACCESS_KEY_ID: root.accessKeyId, ADMIN_SECRET_ACCESS_KEY: root.secretAccessKey, ADMIN_ENDPOINT_URL: `https://127.0.0.1:${adminPort}` },
        encoding: 'utf8',
      });
      if (made.status !== 0) throw new Error(`versitygw admin create-user failed: ${made.stdout}${made.stderr}`);
    },
    async stop() {
      admin.destroy();
      await stop();
    },
  };
}

/** moto's S3 server on plain HTTP, in memory: an independent implementation with no policies. */
export async function startMoto(): Promise<RunningS3> {
  const port = await freePort();
  let output = '';
  const child = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = stopper(child);
  try {
    await waitForPort(child, `${endpoint}/moto-api/`, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  const root: Credentials = { accessKeyId: 'moto', secretAccessKey: 'moto-secret' };
  const admin = clientFor(endpoint, root);
  return {
    endpoint,
    root,
    client: (as = root) => clientFor(endpoint, as),
    createBucket: async (name) => void (await admin.send(new CreateBucketCommand({ Bucket: name }))),
    setPolicy: async (bucket, policy) => void (await admin.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }))),
    addUser: () => Promise.reject(new Error('moto keeps no users here')),
    async stop() {
      admin.destroy();
      await stop();
    },
  };
}
