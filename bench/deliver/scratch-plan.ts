import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { migrateState } from '../../src/state/migrate.js';
const wh = await openDuckDb(':memory:');
const S = 'LINKED_AUDIENCES';
await migrateState(wh, S);
await wh.query(`INSERT INTO "${S}"."outbox" (id, audience_key, run_id, kind, profile_id, entity_path, entity_id, baseline, created_at) SELECT i, 'bench', 'run-1', 'entered', 'u' || i, NULL, NULL, FALSE, CURRENT_TIMESTAMP FROM range(1, 1000001) t(i)`);
const q = `SELECT o.id AS id, o.profile_id, o.created_at FROM "${S}"."outbox" o WHERE o.id > ? AND o.audience_key = ? AND o.kind IN (?) AND o.baseline = FALSE ORDER BY o.id LIMIT 5000`;
for (const after of [0, 500000, 900000]) {
  let t = performance.now(); await wh.query(q, [after, 'bench', 'entered']); console.log('param', after, (performance.now()-t).toFixed(1), 'ms');
  t = performance.now(); await wh.query(q.replace('o.id > ?', `o.id > ${after}`), ['bench', 'entered']); console.log('literal', after, (performance.now()-t).toFixed(1), 'ms');
  t = performance.now(); await wh.query(q.replace('o.id > ?', `o.id > ? AND o.id <= ? + 5000`), [after, after, 'bench', 'entered']); console.log('param range', after, (performance.now()-t).toFixed(1), 'ms');
}
const plan = await wh.query('EXPLAIN ANALYZE ' + q, [500000, 'bench', 'entered']);
console.log(Object.values(plan.rows[0]).join('\n'));
const cols = await wh.query(`SELECT * FROM duckdb_indexes() `); console.log(cols.rows);
const c2 = await wh.query(`SELECT constraint_text FROM duckdb_constraints() WHERE table_name='outbox'`); console.log(c2.rows);
await wh.close();
