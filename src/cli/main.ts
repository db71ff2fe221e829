#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { isSightlineError, SightlineError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { apiUrl, DEFAULT_API_URL } from '../client/api-url.js';

type Action = (...args: any[]) => void | Promise<void>;

// A reader that stops early (`| head`) closes the pipe: the command's output is simply cut, as for
// any Unix tool, rather than ending in an unhandled EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

/**
 * A command's module is imported when the command runs, not when the CLI starts: `--help` and the
 * short commands do not load DuckDB, OpenTelemetry, Fastify or the Kafka client.
 */
function lazy<M>(load: () => Promise<M>, pick: (module: M) => Action): Action {
  return async (...args) => pick(await load())(...args);
}
const dlqCommands = () => import('./dlq.js');
const keysCommands = () => import('./keys.js');
const kafkaCommands = () => import('./kafka.js');
const eraseCommands = () => import('./erase.js');
const backfillCommands = () => import('./backfill.js');
const tablesCommands = () => import('./tables.js');
const auditCommands = () => import('./audit.js');
const schemaCommands = () => import('./schema.js');
const upCommands = () => import('./up.js');

const DEFAULT_URL = ((env) => {
  try {
    return apiUrl(env);
  } catch {
    // Not refused here, where it would stop --help too: the command that uses it says what is wrong.
    return env;
  }
})(process.env.SIGHTLINE_URL ?? DEFAULT_API_URL);

function urlOption(value: string): string {
  try {
    return apiUrl(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function positiveInt(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 0 || Number(value) > 65535) throw new InvalidArgumentError('must be a whole number');
  return value;
}

async function readCaFile(path: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (err) {
    throw new SightlineError('SL_CLI_USAGE', `cannot read the CA file ${path}: ${(err as Error).message}`);
  }
}

function positiveCount(value: string): string {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError('must be a positive whole number');
  return value;
}

const program = new Command()
  .name('sightline')
  .description('Observability-first event data platform')
  .version(VERSION)
  .option('--ca-file <file>', 'trust this CA (PEM) for an HTTPS API, besides the system roots (or SIGHTLINE_CA_FILE)')
  .hook('preAction', async (command) => {
    // Certificates are always verified; a CA file adds a root to trust (a self-signed API's own certificate).
    const caFile = (command.opts() as { caFile?: string }).caFile ?? process.env.SIGHTLINE_CA_FILE;
    if (caFile) (await import('../client/tls-trust.js')).trustCa(await readCaFile(caFile));
  })
  .showHelpAfterError()
  .addHelpText(
    'after',
    '\nEnvironment:\n  SIGHTLINE_URL  the API the client commands (send, status, probe, schema, dlq, keys, audit) talk to,\n                 when --url is not given (default: http://127.0.0.1:8080)\n' +
      '  SIGHTLINE_KEY  the API key they send (Authorization: Bearer); none needed on a loopback API\n                 that does not require keys\n' +
      '  SIGHTLINE_CA_FILE  a CA (PEM) to trust for an HTTPS API, as --ca-file',
  );

program
  .command('up')
  .description('Start the whole platform in this process on embedded defaults (ingest, log, process, hot and cold stores, API)')
  // No commander defaults here: a flag given wins over the config file, and the config file over
  // the built-in defaults, which live in one place (the schema in src/config/schema.ts).
  .option('--data <dir>', 'data folder (default: ./sightline-data)')
  .option('--port <n>', 'HTTP port, 0 picks a free one (default: 8080)', positiveInt)
  .option('--pg-port <n>', 'also serve SQL on read over the Postgres wire protocol on this port (psql, JDBC, BI tools; docs/sql.md)', positiveInt)
  .option('--host <address>', 'address to listen on (default: 127.0.0.1)')
  .option('--config <file>', 'YAML or JSON configuration file')
  .option('--log <url>', 'kafka://host:port[,host:port...] runs on Kafka (distributed mode); default: the embedded log')
  .option('--require-keys', 'require an API key on every request, on loopback too (auth.required: true)', false)
  .option('--insecure-open', 'listen beyond loopback without requiring API keys (auth.required: false): anyone who reaches the port may do anything', false)
  .option('--tls-self-signed', 'serve HTTPS with a self-signed certificate kept in the data folder (for local testing; server.tls for a real one)', false)
  .action(lazy(upCommands, (m) => m.up));

for (const [name, what] of [
  ['ingest', 'HTTP ingest and contract checks, appending to Kafka'],
  ['process', 'a member of the processing group: dedup, late check, enrichment, windows, in Kafka transactions'],
  ['serve', 'the query API over a hot store loaded from what the processors committed, and the cold store'],
] as const) {
  program
    .command(name)
    .description(`Distributed mode: run ${what} (needs --log kafka://…)`)
    .option('--data <dir>', 'data folder (serve: its hot and cold stores; default: ./sightline-data)')
    .option('--port <n>', 'HTTP port, 0 picks a free one (default: 8080)', positiveInt)
    .option('--pg-port <n>', 'also serve SQL on read over the Postgres wire protocol on this port', positiveInt)
    .option('--host <address>', 'address to listen on (default: 127.0.0.1)')
    .option('--config <file>', 'YAML or JSON configuration file')
    .option('--log <url>', 'kafka://host:port[,host:port...] (or log.kafka in the config file)')
    .option('--require-keys', 'require an API key on every request, on loopback too (auth.required: true)', false)
    .option('--insecure-open', 'listen beyond loopback without requiring API keys', false)
    .option('--tls-self-signed', 'serve HTTPS with a self-signed certificate kept in the data folder (for local testing)', false)
    .action(lazy(upCommands, (m) => m.role(name)));
}

program
  .command('send')
  .description('Post an NDJSON file of events in batches, retrying with backoff; exits non-zero if any event was not accepted')
  .argument('<file>', 'NDJSON file, one event per line ("-" for standard input)')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .option('--batch-size <n>', 'events per request', positiveInt, '1000')
  .option('--max-retries <n>', 'attempts per batch before giving up', positiveInt, '8')
  .option('--concurrency <n>', 'requests in flight', positiveInt, '2')
  .option('--gzip', 'gzip request bodies', false)
  .option('--quiet', 'no progress output', false)
  .option('--wait <seconds>', 'then wait up to this long for processing and say how many accepted events it dead-lettered (0: do not)', positiveInt, '10')
  .action(lazy(() => import('./send.js'), (m) => m.send));

program
  .command('status')
  .description('Show backlog per partition, committed offsets, and rows and bytes in each store')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .option('--json', 'print the raw status document', false)
  .action(lazy(() => import('./status.js'), (m) => m.status));

program
  .command('probe')
  .description('Send a canary event and report the time until the query API returns it (end-to-end freshness); exits 1 if it fails')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .option('--timeout <seconds>', 'give up after this long', positiveInt, '30')
  .option('--json', 'print the result as JSON', false)
  .action(lazy(() => import('./probe.js'), (m) => m.probe));

const schema = program.command('schema').description('Data contracts in the schema registry: register, check (for CI), list, show, deprecate, config');
const typeOption = '--type <AVRO|JSON>';
const typeHelp = 'schema type (default: AVRO for .avsc files, JSON otherwise)';
schema
  .command('register')
  .description('Register a schema under a subject (<source>.<type> for events); prints the version and global id')
  .argument('<subject>')
  .argument('<file>', 'schema file')
  .option(typeOption, typeHelp)
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(schemaCommands, (m) => m.registerSchema));
schema
  .command('check')
  .description("Check a schema against the subject's compatibility level without registering it; exits 1 with the reasons when it breaks")
  .argument('<subject>')
  .argument('<file>', 'schema file')
  .option(typeOption, typeHelp)
  .option('--version <n|latest>', 'check against this version only (default: the versions the level selects)')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(schemaCommands, (m) => m.checkSchema));
schema
  .command('list')
  .description('Subjects with their compatibility level, versions, deprecations and events per version')
  .option('--json', 'print the raw document', false)
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(schemaCommands, (m) => m.listSchemas));
schema
  .command('show')
  .description('One version of a subject (default: latest) with its schema')
  .argument('<subject>')
  .argument('[version]')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(schemaCommands, (m) => m.showSchema));
schema
  .command('deprecate')
  .description('Deprecate a version: events naming it are accepted with a warning, and refused after --sunset')
  .argument('<subject>')
  .argument('<version>')
  .option('--sunset <date>', 'ISO 8601 date-time after which events naming this version are refused')
  .option('--undo', 'lift the deprecation', false)
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(schemaCommands, (m) => m.deprecateSchema));
schema
  .command('config')
  .description('Show the compatibility level of a subject (or the global one), or set it with --set')
  .argument('[subject]')
  .option('--set <level>', 'NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(schemaCommands, (m) => m.schemaConfig));

const dlq = program.command('dlq').description('The dead-letter queue: events refused at ingest or in processing, with their reasons; list, show, replay');
const withFilters = (command: Command): Command =>
  command
    .option('--stage <stage>', 'ingest, process or sink')
    .option('--code <code>', 'error code, e.g. SL_CONTRACT_VIOLATION')
    .option('--rule <name>', 'quality rule')
    .option('--source <source>')
    .option('--type <type>')
    .option('--event-id <id>')
    .option('--since <time>', 'epoch ms or ISO 8601')
    .option('--until <time>', 'epoch ms or ISO 8601')
    .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL);
withFilters(dlq.command('list').description('Dead letters, newest first'))
  .option('--limit <n>', 'at most this many', positiveCount, '100')
  .option('--json', 'print the raw entries', false)
  .action(lazy(dlqCommands, (m) => m.listDeadLetters));
dlq
  .command('show')
  .description('One dead letter with its reason and original event')
  .argument('<id>', 'partition-offset, as listed')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(dlqCommands, (m) => m.showDeadLetter));
withFilters(
  dlq
    .command('replay')
    .description('Replay dead letters (named, or all the filter selects that were not replayed yet) after a fix; exits 1 if any fail again')
    .argument('[ids...]', 'dead letters to replay'),
)
  .option('--include-replayed', 'replay ones replayed before too (dedup keeps them from counting twice)', false)
  .option('--dry-run', 'only count what would be replayed', false)
  .option('--quiet', 'no progress bar', false)
  .action(lazy(dlqCommands, (m) => m.replayDeadLetters));

const kafka = program.command('kafka').description('Distributed mode on a secured cluster: each role runs as its own principal with only the ACLs it needs');
kafka
  .command('acls')
  .description('Print the ACLs each role needs, with why, as kafka-acls.sh commands (reaches no cluster)')
  .option('--ingest <principal>', 'the ingest nodes\' principal (default: User:sightline-ingest)')
  .option('--process <principal>', 'the processing nodes\' principal (default: User:sightline-process)')
  .option('--serve <principal>', 'the serving nodes\' principal (default: User:sightline-serve)')
  .option('--topic-prefix <prefix>', 'log.kafka.topicPrefix (default: the config file\'s)')
  .option('--config <file>', 'YAML or JSON configuration file')
  .action(lazy(kafkaCommands, (m) => m.printAcls));
kafka
  .command('setup')
  .description('As a Kafka administrator: create the deployment\'s topics and grant each role\'s principal its ACLs (safe to run again)')
  .option('--ingest <principal>', 'grant the ingest ACLs to this principal, e.g. User:sightline-ingest')
  .option('--process <principal>', 'grant the processing ACLs to this principal')
  .option('--serve <principal>', 'grant the serving ACLs to this principal')
  .option('--config <file>', 'configuration with log.kafka (tls, and sasl as the administrator)')
  .option('--log <url>', 'kafka://host:port[,host:port...] (or log.kafka in the config file)')
  .action(lazy(kafkaCommands, (m) => m.setUp));

const keys = program.command('keys').description('API keys and their scopes (needs an admin key): create, list, rotate, revoke');
keys
  .command('create')
  .description('Create a key; its token is printed once')
  .requiredOption('--name <name>', 'what it is for, e.g. "web producer"')
  .requiredOption('--scope <grant...>', 'scope, or scope=pattern,pattern: ingest:write=web.*, query:read, registry:read, registry:write, dlq:read, dlq:replay, ops:read, admin')
  .option('--expires <when>', 'a duration from now (90d, 12h) or a date-time; default: never')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(keysCommands, (m) => m.createKey));
keys
  .command('list')
  .description('Keys, with their scopes and state (never their secrets)')
  .option('--json', 'print the raw list', false)
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(keysCommands, (m) => m.listKeys));
keys
  .command('rotate')
  .description('A new secret for a key, same id and scopes; prints the new token once')
  .argument('<id>', 'key id, as listed')
  .option('--grace <duration>', 'how long the old secret keeps working (0s to 7d)', '0s')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(keysCommands, (m) => m.rotateKey));
keys
  .command('revoke')
  .description('Revoke a key on every node')
  .argument('<id>', 'key id, as listed')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(keysCommands, (m) => m.revokeKey));

program
  .command('erase')
  .description("Delete a user's events (by payload.user_id) from the hot store, the cold files and the log, and report what went (needs an admin key); aggregates keep their counts")
  .option('--user-id <id>', 'the user whose events go')
  .option('--from <time>', 'only events from this event time (epoch ms or ISO 8601)')
  .option('--to <time>', 'only events up to this event time (default: now)')
  .option('--no-wait', 'answer once the request is recorded, without waiting for the outcome')
  .option('--timeout <seconds>', 'how long to wait for the outcome', positiveInt, '120')
  .option('--status <id>', 'show one request and what each node removed')
  .option('--list', 'show every request', false)
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(eraseCommands, (m) => m.eraseCommand));

program
  .command('backfill')
  .description('Run the events of whole days again through processing (quality rules, enrichment as configured now) from the cold tier, replacing the tables, the hot store and the windows; with a progress bar (needs an admin key)')
  .option('--from <day>', 'first day of event time, YYYY-MM-DD (UTC)')
  .option('--to <day>', 'last day of event time, YYYY-MM-DD (UTC), included')
  .option('--dry-run', 'count what it would change (events changed, refused, windows lowered), change nothing', false)
  .option('--no-wait', 'answer once the backfill is recorded, without following it')
  .option('--timeout <seconds>', 'how long to follow it', positiveInt, '3600')
  .option('--quiet', 'no progress bar', false)
  .option('--status <id>', 'show one backfill and its progress')
  .option('--list', 'show every backfill', false)
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(backfillCommands, (m) => m.backfillCommand));

program
  .command('tables')
  .description("The cold tier's Iceberg tables; with a table name, its rows as NDJSON (as of a snapshot: time travel), or its snapshots")
  .argument('[table]', 'a table: events, or an aggregation (page_views)')
  .option('--snapshots', "list the table's snapshots instead of its rows", false)
  .option('--snapshot-id <id>', 'read the table as of this snapshot')
  .option('--as-of <time>', 'read the table as it was at this time (epoch ms or ISO 8601)')
  .option('--from <time>', 'only rows from this event time (window start for aggregations)')
  .option('--to <time>', 'only rows before this event time')
  .option('--limit <n>', 'rows at most', positiveInt, '100')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(tablesCommands, (m) => m.tablesCommand));

const audit = program.command('audit').description('The audit log of sensitive actions and refused credentials (needs an admin key): list, verify');
audit
  .command('list')
  .description('Audit entries, newest first')
  .option('--actor <key-id>', 'only this key')
  .option('--action <action>', 'an action (key.create) or its kind (key, schema, auth, dlq)')
  .option('--outcome <outcome>', 'ok, failed or refused')
  .option('--since <time>', 'epoch ms or ISO 8601')
  .option('--until <time>', 'epoch ms or ISO 8601')
  .option('--limit <n>', 'at most this many', positiveCount, '100')
  .option('--json', 'print the raw entries', false)
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(auditCommands, (m) => m.listAudit));
audit
  .command('verify')
  .description('Check the hash chain of the audit log from its first entry; exits 1 if it does not hold')
  .option('--url <url>', 'Sightline API (SIGHTLINE_URL when not given)', urlOption, DEFAULT_URL)
  .action(lazy(auditCommands, (m) => m.verifyAudit));

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isSightlineError(err)) {
    process.stderr.write(`error ${err.code}: ${err.message}\n`);
  } else {
    process.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
  }
  process.exit(1);
});
