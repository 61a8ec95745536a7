import { afterEach, describe, expect, it } from 'vitest';
import { runAudience } from '../../src/compute/run.js';
import type { CompiledAudience } from '../../src/compute/types.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { SCHEMA, freshWarehouse, outboxRows, replayMismatches } from './helpers.js';
import { rng } from '../support/generate.js';

/*
 * Runs over changing data: rows inserted, updated and deleted between runs. The expected deltas
 * are computed here in JS from our own copy of the data, independently of the SQL.
 */
interface Profile { id: string; score: number | null }
interface Account { id: string; userId: string; balance: number }

const THRESHOLD = 600;
const queries: CompiledAudience = {
  membership: { sql: 'SELECT user_id AS profile_id FROM main.profiles WHERE score >= ?', params: [THRESHOLD] },
  entities: [
    {
      path: 'accounts',
      query: {
        sql: `SELECT p.user_id AS profile_id, 'accounts' AS entity_path, a.account_id AS entity_id
                FROM main.profiles p JOIN main.accounts a ON a.user_id = p.user_id
               WHERE p.score >= ? AND a.balance > ?`,
        params: [THRESHOLD, 100],
      },
    },
  ],
};

function expectedMembers(ps: Map<string, Profile>) {
  return new Set([...ps.values()].filter((p) => p.score !== null && p.score >= THRESHOLD).map((p) => p.id));
}
function expectedEntities(ps: Map<string, Profile>, as: Map<string, Account>) {
  const members = expectedMembers(ps);
  return new Set([...as.values()].filter((a) => members.has(a.userId) && a.balance > 100).map((a) => `${a.userId}|${a.id}`));
}
const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x)).sort();

async function load(wh: Warehouse, ps: Map<string, Profile>, as: Map<string, Account>) {
  await wh.query('DELETE FROM main.profiles');
  await wh.query('DELETE FROM main.accounts');
  const profiles = [...ps.values()];
  const accounts = [...as.values()];
  if (profiles.length) await wh.query(`INSERT INTO main.profiles VALUES ${profiles.map(() => '(?, ?)').join(', ')}`, profiles.flatMap((p) => [p.id, p.score]));
  if (accounts.length) {
    await wh.query(`INSERT INTO main.accounts VALUES ${accounts.map(() => '(?, ?, ?)').join(', ')}`, accounts.flatMap((a) => [a.id, a.userId, a.balance]));
  }
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => close?.());

describe('runs over changing data', () => {
  it('give exactly the expected profile and entity deltas, run after run', async () => {
    const { wh } = await freshWarehouse();
    close = () => wh.close();
    await wh.query('CREATE TABLE main.profiles (user_id VARCHAR, score INTEGER)');
    await wh.query('CREATE TABLE main.accounts (account_id VARCHAR, user_id VARCHAR, balance DOUBLE)');
    const rnd = rng(42).next;
    const ps = new Map<string, Profile>();
    const as = new Map<string, Account>();
    let nextP = 0;
    let nextA = 0;
    const addProfile = () => {
      const id = `u${nextP++}`;
      ps.set(id, { id, score: rnd() < 0.05 ? null : Math.floor(300 + rnd() * 550) });
      for (let i = Math.floor(rnd() * 4); i > 0; i--) {
        const aid = `a${nextA++}`;
        as.set(aid, { id: aid, userId: id, balance: Math.floor(rnd() * 400) });
      }
    };
    for (let i = 0; i < 150; i++) addProfile();
    await load(wh, ps, as);

    let prevM = new Set<string>();
    let prevE = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const summary = await runAudience(wh, { schema: SCHEMA, audienceKey: 'high-score', trigger: 'manual', compile: () => queries });
      expect(summary.error).toBeUndefined();
      expect(summary.status).toBe('Live');
      const m = expectedMembers(ps);
      const e = expectedEntities(ps, as);
      const rows = await outboxRows(wh, 'run_id = ?', [summary.runId]);
      const of = (kind: string) => rows.filter((r) => r.kind === kind);
      expect(of('entered').map((r) => r.profile_id).sort()).toEqual(minus(m, prevM));
      expect(of('exited').map((r) => r.profile_id).sort()).toEqual(minus(prevM, m));
      expect(of('entity_added').map((r) => `${r.profile_id}|${r.entity_id}`).sort()).toEqual(minus(e, prevE));
      expect(of('entity_removed').map((r) => `${r.profile_id}|${r.entity_id}`).sort()).toEqual(minus(prevE, e));
      expect(of('entity_added').every((r) => r.entity_path === 'accounts')).toBe(true);
      // The first run records the baseline; later runs are ordinary changes.
      expect(rows.every((r) => r.baseline === (round === 0))).toBe(true);
      expect(summary.baseline).toBe(round === 0);
      expect([summary.members, summary.entered, summary.exited, summary.entitiesAdded, summary.entitiesRemoved]).toEqual([
        m.size,
        minus(m, prevM).length,
        minus(prevM, m).length,
        minus(e, prevE).length,
        minus(prevE, e).length,
      ]);
      if (round > 0) expect(rows.length).toBeGreaterThan(0);
      prevM = m;
      prevE = e;

      // Change the data: inserts, updates (in and out of the audience), deletes.
      for (let i = 0; i < 10; i++) addProfile();
      const ids = [...ps.keys()];
      for (let i = 0; i < 15; i++) {
        const p = ps.get(ids[Math.floor(rnd() * ids.length)]!)!;
        p.score = rnd() < 0.1 ? null : Math.floor(300 + rnd() * 550);
      }
      for (let i = 0; i < 5; i++) ps.delete(ids[Math.floor(rnd() * ids.length)]!);
      const aids = [...as.keys()];
      for (let i = 0; i < 20; i++) {
        const a = as.get(aids[Math.floor(rnd() * aids.length)]!);
        if (a) a.balance = Math.floor(rnd() * 400);
      }
      for (let i = 0; i < 8; i++) as.delete(aids[Math.floor(rnd() * aids.length)]!);
      await load(wh, ps, as);
    }
    expect(await replayMismatches(wh)).toEqual([]);
  });

  it('a run with no change writes no outbox rows and keeps the snapshot', async () => {
    const { wh } = await freshWarehouse();
    close = () => wh.close();
    await wh.query("CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 500 + i AS score FROM range(200) t(i)");
    await wh.query("CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || (i % 200) AS user_id, 150.0 AS balance FROM range(300) t(i)");
    const first = await runAudience(wh, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => queries });
    expect(first.entered).toBe(100); // scores 600..699 of 500..699
    const second = await runAudience(wh, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => queries });
    expect([second.entered, second.exited, second.entitiesAdded, second.entitiesRemoved, second.members]).toEqual([0, 0, 0, 0, 100]);
    expect(await outboxRows(wh, 'run_id = ?', [second.runId])).toEqual([]);
    expect(await replayMismatches(wh)).toEqual([]);
  });

  it('an entity path added later records its own baseline; a dropped path drops its snapshot', async () => {
    const { wh } = await freshWarehouse();
    close = () => wh.close();
    await wh.query("CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 700 AS score FROM range(10) t(i)");
    await wh.query("CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || i AS user_id, 500.0 AS balance FROM range(10) t(i)");
    const membersOnly: CompiledAudience = { membership: queries.membership, entities: [] };
    await runAudience(wh, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => membersOnly });
    const withPath = await runAudience(wh, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => queries });
    const rows = await outboxRows(wh, 'run_id = ?', [withPath.runId]);
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r.kind === 'entity_added' && r.baseline)).toBe(true);
    await runAudience(wh, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => membersOnly });
    const left = await wh.query(`SELECT COUNT(*) AS n FROM "${SCHEMA}"."entity_matches"`);
    expect(Number(left.rows[0]!.n)).toBe(0);
  });
});
