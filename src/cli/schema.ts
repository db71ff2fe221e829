import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { apiRequest } from '../client/api-client.js';
import { SightlineError } from '../core/errors.js';

interface UrlOption {
  url: string;
}

/** A schema file's type: --type, else the extension (.avsc is Avro, anything else JSON Schema). */
async function readSchemaFile(file: string, type: string | undefined): Promise<{ schema: string; schemaType: string }> {
  let schema: string;
  try {
    schema = await readFile(file, 'utf8');
  } catch (err) {
    throw new SightlineError('SL_CLI_USAGE', `cannot read ${file}: ${(err as Error).message}`);
  }
  const schemaType = (type ?? (extname(file).toLowerCase() === '.avsc' ? 'AVRO' : 'JSON')).toUpperCase();
  return { schema, schemaType };
}

const path = (...parts: Array<string | number>) => parts.map((p) => encodeURIComponent(String(p))).join('/');
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** `sightline schema register SUBJECT FILE`: a new version, or the one that already holds this schema. */
export async function registerSchema(subject: string, file: string, options: UrlOption & { type?: string }): Promise<void> {
  const body = await readSchemaFile(file, options.type);
  const known = await apiRequest<{ version: number }>(options.url, 'POST', `/subjects/${path(subject)}`, body).catch(() => undefined);
  const { id } = await apiRequest<{ id: number }>(options.url, 'POST', `/subjects/${path(subject)}/versions`, body);
  const { version } = await apiRequest<{ version: number }>(options.url, 'POST', `/subjects/${path(subject)}`, body);
  print(known ? `${subject}: already registered as version ${version} (schema id ${id})` : `${subject}: registered version ${version} (schema id ${id}, ${body.schemaType})`);
}

/**
 * `sightline schema check SUBJECT FILE`, made for CI: exit 0 when the subject's compatibility level
 * accepts the schema, 1 with each reason when it does not (or when the schema does not parse).
 */
export async function checkSchema(subject: string, file: string, options: UrlOption & { type?: string; version?: string }): Promise<void> {
  const body = await readSchemaFile(file, options.type);
  const target = options.version === undefined ? `/compatibility/subjects/${path(subject)}/versions` : `/compatibility/subjects/${path(subject)}/versions/${path(options.version)}`;
  // The registry calls anything compatible with a subject that has no versions; a check in CI
  // against a misspelt subject must not pass for that reason.
  await apiRequest(options.url, 'GET', `/subjects/${path(subject)}/versions`).catch((err: unknown) => {
    if (!(err instanceof SightlineError) || err.code !== 'SL_SCHEMA_SUBJECT_NOT_FOUND') throw err;
    throw new SightlineError('SL_SCHEMA_SUBJECT_NOT_FOUND', `${subject} has no registered versions, so there is nothing to check ${file} against (\`sightline schema list\` shows the subjects; \`sightline schema register\` creates one)`);
  });
  const [result, level] = await Promise.all([
    apiRequest<{ is_compatible: boolean; messages?: string[] }>(options.url, 'POST', `${target}?verbose=true`, body),
    apiRequest<{ compatibilityLevel: string }>(options.url, 'GET', `/config/${path(subject)}?defaultToGlobal=true`),
  ]);
  if (result.is_compatible) {
    print(`${subject}: ${file} is compatible (${level.compatibilityLevel}${options.version ? `, against version ${options.version}` : ''})`);
    return;
  }
  process.stderr.write(`${subject}: ${file} is NOT compatible (${level.compatibilityLevel}):\n`);
  for (const message of result.messages ?? []) process.stderr.write(`  - ${message}\n`);
  process.exitCode = 1;
}

/** `sightline schema list`: subjects with their level, versions and deprecations. */
export async function listSchemas(options: UrlOption & { json: boolean }): Promise<void> {
  const doc = await apiRequest<{
    subjects: Array<{
      subject: string;
      compatibility: string;
      versions: Array<{ version: number; id: number; schema_type: string; deprecated_at: string | null; sunset_at: string | null; events: Record<string, number> }>;
      events_without_version?: Record<string, number>;
    }>;
  }>(
    options.url,
    'GET',
    '/v1/contracts',
  );
  if (options.json) return print(JSON.stringify(doc, null, 2));
  if (doc.subjects.length === 0) return print('no subjects');
  const counts = (events: Record<string, number>) => Object.entries(events).map(([k, n]) => `${k} ${n}`).join(', ');
  for (const s of doc.subjects) {
    print(`${s.subject} (${s.compatibility})`);
    if (s.versions.length === 0) print('  no schema registered');
    if (s.events_without_version) print(`  events without a contract: ${counts(s.events_without_version)}`);
    for (const v of s.versions) {
      const deprecation = v.deprecated_at ? `  deprecated${v.sunset_at ? `, sunset ${v.sunset_at}` : ''}` : '';
      const events = counts(v.events);
      print(`  v${v.version}  id ${v.id}  ${v.schema_type}${deprecation}${events ? `  events: ${events}` : ''}`);
    }
  }
}

/** `sightline schema show SUBJECT [VERSION]`: one version and its schema, pretty-printed. */
export async function showSchema(subject: string, version: string | undefined, options: UrlOption): Promise<void> {
  const v = await apiRequest<{ subject: string; version: number; id: number; schemaType?: string; schema: string }>(
    options.url,
    'GET',
    `/subjects/${path(subject)}/versions/${path(version ?? 'latest')}`,
  );
  print(`${v.subject} version ${v.version}, schema id ${v.id}, ${v.schemaType ?? 'AVRO'}`);
  print(JSON.stringify(JSON.parse(v.schema), null, 2));
}

/** `sightline schema deprecate SUBJECT VERSION [--sunset DATE] [--undo]`. */
export async function deprecateSchema(subject: string, version: string, options: UrlOption & { sunset?: string; undo: boolean }): Promise<void> {
  const target = `/v1/contracts/${path(subject)}/versions/${path(version)}/deprecation`;
  const body = options.undo ? undefined : options.sunset ? { sunset: options.sunset } : {};
  const v = await apiRequest<{ version: number; sunset_at: string | null }>(options.url, options.undo ? 'DELETE' : 'PUT', target, body);
  if (options.undo) return print(`${subject} version ${v.version}: no longer deprecated`);
  print(`${subject} version ${v.version}: deprecated${v.sunset_at ? `; events naming it are refused from ${v.sunset_at}` : ''}`);
}

/** `sightline schema config [SUBJECT] [--set LEVEL]`: the compatibility level that applies, or sets one. */
export async function schemaConfig(subject: string | undefined, options: UrlOption & { set?: string }): Promise<void> {
  const target = subject === undefined ? '/config' : `/config/${path(subject)}`;
  if (options.set) {
    const r = await apiRequest<{ compatibility: string }>(options.url, 'PUT', target, { compatibility: options.set });
    return print(`${subject ?? 'global'}: compatibility ${r.compatibility}`);
  }
  const r = await apiRequest<{ compatibilityLevel: string }>(options.url, 'GET', subject === undefined ? target : `${target}?defaultToGlobal=true`);
  print(`${subject ?? 'global'}: compatibility ${r.compatibilityLevel}`);
}
