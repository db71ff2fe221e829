import { SightlineError } from '../core/errors.js';
import type { SqlColumn } from '../core/ports/sql-engine.js';
import type { TableStore } from '../core/ports/table-store.js';
import { incompatibilities, type PipeDefinition, type PipeDeletion, type PipeRecord, type PipeVersion, type PipeVersionDeletion, sameDefinition } from './pipe-definition.js';

interface PipeState {
  /** Every version ever written, oldest first; those up to `deletedThrough`, and those withdrawn, are deleted. */
  versions: PipeVersion[];
  deletedThrough: number;
  withdrawn: Set<number>;
}

/** What the statement of a new version is, as the SQL engine described it for its author. */
export interface DescribedPipe {
  columns: SqlColumn[];
  reads: Array<{ view: string; dataset: string }>;
  volatile: boolean;
}

/**
 * The platform's pipes, on every serve node: the `_pipes` table followed on the log, so a pipe
 * defined on one node is served by all within about a second. Versions are never changed: a new
 * definition is a new version (when the old one's callers keep working, under BACKWARD), a
 * deletion hides every version so far, and version numbers go on after it, as the registry's do.
 */
export class PipeStore {
  private readonly pipes = new Map<string, PipeState>();

  private constructor(private readonly table: TableStore<PipeRecord>, private readonly clock: () => number) {}

  static async open(table: TableStore<PipeRecord>, clock: () => number = Date.now): Promise<PipeStore> {
    const store = new PipeStore(table, clock);
    await table.follow((records) => {
      for (const record of records) store.apply(record);
    });
    return store;
  }

  private apply(record: PipeRecord): void {
    const state = this.pipes.get(record.name) ?? { versions: [], deletedThrough: 0, withdrawn: new Set<number>() };
    this.pipes.set(record.name, state);
    if (record.kind === 'pipe') {
      if (!state.versions.some((v) => v.version === record.version)) state.versions.push(record);
      state.versions.sort((a, b) => a.version - b.version);
    } else if (record.kind === 'pipe-deleted') {
      state.deletedThrough = Math.max(state.deletedThrough, record.through);
    } else {
      state.withdrawn.add(record.version);
    }
  }

  private live(name: string): PipeVersion[] {
    const state = this.pipes.get(name);
    return state ? state.versions.filter((v) => v.version > state.deletedThrough && !state.withdrawn.has(v.version)) : [];
  }

  /** Each pipe's latest version, by name. */
  list(): PipeVersion[] {
    return [...this.pipes.keys()].sort().flatMap((name) => this.live(name).slice(-1));
  }

  /** The pipe's versions not deleted, oldest first. */
  versions(name: string): PipeVersion[] {
    const versions = this.live(name);
    if (versions.length === 0) throw notFound(name);
    return versions;
  }

  /** One version, or the latest. */
  get(name: string, version?: number): PipeVersion {
    const versions = this.versions(name);
    if (version === undefined) return versions.at(-1)!;
    const found = versions.find((v) => v.version === version);
    if (!found) throw new SightlineError('SL_PIPE_NOT_FOUND', `pipe ${name} has no version ${version}; it has ${versions.map((v) => v.version).join(', ')}`);
    return found;
  }

  /**
   * Makes `definition` the pipe's latest version: the same as the latest already is a no-op
   * (created false); otherwise a new version, refused with SL_PIPE_INCOMPATIBLE when it would
   * break the latest one's callers and the pipe keeps BACKWARD compatibility.
   */
  async define(name: string, definition: PipeDefinition, described: DescribedPipe, actor: string): Promise<{ pipe: PipeVersion; created: boolean }> {
    return this.table.exclusive<{ pipe: PipeVersion; created: boolean }>(() => {
      const latest = this.live(name).at(-1);
      if (latest && sameDefinition(latest.definition, definition)) return { records: [], result: { pipe: latest, created: false } };
      if (latest && latest.definition.compatibility === 'BACKWARD' && definition.compatibility === 'BACKWARD') {
        const breaks = incompatibilities(latest, { definition, columns: described.columns });
        if (breaks.length > 0) throw new SightlineError('SL_PIPE_INCOMPATIBLE', `version ${latest.version + 1} of pipe ${name} would break its callers: ${breaks.join('; ')}`);
      }
      const state = this.pipes.get(name);
      const version = Math.max(state?.deletedThrough ?? 0, ...(state?.versions.map((v) => v.version) ?? [0])) + 1;
      const pipe: PipeVersion = { kind: 'pipe', name, version, definition, columns: described.columns, reads: described.reads, volatile: described.volatile, createdAt: this.clock(), createdBy: actor };
      return { records: [pipe], result: { pipe, created: true } };
    });
  }

  /** Deletes every version so far; callers get 404 from then on, on every node. */
  async delete(name: string, actor: string): Promise<PipeDeletion> {
    return this.table.exclusive(() => {
      const latest = this.live(name).at(-1);
      if (!latest) throw notFound(name);
      const deletion: PipeDeletion = { kind: 'pipe-deleted', name, through: latest.version, at: this.clock(), by: actor };
      return { records: [deletion], result: deletion };
    });
  }

  /**
   * Withdraws one version: callers that name it (`?version=`, a cursor) get 404; the latest of
   * the others is served, and the next definition is checked against it. The last one left is
   * withdrawn by deleting the pipe.
   */
  async deleteVersion(name: string, version: number, actor: string): Promise<PipeVersionDeletion> {
    return this.table.exclusive(() => {
      const live = this.live(name);
      this.get(name, version);
      if (live.length === 1) throw new SightlineError('SL_PIPE_INVALID', `version ${version} is the only one of pipe ${name}: delete the pipe (DELETE /v1/pipes/${name})`);
      const deletion: PipeVersionDeletion = { kind: 'pipe-version-deleted', name, version, at: this.clock(), by: actor };
      return { records: [deletion], result: deletion };
    });
  }

  close(): Promise<void> {
    return this.table.close();
  }
}

const notFound = (name: string): SightlineError => new SightlineError('SL_PIPE_NOT_FOUND', `no pipe "${name}"`);
