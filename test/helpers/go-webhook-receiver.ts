import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE_DIR = fileURLToPath(new URL('../../../test/tools/webhook-receiver', import.meta.url));
const BUILD_DIR = fileURLToPath(new URL('../../../node_modules/.cache/sightline-go', import.meta.url));

/**
 * Whether to skip a test that needs Go (to build the Alertmanager webhook receiver). In CI it must
 * run: its absence is a failure, never a skip.
 */
export function goSkipReason(): string | false {
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0) return false;
  if (process.env.CI) throw new Error('go is not installed, and CI must run the Alertmanager webhook receiver test (install Go 1.26 or newer)');
  return 'go is not installed';
}

/**
 * Builds test/tools/webhook-receiver (Alertmanager's own notify/webhook.Message decoder) into
 * node_modules/.cache/sightline-go; go's build cache makes later builds quick. The first one
 * downloads the alertmanager module through the Go module proxy.
 */
export function buildWebhookReceiver(): string {
  mkdirSync(BUILD_DIR, { recursive: true });
  const binary = join(BUILD_DIR, 'webhook-receiver');
  const result = spawnSync('go', ['build', '-o', binary, '.'], { cwd: SOURCE_DIR, encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) throw new Error(`go build of the webhook receiver failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  return binary;
}

export interface RunningReceiver {
  url: string;
  /** Each POST the receiver decoded into webhook.Message, as it re-encoded it. */
  accepted: unknown[];
  /** Decode errors of the POSTs it refused with 400. */
  rejected: string[];
  /** Resolves once `count` messages were accepted (or rejects after `timeoutMs`). */
  waitForAccepted(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(binary: string): Promise<RunningReceiver> {
  const child: ChildProcess = spawn(binary, ['-listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const accepted: unknown[] = [];
  const rejected: string[] = [];
  const waiters: Array<() => void> = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`webhook receiver exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [kind, ...rest] = line.split(' ');
      const body = rest.join(' ');
      if (kind === 'listening') resolve(`http://${body}/`);
      else if (kind === 'accepted') accepted.push(JSON.parse(body));
      else if (kind === 'rejected') rejected.push(body);
      for (const wake of waiters.splice(0)) wake();
    });
  });
  return {
    url,
    accepted,
    rejected,
    async waitForAccepted(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (accepted.length < count) {
        if (Date.now() > deadline) throw new Error(`the receiver accepted ${accepted.length} messages, not ${count}; rejected: ${rejected.join(' | ')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
