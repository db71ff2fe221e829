/** What the architecture check found wrong; `message` is one line a reader can act on. */
export interface Violation {
  kind: ViolationKind;
  message: string;
}

export type ViolationKind =
  | 'file-cycle'
  | 'folder-cycle'
  | 'layer-table'
  | 'layer-import'
  | 'layer-table-cycle'
  | 'root-file'
  | 'file-size'
  | 'size-exception'
  | 'function-length';

/** A path relative to the repository root, with forward slashes, as messages name files. */
export type RepoPath = string;
