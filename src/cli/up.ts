import { isAbsolute, relative, resolve } from 'node:path';
import { loadConfigFile } from '../config/config.js';
import { SightlineError } from '../core/errors.js';
import { isLoopbackBind } from '../core/loopback.js';
import { createLogger } from '../observe/logging.js';
import { ensureAddressFree } from '../platform/address-check.js';
import { ALL_ROLES, type Role, startPlatform } from '../platform/start-platform.js';
import { selfSignedFiles } from './self-signed.js';

export interface UpOptions {
  data?: string;
  port?: string;
  /** The Postgres wire protocol's port (off without one). */
  pgPort?: string;
  host?: string;
  config?: string;
  /** `kafka://host:port,host:port` for distributed mode; the embedded log when absent. */
  log?: string;
  insecureOpen?: boolean;
  requireKeys?: boolean;
  tlsSelfSigned?: boolean;
}

const KAFKA_URL = /^kafka:\/\/([^/?#]+)\/?$/;

/** `--log kafka://b1:9092,b2:9092` → the brokers; `embedded` → none. */
export function parseLogUrl(url: string): string[] | undefined {
  if (url === 'embedded') return undefined;
  const match = KAFKA_URL.exec(url);
  const brokers = match?.[1]!.split(',').filter((b) => b.length > 0) ?? [];
  if (brokers.length === 0 || !brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b))) {
    throw new SightlineError('SL_CLI_USAGE', `--log must be kafka://host:port[,host:port...] or embedded, not "${url}"`);
  }
  return brokers;
}

/** `sightline up`: the whole platform in this process until SIGINT/SIGTERM, then a clean stop. */
export function up(options: UpOptions): Promise<void> {
  return runRoles(ALL_ROLES, options);
}

/** `sightline ingest | process | serve`: one role of a distributed deployment, on Kafka. */
export function role(name: Role): (options: UpOptions) => Promise<void> {
  return (options) => runRoles([name], options);
}

/** A folder as a person would write it: relative (./sightline-data) when under the working folder. */
function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : `./${rel}`;
}

async function runRoles(roles: readonly Role[], options: UpOptions): Promise<void> {
  const overrides: Record<string, unknown> = {};
  if (options.data !== undefined) overrides.dataDir = resolve(options.data);
  const server: Record<string, unknown> = {};
  if (options.port !== undefined) server.port = Number(options.port);
  if (options.host !== undefined) server.host = options.host;
  if (Object.keys(server).length > 0) overrides.server = server;
  if (options.pgPort !== undefined) overrides.postgres = { port: Number(options.pgPort) };
  if (options.insecureOpen || options.requireKeys) overrides.auth = { ...(options.insecureOpen && { insecureOpen: true }), ...(options.requireKeys && { required: true }) };
  if (options.log !== undefined) {
    const brokers = parseLogUrl(options.log);
    if (brokers) overrides.log = { kafka: { bootstrap: brokers } };
  }
  const config = await loadConfigFile(options.config, overrides);
  let tlsNote = '';
  if (options.tlsSelfSigned) {
    // The port is checked first, so a start that cannot listen creates nothing in the data folder.
    await ensureAddressFree(config.server);
    const { certPath, keyPath, created } = await selfSignedFiles(config.dataDir);
    config.server.tls = { certPath, keyPath, reloadIntervalMs: config.server.tls?.reloadIntervalMs ?? 10_000 };
    tlsNote = `TLS with a self-signed certificate${created ? ' (made now)' : ''}: clients trust it with --ca-file ${certPath} (or SIGHTLINE_CA_FILE)\n`;
  }
  const platform = await startPlatform(config, createLogger(config.logLevel), { roles });
  const what = roles.length === ALL_ROLES.length ? 'sightline is up' : `sightline ${roles.join('+')} is up`;
  const on = config.log.kafka ? `kafka ${config.log.kafka.bootstrap.join(',')}` : `data: ${options.data ?? shownPath(config.dataDir)}`;
  platform.logger.info({ url: platform.url, roles, dataDir: config.dataDir, kafka: config.log.kafka?.bootstrap }, what);
  const roleNote = roles.length === ALL_ROLES.length ? '' : `roles: ${roles.join(', ')}; `;
  const access = config.auth.required
    ? 'API keys required on every request (Authorization: Bearer <key>; the CLI reads SIGHTLINE_KEY)'
    : isLoopbackBind(config.server.host)
      ? 'open on loopback: requests from this machine need no key (auth.required: true requires one; docs/security.md)'
      : `WARNING: listening on ${config.server.host} with no API keys required (--insecure-open)`;
  const store = config.cold.objectStore;
  const pgNote = platform.postgres ? `Postgres wire protocol at ${platform.postgres}${config.server.tls ? ' (TLS: sslmode=require)' : ''}: psql "postgresql://${config.auth.required ? 'sightline:<key>@' : ''}${platform.postgres}/sightline"\n` : '';
  const coldNote = store ? `cold tier on the object store s3://${store.bucket}/${store.prefix}${store.endpoint ? ` at ${store.endpoint}` : ''}\n` : '';
  // One write, so that whoever reads the banner's first line has the rest too.
  process.stdout.write(
    `Sightline API at ${platform.url}  (${roleNote}${on}; OpenAPI: ${platform.url}/openapi.json)\n${access}\n${tlsNote}${pgNote}${coldNote}` +
      (platform.firstAdminToken ? `first start: an admin key was made; its token is shown this once (stored only as a hash):\n  ${platform.firstAdminToken}\n` : ''),
  );

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      platform.logger.warn({ signal }, 'second signal: exiting without finishing the stop');
      process.exit(130);
    }
    platform.logger.info({ signal }, 'signal received');
    platform.stop().then(
      () => process.exit(0),
      (err) => {
        platform.logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
