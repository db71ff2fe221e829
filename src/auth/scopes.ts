import { SightlineError } from '../core/errors.js';

/**
 * What an API key may do. A closed set: each route names the one scope it needs. `admin` holds
 * every other scope and is the only one that manages keys.
 */
export const SCOPES = {
  'ingest:write': { resource: 'subject', summary: 'send events (POST /v1/events); resources: the source.type subjects it may write, e.g. web.*' },
  'query:read': { resource: 'dataset', summary: 'read events and aggregates; resources: events (also the contract tables), aggregates/<name>, pipes/<name>' },
  'pipes:write': { resource: 'pipe', summary: 'define and delete pipes (published SQL endpoints); resources: pipe names. The key must also read every view a pipe reads' },
  'registry:read': { resource: 'subject', summary: 'read subjects, schemas and compatibility (both registry APIs); resources: subjects' },
  'registry:write': { resource: 'subject', summary: 'register, delete and deprecate schemas, set compatibility; resources: subjects' },
  'dlq:read': { resource: null, summary: 'list and read dead letters' },
  'dlq:replay': { resource: null, summary: 'replay dead letters' },
  'ops:read': { resource: null, summary: 'status, metrics, quality, lineage, alerts and the dashboard data' },
  admin: { resource: null, summary: 'everything, and managing API keys' },
} as const satisfies Record<string, { resource: 'subject' | 'dataset' | 'pipe' | null; summary: string }>;

export type Scope = keyof typeof SCOPES;

/** A scope a key holds, on every resource of its kind or only on those its patterns match. */
export interface Grant {
  scope: Scope;
  /** Glob patterns (`*` matches any run of characters); absent: every resource. */
  resources?: string[];
}

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

const PATTERN = /^[A-Za-z0-9_.*/-]{1,200}$/;

/** A grant as the CLI writes it: `scope` or `scope=pattern,pattern` (e.g. `ingest:write=web.*`). */
export function parseGrant(text: string): Grant {
  const [scope, list] = text.split('=', 2) as [string, string | undefined];
  return checkGrant({ scope: scope as Scope, ...(list === undefined ? {} : { resources: list.split(',') }) });
}

/** A grant as a request gave it, checked: a known scope, and patterns only where the scope has resources. */
export function checkGrant(grant: { scope: string; resources?: string[] | undefined }): Grant {
  if (!isScope(grant.scope)) throw new SightlineError('SL_KEY_REQUEST_INVALID', `unknown scope "${grant.scope}" (scopes: ${Object.keys(SCOPES).join(', ')})`);
  if (grant.resources === undefined) return { scope: grant.scope };
  const kind = SCOPES[grant.scope].resource;
  if (kind === null) throw new SightlineError('SL_KEY_REQUEST_INVALID', `scope "${grant.scope}" applies to the whole platform and takes no resources`);
  if (grant.resources.length === 0 || grant.resources.length > 100) throw new SightlineError('SL_KEY_REQUEST_INVALID', `scope "${grant.scope}" needs 1 to 100 ${kind} patterns`);
  for (const pattern of grant.resources) {
    if (!PATTERN.test(pattern)) throw new SightlineError('SL_KEY_REQUEST_INVALID', `"${pattern}" is not a ${kind} pattern: letters, digits, _ . / - and * only, at most 200`);
  }
  return { scope: grant.scope, resources: [...grant.resources] };
}

/** A grant as the CLI and the docs write it. */
export function formatGrant(grant: Grant): string {
  return grant.resources ? `${grant.scope}=${grant.resources.join(',')}` : grant.scope;
}

const compiled = new Map<string, RegExp>();

/** Whether a glob pattern matches a name: `*` stands for any run of characters, nothing else is special. */
export function matchesPattern(pattern: string, name: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&')).join('.*')}$`);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(name);
}

/**
 * Whether grants allow a scope on a resource. `admin` allows everything. A grant with patterns
 * allows a named resource its patterns match, and never a request for every resource (resource
 * undefined where the scope has resources, such as listing every subject).
 */
export function allows(grants: readonly Grant[], scope: Scope, resource?: string): boolean {
  for (const grant of grants) {
    if (grant.scope === 'admin') return true;
    if (grant.scope !== scope) continue;
    if (!grant.resources) return true;
    if (resource !== undefined && grant.resources.some((p) => matchesPattern(p, resource))) return true;
  }
  return false;
}

/** Whether grants hold a scope on at least one resource (a route that filters what it returns by the grant). */
export function holdsScope(grants: readonly Grant[], scope: Scope): boolean {
  return grants.some((g) => g.scope === 'admin' || g.scope === scope);
}

/**
 * Whether grants may read a dataset's rows: `query:read` on it, and for the dead letters also
 * `dlq:read` (their originals are events as producers sent them). The cold tables' API, SQL on
 * read and the Postgres port all ask this.
 */
export function mayReadDataset(grants: readonly Grant[], dataset: string): boolean {
  return allows(grants, 'query:read', dataset) && (dataset !== 'dead_letters' || allows(grants, 'dlq:read'));
}
