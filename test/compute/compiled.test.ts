import { afterEach, describe, expect, it } from 'vitest';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { readRuns, readStatus } from '../../src/compute/status.js';
import { computeNow } from '../../src/controller/compute-now.js';
import { Controller } from '../../src/controller/controller.js';
import { Audience, DataGraph, EventEmitter } from '../../src/model/index.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { SCHEMA, freshWarehouse, outboxRows, replayMismatches, computeTables } from './helpers.js';

/* The run wired to the real compiler (src/sql) and the real applied state (src/state). */

const graph = DataGraph.parse({
  profile: { table: 'main.profiles', id: 'user_id', traits: ['plan', 'score'], identifiers: ['user_id'] },
  entities: [
    { slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'account_id' },
    { slug: 'loan', name: 'Loan', table: 'main.loans', primaryKey: 'loan_id' },
  ],
  relationships: [
    { slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_id', entityColumn: 'user_id' } },
    { slug: 'loans', name: 'Loans', entity: 'loan', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_id', entityColumn: 'user_id' } },
  ],
});
const rich = Audience.parse({
  key: 'rich',
  name: 'Rich',
  enabled: true,
  schedule: { type: 'interval', every: '1h' },
  condition: {
    kind: 'and',
    conditions: [
      { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
      { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 1000 } } },
    ],
  },
});
const richHighScore = Audience.parse({
  key: 'rich-high',
  name: 'Rich, high score',
  enabled: true,
  schedule: { type: 'interval', every: '1h' },
  condition: {
    kind: 'and',
    conditions: [
      { kind: 'audience', audience: 'rich', source: 'linked' },
      { kind: 'trait', trait: 'score', operator: 'gte', value: { literal: 700 } },
    ],
  },
});
const emitter = EventEmitter.parse({ key: 'rich-accounts', audience: 'rich', destination: 'hook', trigger: 'entity_added', entityPath: ['accounts'] });

async function apply(wh: Warehouse, g = graph) {
  const ctx = { applyId: 'test', appliedAt: new Date(), appliedBy: 'test', commitSha: null, stack: 'bank' };
  await writeResource(wh, SCHEMA, 'data_graph', g.key, g, ctx, true);
  await writeResource(wh, SCHEMA, 'audience', rich.key, rich, ctx, true);
  await writeResource(wh, SCHEMA, 'audience', richHighScore.key, richHighScore, ctx, true);
  await writeResource(wh, SCHEMA, 'event_emitter', emitter.key, emitter, ctx, true);
}

let wh: Warehouse | undefined;
afterEach(async () => wh?.close());

/** The audience as a run compiles it from the applied state. */
async function compileApplied(w: Warehouse, key: string) {
  const t = computeTables(w, SCHEMA);
  const model = await readAppliedModel(w, SCHEMA);
  return compileAudience(model!, key, { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date() });
}

async function expected(w: Warehouse) {
  const m = await w.query<{ id: string }>(
    `SELECT user_id AS id FROM main.profiles p WHERE plan = 'premium' AND EXISTS (SELECT 1 FROM main.accounts a WHERE a.user_id = p.user_id AND a.balance > 1000) ORDER BY 1`,
  );
  const e = await w.query<{ k: string }>(
    `SELECT p.user_id || '|' || a.account_id AS k FROM main.profiles p JOIN main.accounts a ON a.user_id = p.user_id
      WHERE p.plan = 'premium' AND a.balance > 1000 AND a.account_id IS NOT NULL ORDER BY 1`,
  );
  return { members: m.rows.map((r) => r.id), entities: e.rows.map((r) => r.k) };
}

describe('runs of applied audiences compiled by src/sql', () => {
  it('compute now: membership and the entity matches its emitters need, with exact deltas', async () => {
    const fresh = await freshWarehouse();
    wh = fresh.wh;
    await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 3 = 0 THEN 'premium' ELSE 'basic' END AS plan, 500 + (i * 37) % 350 AS score FROM range(300) t(i)`);
    await wh.query(`CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || (i % 300) AS user_id, CAST((i * 7919) % 3000 AS DOUBLE) AS balance FROM range(700) t(i)`);
    // A premium profile whose only rich account has no id: a member, with no entity to match.
    const [lone] = (
      await wh.query<{ id: string }>(
        `SELECT user_id AS id FROM main.profiles p WHERE plan = 'premium'
            AND NOT EXISTS (SELECT 1 FROM main.accounts a WHERE a.user_id = p.user_id AND a.balance > 1000) ORDER BY 1 LIMIT 1`,
      )
    ).rows;
    await wh.query(`INSERT INTO main.accounts VALUES (NULL, ?, 5000)`, [lone!.id]);
    await apply(wh);
    // This audience takes the one-query path (members and account matches together).
    expect((await compileApplied(wh, 'rich')).membershipFromEntities).toBe('accounts');

    const first = await computeNow(wh, SCHEMA, 'rich');
    if (first.kind !== 'computed') throw new Error('expected a local compute');
    expect(first.summary.error).toBeUndefined();
    const e1 = await expected(wh);
    expect(first.summary.members).toBe(e1.members.length);
    const rows1 = await outboxRows(wh, 'run_id = ?', [first.summary.runId]);
    expect(rows1.filter((r) => r.kind === 'entered').map((r) => r.profile_id).sort()).toEqual([...e1.members].sort());
    expect(rows1.filter((r) => r.kind === 'entity_added').map((r) => `${r.profile_id}|${r.entity_id}`).sort()).toEqual([...e1.entities].sort());
    expect(rows1.every((r) => r.baseline)).toBe(true);
    expect(e1.members).toContain(lone!.id);
    expect(rows1.some((r) => r.kind === 'entity_added' && r.profile_id === lone!.id)).toBe(false);

    // Changes: an account drops below the threshold, a profile upgrades, one is deleted.
    await wh.query(`UPDATE main.accounts SET balance = 10 WHERE account_id IN (SELECT account_id FROM main.accounts WHERE balance > 1000 ORDER BY account_id LIMIT 5)`);
    await wh.query(`UPDATE main.profiles SET plan = 'premium' WHERE user_id IN ('u1', 'u2', 'u4', 'u5')`);
    await wh.query(`DELETE FROM main.profiles WHERE user_id IN ('u0', 'u3')`);
    const second = await computeNow(wh, SCHEMA, 'rich');
    if (second.kind !== 'computed') throw new Error('expected a local compute');
    const e2 = await expected(wh);
    const rows2 = await outboxRows(wh, 'run_id = ?', [second.summary.runId]);
    const minus = (a: string[], b: string[]) => a.filter((x) => !b.includes(x)).sort();
    const pick = (kind: string, f: (r: (typeof rows2)[number]) => string) => rows2.filter((r) => r.kind === kind).map(f).sort();
    expect(pick('entered', (r) => r.profile_id)).toEqual(minus(e2.members, e1.members));
    expect(pick('exited', (r) => r.profile_id)).toEqual(minus(e1.members, e2.members));
    expect(pick('entity_added', (r) => `${r.profile_id}|${r.entity_id}`)).toEqual(minus(e2.entities, e1.entities));
    expect(pick('entity_removed', (r) => `${r.profile_id}|${r.entity_id}`)).toEqual(minus(e1.entities, e2.entities));
    expect(rows2.length).toBeGreaterThan(0);
    expect(rows2.some((r) => r.baseline)).toBe(false);
    expect(await replayMismatches(wh)).toEqual([]);
  });

  /** The run of `rich` (and its warehouse) after `g` was applied and the warehouse renamed accounts.balance. */
  async function runAfterBalanceRenamed(g = graph) {
    const w = (wh = (await freshWarehouse()).wh);
    await w.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 'premium' AS plan, 600 AS score FROM range(20) t(i)`);
    await w.query(`CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || i AS user_id, 5000.0 AS balance FROM range(20) t(i)`);
    await w.query(`CREATE TABLE main.loans (loan_id VARCHAR, user_id VARCHAR)`);
    await apply(w, g);
    await w.query('ALTER TABLE main.accounts RENAME COLUMN balance TO balance_usd');
    const run = await computeNow(w, SCHEMA, 'rich');
    if (run.kind !== 'computed') throw new Error('expected a local compute');
    return { w, run };
  }

  it('a column renamed in the warehouse after the apply: the failed run names the column, not the SQL\'s aliases', async () => {
    const { w, run } = await runAfterBalanceRenamed();
    expect(run.summary.error?.code).toBe('SQL_COMPILATION');
    // The seed's words and the warehouse's message first, then what changed.
    expect(run.summary.error?.message).toMatch(/^extract phase failed: An unexpected DuckDB error occurred trying to execute your model query: SQL compilation error: /);
    expect(run.summary.error?.message).toMatch(/\nThe warehouse no longer matches the applied Data Graph: Column balance \(entity account column\) does not exist in warehouse table main\.accounts \(Known: account_id, balance_usd, user_id\)\. Restore it/);
    // What `linked runs` shows: the run's recorded message.
    const [recorded] = await readRuns(w, SCHEMA, { audienceKey: 'rich', limit: 1 });
    expect(recorded?.errorMessage).toContain('Column balance (entity account column) does not exist');
  });

  it('a column the graph declares and the condition reads is named once when the warehouse loses it', async () => {
    const declared = DataGraph.parse({ ...graph, entities: graph.entities.map((e) => (e.slug === 'account' ? { ...e, columns: ['user_id', 'balance'] } : e)) });
    const { run } = await runAfterBalanceRenamed(declared);
    const drift = run.summary.error?.message.split('\nThe warehouse no longer matches the applied Data Graph: ')[1];
    expect(drift).toBe('Column balance (entity account column) does not exist in warehouse table main.accounts (Known: account_id, balance_usd, user_id). Restore it, or change the Data Graph and apply ("linked drift" lists every difference).');
  });

  it('the controller computes an audience after the linked audience it uses, reading its snapshot', async () => {
    const fresh = await freshWarehouse();
    await fresh.wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 2 = 0 THEN 'premium' ELSE 'basic' END AS plan, 600 + (i * 13) % 200 AS score FROM range(200) t(i)`);
    await fresh.wh.query(`CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || (i % 200) AS user_id, 5000.0 AS balance FROM range(200) t(i)`);
    await apply(fresh.wh);
    await fresh.wh.close();
    const controller = new Controller({ open: () => openDuckDb(fresh.path), schema: SCHEMA, loadModel: (w) => readAppliedModel(w, SCHEMA) });
    const report = await controller.tick('once');
    await controller.stop();
    expect(report.runs.map((r) => [r.audienceKey, r.status])).toEqual([
      ['rich', 'Live'],
      ['rich-high', 'Live'],
    ]);
    wh = await openDuckDb(fresh.path);
    const truth = await wh.query<{ n: number }>(`SELECT COUNT(*) AS n FROM main.profiles WHERE plan = 'premium' AND score >= 700`);
    expect(report.runs[1]!.members).toBe(Number(truth.rows[0]!.n));
    expect(report.runs[1]!.members).toBeGreaterThan(0);
    expect((await readStatus(wh, SCHEMA, 'rich-high'))?.status).toBe('Live');
  });

  it('with a second entity path, that path matches the members the one query found', async () => {
    const fresh = await freshWarehouse();
    wh = fresh.wh;
    await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 3 = 0 THEN 'premium' ELSE 'basic' END AS plan, 500 AS score FROM range(300) t(i)`);
    await wh.query(`CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || (i % 300) AS user_id, CAST((i * 7919) % 3000 AS DOUBLE) AS balance FROM range(700) t(i)`);
    await wh.query(`CREATE TABLE main.loans AS SELECT 'l' || i AS loan_id, 'u' || ((i * 7) % 300) AS user_id, CAST(i % 5 AS DOUBLE) AS arrears FROM range(400) t(i)`);
    await apply(wh);
    const borrowers = Audience.parse({
      ...rich,
      key: 'rich-borrowers',
      condition: {
        kind: 'and',
        conditions: [
          ...(rich.condition.kind === 'and' ? rich.condition.conditions : []),
          { kind: 'entity', relationship: 'loans', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'arrears', operator: 'gte', value: { literal: 2 } } },
        ],
      },
    });
    const ctx = { applyId: 't3', appliedAt: new Date(), appliedBy: 'test', commitSha: null, stack: 'bank' };
    await writeResource(wh, SCHEMA, 'audience', borrowers.key, borrowers, ctx, true);
    for (const path of ['accounts', 'loans']) {
      const e = EventEmitter.parse({ key: `borrowers-${path}`, audience: borrowers.key, destination: 'hook', trigger: 'entity_added', entityPath: [path] });
      await writeResource(wh, SCHEMA, 'event_emitter', e.key, e, ctx, true);
    }
    expect((await compileApplied(wh, borrowers.key)).membershipFromEntities).toBe('accounts');

    const r = await computeNow(wh, SCHEMA, borrowers.key);
    if (r.kind !== 'computed') throw new Error('expected a local compute');
    expect(r.summary.error).toBeUndefined();
    const members = `SELECT user_id FROM main.profiles p WHERE plan = 'premium'
                       AND EXISTS (SELECT 1 FROM main.accounts a WHERE a.user_id = p.user_id AND a.balance > 1000)
                       AND EXISTS (SELECT 1 FROM main.loans l WHERE l.user_id = p.user_id AND l.arrears >= 2)`;
    const truth = async (sql: string) => (await wh!.query<{ k: string }>(sql)).rows.map((x) => x.k).sort();
    const loans = await truth(`SELECT l.user_id || '|' || l.loan_id AS k FROM main.loans l WHERE l.arrears >= 2 AND l.user_id IN (${members})`);
    const accounts = await truth(`SELECT a.user_id || '|' || a.account_id AS k FROM main.accounts a WHERE a.balance > 1000 AND a.user_id IN (${members})`);
    const rows = await outboxRows(wh, 'run_id = ?', [r.summary.runId]);
    const added = (path: string) => rows.filter((x) => x.kind === 'entity_added' && x.entity_path === path).map((x) => `${x.profile_id}|${x.entity_id}`).sort();
    expect(r.summary.members).toBe((await truth(`SELECT user_id AS k FROM (${members})`)).length);
    expect(r.summary.members).toBeGreaterThan(0);
    expect(added('loans')).toEqual(loans);
    expect(added('accounts')).toEqual(accounts);
  });

  it('compiled queries return distinct rows over duplicated entity rows, so the results check only counts', async () => {
    const fresh = await freshWarehouse();
    wh = fresh.wh;
    // Every rich account appears twice. (A repeated profile id fails the run: test/sql/messy-data.test.ts.)
    await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 3 = 0 THEN 'premium' ELSE 'basic' END AS plan, 700 AS score FROM range(100) t(i)`);
    await wh.query(`CREATE TABLE main.accounts AS SELECT 'a' || (i % 150) AS account_id, 'u' || (i % 150 % 100) AS user_id, 5000.0 AS balance FROM range(300) t(i)`);
    await apply(wh);
    const r = await computeNow(wh, SCHEMA, 'rich');
    if (r.kind !== 'computed') throw new Error('expected a local compute');
    const truth = await expected(wh);
    expect(r.summary).toMatchObject({ status: 'Live', members: new Set(truth.members).size, entitiesAdded: new Set(truth.entities).size });
    expect(truth.entities.length).toBeGreaterThan(new Set(truth.entities).size);
    // rich-high reads rich's snapshot, so it is checked after rich ran.
    for (const key of ['rich', 'rich-high']) {
      const compiled = await compileApplied(wh, key);
      expect(compiled.distinctRows).toBe(true);
      for (const q of [compiled.membership, ...compiled.entities.map((e) => e.query)]) {
        const { rows } = await wh.query<{ n: unknown; distinct_n: unknown }>(`SELECT COUNT(*) AS n, COUNT(DISTINCT q) AS distinct_n FROM (${q.sql}) q`, q.params);
        expect(Number(rows[0]!.n)).toBeGreaterThan(0);
        expect(Number(rows[0]!.distinct_n)).toBe(Number(rows[0]!.n));
      }
    }
  });

  it('a graph error from the compiler terminates the run with the seed message', async () => {
    const fresh = await freshWarehouse();
    wh = fresh.wh;
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, plan VARCHAR, score INTEGER)`);
    await wh.query(`CREATE TABLE main.accounts (account_id VARCHAR, user_id VARCHAR, balance DOUBLE)`);
    await apply(wh);
    const broken = Audience.parse({ ...rich, key: 'broken', condition: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 } } });
    const ctx = { applyId: 't2', appliedAt: new Date(), appliedBy: 'test', commitSha: null, stack: 'bank' };
    await writeResource(wh, SCHEMA, 'audience', broken.key, broken, ctx, true);
    const r = await computeNow(wh, SCHEMA, 'broken');
    if (r.kind !== 'computed') throw new Error('expected a local compute');
    expect(r.summary.status).toBe('Failed');
    expect(r.summary.error?.action).toBe('terminate');
    expect(r.summary.error?.message).toMatch(/Entity relationship not in Data Graph|Entity missing from Data Graph/);
  });
});
