import { readFile } from 'node:fs/promises';
import { SightlineError } from '../core/errors.js';
import type { SqlEngine } from '../core/ports/sql-engine.js';
import { checkDefinition, checkStatement, type PipeVersion } from './pipe-definition.js';
import { pageStatement } from './pipe-runner.js';
import type { PipeStore } from './pipe-store.js';

export type PipeInput = Parameters<typeof checkDefinition>[1];

/** A pipe of the config: its statement inline (`sql`) or in a file (`path`, absolute once resolved). */
export type ConfiguredPipe = { name: string; path?: string | undefined; sql?: string | undefined } & Omit<PipeInput, 'sql'>;

/**
 * Checks a definition (its parameters, then its statement as the SQL engine describes it with the
 * author's rights) and makes it the pipe's latest version; the API and the config both define
 * pipes through here.
 */
export async function definePipe(
  store: PipeStore,
  engine: SqlEngine,
  request: { name: string; input: PipeInput; mayRead: (dataset: string) => boolean; actor: string },
): Promise<{ pipe: PipeVersion; created: boolean }> {
  const definition = checkDefinition(request.name, request.input);
  // Checked as it runs: inside the page's SELECT (a statement that does not fit there fails now, not at its first call).
  const described = await engine.describe({ sql: pageStatement(definition.sql, 1, 0), mayRead: request.mayRead, paramTypes: Object.fromEntries(Object.entries(definition.params).map(([name, p]) => [name, p.type])) }).catch((err: unknown) => {
    if (err instanceof SightlineError && (err.code === 'SL_SQL_INVALID' || err.code === 'SL_SQL_NOT_ALLOWED' || err.code === 'SL_SQL_PARAMS_INVALID')) throw new SightlineError('SL_PIPE_INVALID', `the statement does not check: ${err.message}`, { cause: err });
    throw err;
  });
  checkStatement(definition, described);
  return store.define(request.name, definition, described, request.actor);
}

/** The config's pipes, defined at start (version control's copy wins): the same again is no new version; an invalid or incompatible one stops the start. */
export async function defineConfiguredPipes(store: PipeStore, engine: SqlEngine, pipes: readonly ConfiguredPipe[], log: (fields: object, message: string) => void): Promise<void> {
  for (const { name, path, sql, ...rest } of pipes) {
    try {
      if ((sql === undefined) === (path === undefined)) throw new SightlineError('SL_PIPE_INVALID', 'give the statement as sql or as a file at path, one of the two');
      let statement = sql;
      if (path !== undefined) statement = await readFile(path, 'utf8').catch((err: Error) => Promise.reject(new SightlineError('SL_PIPE_INVALID', `cannot read ${path}: ${err.message}`)));
      const { pipe, created } = await definePipe(store, engine, { name, input: { ...rest, sql: statement! }, mayRead: () => true, actor: 'config' });
      if (created) log({ pipe: name, version: pipe.version }, 'defined a pipe from the config');
    } catch (err) {
      if (err instanceof SightlineError) throw new SightlineError('SL_CONFIG_INVALID', `pipes.${name}: ${err.message}`, { cause: err });
      throw err;
    }
  }
}
