import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { migrateState } from '../../src/state/migrate.js';
const wh = await openDuckDb('/tmp/probe.duckdb');
await migrateState(wh, 'S');
const N = 1000000;
await wh.query(`INSERT INTO "S"."outbox" SELECT i, 'bench', 'run-1', 'entered', 'u' || i, NULL, NULL, FALSE, CURRENT_TIMESTAMP FROM range(1, ? + 1) t(i)`, [N]);
await wh.query('CHECKPOINT');
const variants: Record<string, string> = {
  current: `SELECT id, audience_key, run_id, kind, profile_id, entity_path, entity_id, created_at FROM "S"."outbox" o WHERE o.id > ? AND o.audience_key = ? AND o.kind IN (?) AND o.baseline = FALSE ORDER BY o.id LIMIT 5000`,
  tsText: `SELECT id, run_id, kind, profile_id, entity_path, entity_id, CAST(created_at AS VARCHAR) AS created_at FROM "S"."outbox" o WHERE o.id > ? AND o.audience_key = ? AND o.kind IN (?) AND o.baseline = FALSE ORDER BY o.id LIMIT 5000`,
  five: `SELECT id, kind, profile_id, entity_id, CAST(created_at AS VARCHAR) AS created_at FROM "S"."outbox" o WHERE o.id > ? AND o.audience_key = ? AND o.kind IN (?) AND o.baseline = FALSE ORDER BY o.id LIMIT 5000`,
  packed: `SELECT CAST(id AS VARCHAR) || '|' || kind || '|' || profile_id || '|' || COALESCE(entity_id, '') || '|' || CAST(created_at AS VARCHAR) AS r FROM "S"."outbox" o WHERE o.id > ? AND o.audience_key = ? AND o.kind IN (?) AND o.baseline = FALSE ORDER BY o.id LIMIT 5000`,
  countOnly: `SELECT count(*) FROM (SELECT id FROM "S"."outbox" o WHERE o.id > ? AND o.audience_key = ? AND o.kind IN (?) AND o.baseline = FALSE ORDER BY o.id LIMIT 5000)`,
};
for (const start of [0, 500000, 900000]) for (const [k, sql] of Object.entries(variants)) {
  const a = performance.now();
  await wh.query(sql, [start, 'bench', 'entered']);
  console.log(start, k, (performance.now() - a).toFixed(0));
}
await wh.close();
