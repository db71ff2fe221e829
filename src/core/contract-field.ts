/**
 * A top-level field of a contract as a column of a table: its name in the payload and the kind of
 * value it holds. `json` is any value a column cannot type (an object, an array, a union): the
 * column holds it as JSON text.
 */
export interface ContractField {
  name: string;
  type: 'string' | 'long' | 'double' | 'boolean' | 'json';
}

/** The contracts' fields by subject, for the contract tables: the schema registry, while it is open. */
export interface ContractFieldSource {
  /** False until the registry has opened (after the stores): the contract tables wait for it. */
  ready(): boolean;
  /** The fields of every live version of the subject; undefined when it has none. */
  fields(subject: string): ContractField[] | undefined;
}
