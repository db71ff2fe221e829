import { apiRequest } from '../client/api-client.js';

interface Entry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  source: string | null;
  trace_id: string | null;
  detail: Record<string, string | number | boolean>;
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export async function listAudit(options: { url: string; actor?: string; action?: string; outcome?: string; since?: string; until?: string; limit: string; json: boolean }): Promise<void> {
  const query = new URLSearchParams({ limit: options.limit });
  for (const name of ['actor', 'action', 'outcome', 'since', 'until'] as const) if (options[name] !== undefined) query.set(name, options[name]!);
  const { entries } = await apiRequest<{ entries: Entry[] }>(options.url, 'GET', `/v1/audit?${query}`);
  if (options.json) return print(JSON.stringify(entries, null, 2));
  if (entries.length === 0) return print('no audit entries');
  for (const e of entries) {
    const detail = Object.entries(e.detail).map(([k, v]) => `${k}=${v}`).join(' ');
    print(`${String(e.seq).padStart(6)}  ${e.at}  ${e.outcome.padEnd(7)}  ${e.action.padEnd(20)} ${e.target}  by ${e.actor}${e.source ? ` from ${e.source}` : ''}${detail ? `  ${detail}` : ''}`);
  }
}

/** Exits 1 when the chain does not verify. */
export async function verifyAudit(options: { url: string }): Promise<void> {
  const check = await apiRequest<{ ok: boolean; entries: number; head: { seq: number; hash: string } | null; problem?: { seq: number; reason: string } }>(options.url, 'GET', '/v1/audit/verify');
  if (check.ok) {
    print(`the audit log verifies: ${check.entries} entries${check.head ? `, head ${check.head.seq} ${check.head.hash}` : ''}`);
    return;
  }
  print(`the audit log does NOT verify: entry ${check.problem!.seq}: ${check.problem!.reason} (${check.entries} entries read)`);
  process.exitCode = 1;
}
