import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { migrateState } from '../../src/state/migrate.js';
const wh = await openDuckDb(':memory:');
await migrateState(wh, 'S');
const N = 1_000_000;
await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 'u' || i || '@example.com' AS email, 'premium' AS plan FROM range(1, ? + 1) t(i)`, [N]);
await wh.query(`INSERT INTO "S"."outbox" SELECT i, 'bench', 'run-1', 'entered', 'u' || i, NULL, NULL, FALSE, CURRENT_TIMESTAMP FROM range(1, ? + 1) t(i)`, [N]);
for (const start of [0, 500000, 990000]) {
  let a = performance.now();
  const { rows } = await wh.query(`SELECT id, audience_key, run_id, kind, profile_id, entity_path, entity_id, created_at FROM "S"."outbox" o WHERE o.id > ? AND o.audience_key = ? AND o.kind IN (?) AND o.baseline = FALSE ORDER BY o.id LIMIT 5000`, [start, 'bench', 'entered']);
  const t1 = performance.now() - a; a = performance.now();
  const ids = rows.map((r: any) => r.profile_id);
  await wh.query(`SELECT CAST(p.user_id AS VARCHAR) AS __id, p.email, p.plan FROM main.profiles p WHERE CAST(p.user_id AS VARCHAR) IN (${ids.map(() => '?').join(',')})`, ids);
  const t2 = performance.now() - a; a = performance.now();
  await wh.query(`SELECT CAST(p.user_id AS VARCHAR) AS __id, p.email, p.plan FROM main.profiles p WHERE p.user_id IN (SELECT unnest(?::VARCHAR[]))`, [ids]).catch(e => console.log('unnest', e.message));
  const t3 = performance.now() - a; a = performance.now();
  await wh.query(`SELECT CAST(p.user_id AS VARCHAR) AS __id, p.email, p.plan FROM main.profiles p JOIN (SELECT profile_id FROM "S"."outbox" WHERE id > ? AND id <= ?) o ON CAST(p.user_id AS VARCHAR) = o.profile_id`, [start, start+5000]);
  const t4 = performance.now() - a;
  console.log({ start, read: t1.toFixed(0), inlist: t2.toFixed(0), unnest: t3.toFixed(0), join: t4.toFixed(0) });
}
