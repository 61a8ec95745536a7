import type { Migration } from './types.js';

/**
 * The delivery record of outbox events as page ranges (a million events must not cost a
 * million state rows, nor the memory the warehouse spends writing them). Columns may be added
 * later, never renamed.
 *
 * - `delivery_pages`: one row per committed prefix of a page read from the outbox: the outbox ids
 *   in (after_id, through_id] that match the emitter's filter as it was then (audience, kinds as
 *   `,entered,exited,`, entity path, whether baseline rows count) were sent, except those
 *   dead-lettered in the same run (those have their own `delivery_events` row). The outbox is
 *   append-only, so the range always expands to the same rows.
 * - `delivery_log`: the view auditors and `linked deliveries` read: `delivery_events` (backfill
 *   events, dead letters, replays) and the expanded page ranges, in one shape, with messageIds
 *   computed exactly as delivery computed them.
 */
export const migration: Migration = {
  version: 5,
  name: 'delivery_pages',
  up: (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}."delivery_pages" (
      run_id VARCHAR NOT NULL, emitter_key VARCHAR NOT NULL, destination_key VARCHAR NOT NULL, event VARCHAR NOT NULL,
      audience_key VARCHAR NOT NULL, kinds VARCHAR NOT NULL, entity_path VARCHAR, with_baseline BOOLEAN NOT NULL,
      message_id_prefix VARCHAR NOT NULL, after_id BIGINT NOT NULL, through_id BIGINT NOT NULL, delivered_at TIMESTAMP NOT NULL)`,
    `CREATE OR REPLACE VIEW ${s}."delivery_log" AS
      SELECT run_id, emitter_key, destination_key, source, source_id, message_id, user_id, event, kind, entity_id, status, delivered_at
        FROM ${s}."delivery_events"
      UNION ALL
      SELECT p.run_id, p.emitter_key, p.destination_key, 'outbox', o.id, md5(p.message_id_prefix || CAST(o.id AS VARCHAR)), o.profile_id,
             p.event, o.kind, o.entity_id, 'sent', p.delivered_at
        FROM ${s}."delivery_pages" p
        JOIN ${s}."outbox" o ON o.id > p.after_id AND o.id <= p.through_id
       WHERE o.audience_key = p.audience_key
         AND POSITION(',' || o.kind || ',' IN p.kinds) > 0
         AND (p.entity_path IS NULL OR o.entity_path = p.entity_path)
         AND (p.with_baseline OR o.baseline = FALSE)
         AND NOT EXISTS (SELECT 1 FROM ${s}."delivery_events" d
                          WHERE d.status = 'dead_lettered' AND d.source = 'outbox' AND d.run_id = p.run_id
                            AND d.emitter_key = p.emitter_key AND d.source_id = o.id)`,
  ],
};
