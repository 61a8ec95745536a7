import type { Migration } from './types.js';

/** State tables for delivery cursors, delivery log, dead letters (activation work). */
export const migration: Migration = {
  version: 3,
  name: 'activation',
  up: (_schema) => [],
};
