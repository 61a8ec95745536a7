import type { Migration } from './types.js';

/** State tables for sync status (GitOps work). */
export const migration: Migration = {
  version: 4,
  name: 'gitops',
  up: (_schema) => [],
};
