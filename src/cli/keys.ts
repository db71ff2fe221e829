import { apiRequest } from '../client/api-client.js';
import { SightlineError } from '../core/errors.js';

interface KeyView {
  id: string;
  name: string;
  grants: Array<{ scope: string; resources?: string[] }>;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  state: string;
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const grantText = (g: KeyView['grants'][number]) => (g.resources ? `${g.scope}=${g.resources.join(',')}` : g.scope);

/** `scope` or `scope=pattern,pattern`, as `--scope` takes it. */
function grantOf(text: string): { scope: string; resources?: string[] } {
  const at = text.indexOf('=');
  return at === -1 ? { scope: text } : { scope: text.slice(0, at), resources: text.slice(at + 1).split(',').filter(Boolean) };
}

/** An expiry as `--expires` takes it: a duration from now (90d, 12h) or an RFC 3339 date-time. */
function expiryOf(text: string): string {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (m) return new Date(Date.now() + Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd']).toISOString();
  if (Number.isNaN(Date.parse(text))) throw new SightlineError('SL_CLI_USAGE', `--expires takes a duration (90d, 12h, 30m) or a date-time, not "${text}"`);
  return text;
}

function showToken(key: KeyView, token: string): void {
  print(`key ${key.id} "${key.name}": ${key.grants.map(grantText).join(' ')}${key.expires_at ? `, expires ${key.expires_at}` : ''}`);
  print(`token (shown once, stored only as a hash): ${token}`);
  print(`use it as: export SIGHTLINE_KEY=${token}`);
}

export async function createKey(options: { url: string; name: string; scope: string[]; expires?: string }): Promise<void> {
  const body = { name: options.name, grants: options.scope.map(grantOf), ...(options.expires !== undefined && { expires_at: expiryOf(options.expires) }) };
  const { key, token } = await apiRequest<{ key: KeyView; token: string }>(options.url, 'POST', '/v1/keys', body);
  showToken(key, token);
}

export async function listKeys(options: { url: string; json: boolean }): Promise<void> {
  const { keys } = await apiRequest<{ keys: KeyView[] }>(options.url, 'GET', '/v1/keys');
  if (options.json) return print(JSON.stringify(keys, null, 2));
  if (keys.length === 0) return print('no keys');
  for (const k of keys) {
    print(`${k.id}  ${k.state.padEnd(7)}  ${k.name}  [${k.grants.map(grantText).join(' ')}]  created ${k.created_at} by ${k.created_by}${k.expires_at ? `, expires ${k.expires_at}` : ''}`);
  }
}

export async function rotateKey(id: string, options: { url: string; grace: string }): Promise<void> {
  const { key, token } = await apiRequest<{ key: KeyView; token: string }>(options.url, 'POST', `/v1/keys/${encodeURIComponent(id)}/rotate`, { grace: options.grace });
  showToken(key, token);
  print(options.grace === '0s' ? 'the old secret no longer works' : `the old secret works for ${options.grace} more`);
}

export async function revokeKey(id: string, options: { url: string }): Promise<void> {
  const key = await apiRequest<KeyView>(options.url, 'DELETE', `/v1/keys/${encodeURIComponent(id)}`);
  print(`key ${key.id} "${key.name}" revoked at ${key.revoked_at}`);
}
