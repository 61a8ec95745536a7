import type { Migration } from './types.js';

/** State tables for runs, statuses, leases, snapshots, outbox, compute requests (compute work). */
export const migration: Migration = {
  version: 2,
  name: 'compute',
  up: (_schema) => [],
};
