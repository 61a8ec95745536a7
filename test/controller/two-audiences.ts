import { Audience, DataGraph } from '../../src/model/index.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { SCHEMA, freshWarehouse } from '../compute/helpers.js';

/** A DuckDB file with five premium profiles and two applied hourly audiences of them; returns its path. */
export async function twoAudiences(keys: [string, string] = ['first', 'second']): Promise<string> {
  const { wh, path } = await freshWarehouse();
  await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 'premium' AS plan FROM range(5) t(i)`);
  const ctx = { applyId: 'a1', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 's' };
  await writeResource(wh, SCHEMA, 'data_graph', 'graph', DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } }), ctx, true);
  for (const key of keys) {
    const audience = Audience.parse({ key, name: key, enabled: true, schedule: { type: 'interval', every: '1h' }, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });
    await writeResource(wh, SCHEMA, 'audience', key, audience, ctx, true);
  }
  await wh.close();
  return path;
}
