import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Whether the Postgres clients the wire-protocol tests run are here: psql (Debian's
 * postgresql-client), psycopg (test/requirements.txt), Java with pgjdbc (scripts/pg-clients/fetch.sh,
 * fetched on first use). .ci/run installs all three; in CI a missing one fails the test, never skips it.
 */
export function pgClientsSkipReason(): string | false {
  const missing: string[] = [];
  if (spawnSync('psql', ['--version']).status !== 0) missing.push('psql (apt install postgresql-client)');
  if (spawnSync('python3', ['-c', 'import psycopg']).status !== 0) missing.push('psycopg (pip install -r test/requirements.txt)');
  if (spawnSync('java', ['-version']).status !== 0) missing.push('Java 17+');
  else if (!pgjdbcJar()) missing.push('pgjdbc (bash scripts/pg-clients/fetch.sh needs Maven)');
  if (missing.length === 0) return false;
  const reason = `missing Postgres clients: ${missing.join(', ')}`;
  if (process.env.CI) throw new Error(`${reason}; CI must run the Postgres wire protocol tests with every client`);
  return reason;
}

let jar: string | undefined;
/** pgjdbc's jar, fetched by scripts/pg-clients/fetch.sh on first use. */
export function pgjdbcJar(): string | undefined {
  if (jar) return jar;
  const fetched = spawnSync('bash', [`${ROOT}scripts/pg-clients/fetch.sh`], { encoding: 'utf8' });
  if (fetched.status !== 0) return undefined;
  const dir = fetched.stdout.trim();
  const version = dir.split('/').pop();
  const path = `${dir}/postgresql-${version}.jar`;
  if (existsSync(path)) jar = path;
  return jar;
}

export interface ClientRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a client without blocking: the platform under test answers in this same process. */
export async function runClient(command: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<ClientRun> {
  const child = promisify(execFile)(command, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { status: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** test/tools/PgJdbcCheck.java with pgjdbc: its JSON answer. */
export async function runJdbcCheck(url: string, user: string, password: string, since: number): Promise<any> {
  const run = await runClient('java', ['-cp', pgjdbcJar()!, `${ROOT}test/tools/PgJdbcCheck.java`, url, user, password, String(since)]);
  if (run.status !== 0) throw new Error(`PgJdbcCheck failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}
