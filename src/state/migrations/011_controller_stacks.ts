import type { Migration } from './types.js';

/**
 * `controllers.stack`: the stack a controller serves. Several stacks may keep their state in one
 * schema (one DuckDB file, one Snowflake database), each served by its own `linked run`; `linked
 * compute` hands a request only to a controller of its stack, and `linked status` lists only
 * those. Rows written before this migration have none and count for every stack.
 */
export const migration: Migration = {
  version: 11,
  name: 'controller_stacks',
  up: (s) => [`ALTER TABLE ${s}."controllers" ADD COLUMN stack VARCHAR`],
};
