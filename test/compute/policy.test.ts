import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../src/compute/policy.js';
import { runAudience, type RunOptions } from '../../src/compute/run.js';
import { readRuns, readStatus, resumeAudience } from '../../src/compute/status.js';
import type { CompiledAudience } from '../../src/compute/types.js';
import { LinkedError } from '../../src/model/errors.js';
import { WarehouseError } from '../../src/warehouse/errors.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { FaultyWarehouse, type Fault } from './faulty.js';
import { SCHEMA, freshWarehouse, outboxRows, replayMismatches } from './helpers.js';

/** One test per row of the seed's error table (DESIGN D10), each through a real DuckDB file. */

const good: CompiledAudience = {
  membership: { sql: 'SELECT user_id AS profile_id FROM main.profiles WHERE score >= ?', params: [600] },
  entities: [{ path: 'accounts', query: { sql: 'SELECT user_id AS profile_id, account_id AS entity_id FROM main.accounts', params: [] } }],
};
const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };
const NEXT = new Date('2030-01-01T00:00:00Z');
const transient = () => new WarehouseError('WAREHOUSE_INTERNAL', 'IO Error: connection reset', true);
const fatal = () => new WarehouseError('WAREHOUSE', 'Invalid Input Error: disk full', false);

let wh: Warehouse;
beforeEach(async () => {
  wh = (await freshWarehouse()).wh;
  await wh.query("CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, 500 + i AS score FROM range(200) t(i)");
  await wh.query("CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || (i % 50) AS user_id FROM range(80) t(i)");
});
let injected: FaultyWarehouse[] = [];
afterEach(async () => {
  const unmatched = injected.flatMap((f) => f.unmatched().map((fault) => String(fault.pattern)));
  injected = [];
  await wh.close();
  // A pattern that stopped matching the SQL (after a rewrite) would let its test pass untested.
  expect(unmatched).toEqual([]);
});

const opts = (o: Partial<RunOptions> = {}): RunOptions => ({
  schema: SCHEMA,
  audienceKey: 'aud',
  trigger: 'schedule',
  compile: () => good,
  retry: FAST,
  nextRunAt: NEXT,
  ...o,
});
const faulty = (...faults: Fault[]) => {
  const f = new FaultyWarehouse(wh, faults);
  injected.push(f);
  return f;
};
const status = () => readStatus(wh, SCHEMA, 'aud');

async function expectTerminated(code: string, message: string | RegExp) {
  const s = await status();
  expect(s?.status).toBe('Failed');
  expect(s?.paused).toBe(false);
  expect(s?.nextRunAt?.toISOString()).toBe(NEXT.toISOString());
  const [run] = await readRuns(wh, SCHEMA, { audienceKey: 'aud' });
  expect(run!.status).toBe('Failed');
  expect(run!.errorCode).toBe(code);
  if (typeof message === 'string') expect(run!.errorMessage).toBe(message);
  else expect(run!.errorMessage).toMatch(message);
  expect(run!.endedAt).not.toBeNull();
  // Terminated: nothing written, and the next run executes normally.
  expect(await outboxRows(wh)).toEqual([]);
  const next = await runAudience(wh, opts());
  expect(next.status).toBe('Live');
  expect((await status())?.status).toBe('Live');
}

describe('error policy (the seed table)', () => {
  it('parse error: terminate with the seed message, execute the next run', async () => {
    const r = await runAudience(wh, opts({ compile: () => JSON.parse('{not json') as CompiledAudience }));
    expect(r.error).toMatchObject({ code: 'PARSE_ERROR', message: MESSAGES.unknown, action: 'terminate' });
    await expectTerminated('PARSE_ERROR', MESSAGES.unknown);
  });

  it('graph error (e.g. missing entity): terminate with its message, execute the next run', async () => {
    const r = await runAudience(wh, opts({ compile: () => { throw new LinkedError('ENTITY_MISSING', 'Entity missing from Data Graph: cards'); } }));
    expect(r.error?.action).toBe('terminate');
    await expectTerminated('ENTITY_MISSING', 'Entity missing from Data Graph: cards');
  });

  it('internal query error: retried with backoff inside the run', async () => {
    const f = faulty({ pattern: /INSERT INTO "LINKED_AUDIENCES"."membership_stage"/, times: 2, error: transient });
    const r = await runAudience(f, opts());
    expect(r.status).toBe('Live');
    expect(r.members).toBe(100);
    expect([...f.hits.values()][0]).toBe(3);
  });

  it('internal query error that persists: terminate with the seed message after the retries', async () => {
    const r = await runAudience(faulty({ pattern: /INSERT INTO "LINKED_AUDIENCES"."membership_stage"/, times: 99, error: transient }), opts());
    expect(r.error).toMatchObject({ code: 'UPDATE_MODEL_FAILED', message: MESSAGES.unexpected });
    await expectTerminated('UPDATE_MODEL_FAILED', MESSAGES.unexpected);
  });

  it('kick-off failure: retried inside the run', async () => {
    const f = faulty({ pattern: /INSERT INTO "LINKED_AUDIENCES"."runs"/, times: 1, error: transient });
    expect((await runAudience(f, opts())).status).toBe('Live');
  });

  it('update-model failure (entity stage): retried inside the run', async () => {
    const f = faulty({ pattern: /INSERT INTO "LINKED_AUDIENCES"."entity_matches_stage"/, times: 2, error: transient });
    const r = await runAudience(f, opts());
    expect(r.status).toBe('Live');
    expect(r.entitiesAdded).toBe(80);
  });

  it('check-results failure: retried inside the run', async () => {
    const f = faulty({ pattern: /MAX\(CASE WHEN "m"."n" > 1/, times: 1, error: transient });
    expect((await runAudience(f, opts())).status).toBe('Live');
    expect([...f.hits.values()][0]).toBe(2);
  });

  it('warehouse error: passed through, terminate', async () => {
    const r = await runAudience(wh, opts({ compile: () => ({ membership: { sql: "SELECT CAST(error('quota exceeded') AS VARCHAR) AS profile_id", params: [] }, entities: [] }) }));
    expect(r.error).toMatchObject({ code: 'WAREHOUSE', message: 'Invalid Input Error: quota exceeded', action: 'terminate' });
    await expectTerminated('WAREHOUSE', 'Invalid Input Error: quota exceeded');
  });

  it("SQL compilation error: terminate, shown with the warehouse's message", async () => {
    const r = await runAudience(wh, opts({ compile: () => ({ membership: { sql: 'SELECT user_id AS profile_id FROM main.dropped_table', params: [] }, entities: [] }) }));
    const expected = /^extract phase failed: An unexpected DuckDB error occurred trying to execute your model query: SQL compilation error: Catalog Error: Table with name dropped_table does not exist/;
    expect(r.error?.message).toMatch(expected);
    await expectTerminated('SQL_COMPILATION', expected);
  });

  it('duplicate records for an ID: detected and reported with the seed message', async () => {
    const dup = { sql: 'SELECT user_id AS profile_id FROM main.profiles UNION ALL SELECT ? AS profile_id', params: ['u7'] };
    const r = await runAudience(wh, opts({ compile: () => ({ membership: dup, entities: [] }) }));
    expect(r.error?.message).toBe(MESSAGES.duplicate('PROFILE_ID'));
    expect(r.error?.message).toContain('Duplicate records have been detected. This could be because the model query returned multiple records for the same ID column');
    await expectTerminated('DUPLICATE_RECORDS', MESSAGES.duplicate('PROFILE_ID'));
  });

  it('duplicate entity records: detected and reported', async () => {
    const dupEntities = { sql: 'SELECT user_id AS profile_id, account_id AS entity_id FROM main.accounts UNION ALL SELECT ?, ?', params: ['u1', 'a1'] };
    const r = await runAudience(wh, opts({ compile: () => ({ membership: good.membership, entities: [{ path: 'accounts', query: dupEntities }] }) }));
    expect(r.error).toMatchObject({ code: 'DUPLICATE_RECORDS', message: MESSAGES.duplicate('ENTITY_ID') });
  });

  for (const [label, pattern, code] of [
    ['process-results', /INSERT INTO "LINKED_AUDIENCES"."outbox"/, 'PROCESS_RESULTS_FAILED'],
    // u150 exits: loading removes it from the snapshot.
    ['load-results', /DELETE FROM "LINKED_AUDIENCES"."membership"\nWHERE/, 'LOAD_RESULTS_FAILED'],
  ] as const) {
    it(`${label} failure: pause for manual intervention, stays paused until resumed`, async () => {
      const first = await runAudience(wh, opts());
      expect(first.status).toBe('Live');
      await wh.query("UPDATE main.profiles SET score = 0 WHERE user_id = 'u150'");
      const before = await outboxRows(wh);
      const r = await runAudience(faulty({ pattern, times: 1, error: fatal }), opts());
      expect(r.error).toMatchObject({ code, message: MESSAGES.paused, action: 'pause' });
      expect(r.paused).toBe(true);
      const s = await status();
      expect(s).toMatchObject({ status: 'Failed', paused: true });
      expect(s?.pausedReason).toContain(MESSAGES.paused);
      // Nothing half-written: the transaction rolled back.
      expect(await outboxRows(wh)).toEqual(before);
      expect(await replayMismatches(wh)).toEqual([]);
      // Paused: no run starts until `linked resume`.
      await expect(runAudience(wh, opts())).rejects.toMatchObject({ code: 'AUDIENCE_PAUSED' });
      expect((await status())?.paused).toBe(true);
      await resumeAudience(wh, SCHEMA, 'aud');
      const after = await runAudience(wh, opts());
      expect(after).toMatchObject({ status: 'Live', exited: 1, entered: 0 });
      expect(await replayMismatches(wh)).toEqual([]);
    });
  }

  // The snapshot tables have no key (migration 006): the check of a commit that moves the snapshot
  // is what keeps them exact (a commit that moves nothing has nothing to check).
  for (const [label, tamper] of [
    ['the membership snapshot', `INSERT INTO "LINKED_AUDIENCES"."membership" SELECT audience_key, profile_id, run_id FROM "LINKED_AUDIENCES"."membership" WHERE profile_id = 'u120'`],
    ['an entity snapshot', `INSERT INTO "LINKED_AUDIENCES"."entity_matches" SELECT * FROM "LINKED_AUDIENCES"."entity_matches" WHERE entity_id = 'a7'`],
  ] as const) {
    it(`${label}, holding other rows than the run staged: load-results pauses, nothing written`, async () => {
      expect((await runAudience(wh, opts())).status).toBe('Live');
      await wh.query(tamper);
      // u150 exits (it has no accounts): the commit moves the snapshot.
      await wh.query(`UPDATE main.profiles SET score = 0 WHERE user_id = 'u150'`);
      const before = await outboxRows(wh);
      const r = await runAudience(wh, opts());
      expect(r.error).toMatchObject({ code: 'LOAD_RESULTS_FAILED', message: MESSAGES.paused, action: 'pause' });
      expect((await status())?.pausedReason).toMatch(
        /The (membership snapshot holds 100 profiles after loading, but the run computed 99|accounts entity snapshot holds 81 matches after loading, but the run computed 80)\. `linked resume aud --rebuild-snapshot` rebuilds it from the outbox\./,
      );
      expect(await outboxRows(wh)).toEqual(before);
    });
  }

  it('a cancelled run (SIGTERM before the commit) fails without writing', async () => {
    const ac = new AbortController();
    const r = await runAudience(wh, opts({ signal: ac.signal, onProgress: (p) => p.step === 'check-results' && ac.abort() }));
    expect(r.error).toMatchObject({ code: 'RUN_CANCELLED' });
    expect(await outboxRows(wh)).toEqual([]);
    expect((await status())?.status).toBe('Failed');
  });
});
