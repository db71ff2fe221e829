import type { FastifyRequest } from 'fastify';
import { mayReadDataset } from '../auth/scopes.js';

/**
 * Whether the caller may read a cold table of `dataset`: `query:read` on it, and for the dead
 * letters also `dlq:read`, which their API asks (their originals are events as producers sent them).
 */
export function mayReadTable(request: FastifyRequest, dataset: string): boolean {
  const grants = request.principal?.grants;
  if (!grants) return true;
  return mayReadDataset(grants, dataset);
}
