import type { CompatibilityLevel, SchemaType } from '../core/ports/schema-store.js';

/** Data contracts: the `contracts` config section, schema paths absolute. */
export interface ContractsOptions {
  unknown: 'reject' | 'accept';
  defaultCompatibility: CompatibilityLevel;
  register: ContractRegistration[];
  acceptedVersions: Record<string, number[]>;
}

/** A schema registered at start from a file kept with the config. */
export interface ContractRegistration {
  subject: string;
  path: string;
  schemaType: SchemaType;
}
