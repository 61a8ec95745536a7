import type { Migration } from './types.js';

/** State tables for resources, apply log, locks (plan/apply work). */
export const migration: Migration = {
  version: 1,
  name: 'core',
  up: (_schema) => [],
};
