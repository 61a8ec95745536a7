import type { Migration } from './types.js';

/**
 * What a trace needs of a backfill event, kept with its line in the delivery record. An emitter's
 * backfill rows are dropped once the backfill is delivered (they are a copy of the snapshot, and
 * would otherwise double it per emitter), so the line records where the row came from: its
 * audience, the compute run whose membership (or entity matches) it was copied from, its entity
 * path and when it was copied. Null on outbox lines (the outbox row says it) and on lines
 * recorded before this migration. Columns may be added later, never renamed.
 */
export const migration: Migration = {
  version: 10,
  name: 'backfill_links',
  up: (s) => [
    `ALTER TABLE ${s}."delivery_events" ADD COLUMN audience_key VARCHAR`,
    `ALTER TABLE ${s}."delivery_events" ADD COLUMN compute_run_id VARCHAR`,
    `ALTER TABLE ${s}."delivery_events" ADD COLUMN entity_path VARCHAR`,
    `ALTER TABLE ${s}."delivery_events" ADD COLUMN source_created_at TIMESTAMP`,
  ],
};
