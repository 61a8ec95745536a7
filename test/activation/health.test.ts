import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageIdOf } from '../../src/activation/build-event.js';
import { deliverAll, deliveryVerdict } from '../../src/activation/deliver.js';
import { readDeliveryHealth } from '../../src/activation/health.js';
import { listDeadLetters } from '../../src/activation/inspect.js';
import { replayDeadLetters } from '../../src/activation/replay.js';
import { deliveryExitCode, renderDeliverySummary } from '../../src/cli/commands/deliver.js';
import { renderDeliveryHealth } from '../../src/cli/commands/status.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { DaemonObservability } from '../../src/observe/daemon.js';
import { recordingWarehouse } from '../support/recording-warehouse.js';
import { parseMetrics } from '../observe/prometheus.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, json, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

const FAST = { retry: { baseDelayMs: 2, maxDelayMs: 5, maxAttempts: 3 }, timeoutMs: 2000 };
const HOUR = 3_600_000;

/** A clock the test moves: delivery reads it for the record and the retry budget. */
function clock(start = Date.now()) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

describe('delivery health: retry budget, blocked credentials, order, replay of superseded events', () => {
  let wh: Warehouse;
  let server: TestServer;
  /** The answer the destination gives: a status per request. */
  let answer: (body: any) => number;

  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 10);
    answer = () => 200;
    server = await startServer((req, _n, res) => {
      const status = answer(req.body);
      json(res, status, status === 200 ? { ok: true } : { error: `answer ${status}` });
    });
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  async function setup(opts: { batch?: boolean; batchSize?: number; retryBudgetMinutes?: number; trigger?: string; emitterKeys?: string[]; tokenSecret?: string } = {}) {
    const headers = opts.tokenSecret ? { headers: { Authorization: { secret: opts.tokenSecret } } } : {};
    await applyResources(
      wh,
      {
        graph: GRAPH,
        audiences: [AUDIENCE],
        destinations: [
          { key: 'hook', type: 'webhook', batchSize: opts.batchSize, retryBudgetMinutes: opts.retryBudgetMinutes, settings: { url: `${server.url}/hook`, batch: opts.batch ?? true, ...headers } },
        ],
        emitters: (opts.emitterKeys ?? ['changes']).map((key) => ({ key, audience: 'overdue-cards', destination: 'hook', trigger: opts.trigger ?? 'audience_entered' })),
      },
      new Date(Date.now() - 60_000),
    );
  }

  const users = (n: number, kind: 'entered' | 'exited' = 'entered') => Array.from({ length: n }, (_, i) => ({ kind, profileId: `u${i + 1}` }));

  it('creates the record on the first delivery, follows a new destination, and otherwise writes it only for the outcome', async () => {
    await setup();
    await insertOutbox(wh, users(2));
    const writes = async () => {
      const { wh: recorded, statements } = recordingWarehouse(wh);
      await deliverAll(recorded, SCHEMA, FAST);
      return statements.filter((s) => /^(INSERT INTO|UPDATE) "\w+"\."delivery_health"/.test(s.sql)).length;
    };
    // Created (insert, then the update that sets a record a contender created first), then the success.
    expect(await writes()).toBe(3);
    await insertOutbox(wh, users(2));
    expect(await writes()).toBe(1);
    await wh.query(`UPDATE ${SCHEMA}.delivery_health SET destination_key = 'elsewhere'`);
    await insertOutbox(wh, users(2));
    expect(await writes()).toBe(3);
    expect((await readDeliveryHealth(wh, SCHEMA))[0]).toMatchObject({ emitterKey: 'changes', destinationKey: 'hook' });
  });

  it("a pass of many pages writes its progress (the run's counts, the health record) at most once a minute, at its first answer and after a failure (the health record), and at its end", async () => {
    await setup({ batchSize: 2 });
    const t = clock();
    // The record exists (its creation writes it too).
    await insertOutbox(wh, users(2));
    await deliverAll(wh, SCHEMA, { ...FAST, now: t.now });
    const pass = async (msPerRequest: number, failFirstAttemptOf?: number) => {
      await insertOutbox(wh, users(10));
      let requests = 0;
      answer = () => {
        t.advance(msPerRequest);
        return ++requests === failFirstAttemptOf ? 500 : 200;
      };
      const { wh: recorded, statements } = recordingWarehouse(wh);
      const summary = await deliverAll(recorded, SCHEMA, { ...FAST, pageSize: 2, now: t.now });
      expect(summary.emitters[0]).toMatchObject({ status: 'delivered', sent: 10 });
      const health = (await readDeliveryHealth(wh, SCHEMA))[0];
      const run = await wh.query<{ sent: unknown; status: string }>(`SELECT sent, status FROM "${SCHEMA}".delivery_runs WHERE run_id = ?`, [summary.runId]);
      expect(run.rows.map((r) => [Number(r.sent), r.status])).toEqual([[10, 'delivered']]);
      const count = (re: RegExp) => statements.filter((s) => re.test(s.sql)).length;
      return {
        healthWrites: count(/^UPDATE "\w+"\."delivery_health"/),
        // The page commits' (the run's end sets its status).
        countWrites: count(/^UPDATE "\w+"\."delivery_runs" SET "sent"/),
        health,
        now: t.now().toISOString(),
      };
    };
    // Five pages 10 s apart: the health record by the first page's commit, then the fifth's
    // success once, at the end; the counts only by the run's end, within a minute of its start.
    const quick = await pass(10_000);
    expect([quick.healthWrites, quick.countWrites]).toEqual([2, 0]);
    expect(quick.health.lastSuccessAt).toBe(quick.now);
    // A minute apart: every page's commit.
    const slow = await pass(61_000);
    expect([slow.healthWrites, slow.countWrites]).toEqual([5, 5]);
    expect(slow.health.lastSuccessAt).toBe(slow.now);
    // A failed attempt on the second page (then accepted): its start, and the commit that ends it.
    const failing = await pass(10_000, 2);
    expect(failing.healthWrites).toBe(4);
    expect(failing.health).toMatchObject({ consecutiveFailures: 0, failingSince: null, lastError: null, lastSuccessAt: failing.now });
  });

  it('status reads every emitter\'s cursor in one statement', async () => {
    await setup({ emitterKeys: ['a', 'b', 'c'] });
    await insertOutbox(wh, users(2));
    await deliverAll(wh, SCHEMA, FAST);
    const { wh: recorded, statements } = recordingWarehouse(wh);
    const health = await readDeliveryHealth(recorded, SCHEMA);
    expect(health.map((h) => [h.emitterKey, h.state])).toEqual([['a', 'up_to_date'], ['b', 'up_to_date'], ['c', 'up_to_date']]);
    expect(statements.filter((st) => /FROM "\w+"\."delivery_cursors"/.test(st.sql))).toHaveLength(1);
  });

  it('dead-letters events past the retry budget with the last answer, goes on, says so in status, and replays them once the destination recovers', async () => {
    await setup({ retryBudgetMinutes: 30, batchSize: 6 });
    await insertOutbox(wh, users(6));
    // Started after the events were committed, as a real clock is: their budget runs from their first failure.
    const c = clock();
    answer = () => 503;

    // One batch, three attempts.
    const first = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(first.emitters[0]).toMatchObject({ status: 'partial', sent: 0, failed: 6, deadLettered: 0, requests: 3, consecutiveFailures: 3 });
    expect(first.emitters[0].retryBudgetEndsAt).toBe(new Date(c.now().getTime() + 30 * 60_000).toISOString());
    expect(deliveryVerdict(first)).toBe('incomplete');
    const retrying = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(retrying).toMatchObject([{ emitterKey: 'changes', state: 'retrying', pending: 6, consecutiveFailures: 3, deadLetters: 0, lastHttpStatus: 503 }]);
    expect(retrying[0].failingSince).toBe(c.now().toISOString());

    // Within the budget: still retrying, nothing dead-lettered, failures counted across runs.
    c.advance(20 * 60_000);
    const second = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(second.emitters[0]).toMatchObject({ status: 'partial', deadLettered: 0, consecutiveFailures: 6 });

    // Past the budget: the events go to dead letters at their next failure, and the emitter goes on.
    c.advance(15 * 60_000);
    const third = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(third.emitters[0]).toMatchObject({ status: 'delivered', sent: 0, deadLettered: 6, deadLetteredBy: { RETRY_BUDGET_EXHAUSTED: 6 } });
    expect(deliveryVerdict(third)).toBe('dead_lettered');
    expect(deliveryExitCode(third)).toBe(3);
    expect(third.alerts).toEqual([expect.objectContaining({ kind: 'dead_lettered', message: expect.stringContaining('6 events dead-lettered (6 RETRY_BUDGET_EXHAUSTED)') })]);
    const letters = await listDeadLetters(wh, SCHEMA);
    expect(letters).toHaveLength(6);
    for (const l of letters) expect(l).toMatchObject({ reasonCode: 'RETRY_BUDGET_EXHAUSTED', httpStatus: 503, responseBody: '{"error":"answer 503"}' });
    expect(letters[0].reason).toMatch(/retry budget \(30 min\)/);
    const after = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(after).toMatchObject([{ state: 'up_to_date', pending: 0, deadLetters: 6 }]);

    // The destination recovers: new events flow, and the dead letters replay.
    answer = () => 200;
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u7' }]);
    const fourth = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(fourth.emitters[0]).toMatchObject({ status: 'delivered', sent: 1, deadLettered: 0 });
    expect(deliveryVerdict(fourth)).toBe('delivered');
    expect(deliveryExitCode(fourth)).toBe(0);
    const replay = await replayDeadLetters(wh, SCHEMA, { emitter: 'changes' }, { ...FAST, now: c.now });
    expect(replay.replayed.sort((a, b) => a - b)).toEqual(letters.map((l) => l.id).sort((a, b) => a - b));
    expect(replay.skipped).toEqual([]);
    const healed = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(healed).toMatchObject([{ state: 'up_to_date', deadLetters: 0, consecutiveFailures: 0, failingSince: null }]);
    expect(healed[0].lastSuccessAt).toBe(c.now().toISOString());
  });

  it('keeps the budget of an event created during an outage from its creation: only events older than the budget go', async () => {
    await setup({ retryBudgetMinutes: 60 });
    await insertOutbox(wh, users(2), 'run-1');
    const c = clock();
    const outage = c.now().toISOString();
    answer = () => 500;
    await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    // Two hours into the outage, an event is committed; half an hour later only the old ones are past budget.
    c.advance(2 * HOUR);
    const u3Created = c.now();
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u3', createdAt: u3Created }], 'run-2');
    c.advance(HOUR / 2);
    const s = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(s.emitters[0]).toMatchObject({ status: 'partial', deadLettered: 2, failed: 1, failingSince: outage });
    const u3Ends = new Date(u3Created.getTime() + HOUR).toISOString();
    // The event it now stops at was committed during the outage: its budget ends an hour after its creation.
    expect(s.emitters[0].retryBudgetEndsAt).toBe(u3Ends);
    expect(renderDeliverySummary(s)).toContain(`failing since ${outage}; retrying until ${u3Ends}, then dead letters`);
    // Still the same outage: the episode goes on past the events dead-lettered.
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([{ state: 'retrying', failingSince: outage, retryBudgetEndsAt: u3Ends, consecutiveFailures: 4 }]);
    const first = await listDeadLetters(wh, SCHEMA);
    expect(first.map((l) => l.userId).sort()).toEqual(['u1', 'u2']);
    for (const l of first) expect(l.reason).toContain(`(1 h) since ${outage}; last answer: hook: HTTP 500`);
    c.advance(HOUR);
    const later = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(later.emitters[0]).toMatchObject({ status: 'delivered', deadLettered: 1 });
    // Its dead letter names when its budget started: its creation, not the outage's start.
    expect((await listDeadLetters(wh, SCHEMA)).find((l) => l.userId === 'u3')!.reason).toContain(`(1 h) since ${u3Created.toISOString()}`);
    // Nothing is stuck any more: the episode is over.
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([{ state: 'up_to_date', failingSince: null, consecutiveFailures: 0, retryBudgetEndsAt: null, lastError: null }]);
  });

  it('ends the failure episode when a pass dead-letters the events it was stuck on: a later event gets its whole budget from its own first failure', async () => {
    await setup({ retryBudgetMinutes: 1, trigger: 'audience_membership_changed', batch: false });
    await insertOutbox(wh, [{ kind: 'exited', profileId: 'u1' }]);
    const c = clock();
    const outage = c.now().toISOString();
    answer = () => 500;
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'partial', failingSince: outage, consecutiveFailures: 3 });

    c.advance(61_000);
    const expired = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(expired.emitters[0]).toMatchObject({ status: 'delivered', deadLettered: 1, deadLetteredBy: { RETRY_BUDGET_EXHAUSTED: 1 }, consecutiveFailures: 0, failingSince: null });
    const over = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(over).toMatchObject([{ state: 'up_to_date', failingSince: null, consecutiveFailures: 0, lastError: null, lastHttpStatus: null, deadLetters: 1 }]);
    expect(over[0].lastFailureAt).toBe(c.now().toISOString());
    expect(renderDeliveryHealth(over)).toMatch(/changes -> hook\s+up to date\s+0\s+-\s+-\s+0\s+1\n/);

    // New changes while nothing is failing; no delivery for longer than the budget.
    answer = () => 200;
    c.advance(10_000);
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u2', createdAt: c.now() }], 'run-2');
    c.advance(62_000);
    const waiting = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(waiting).toMatchObject([{ state: 'pending', pending: 1, failingSince: null, retryBudgetEndsAt: null }]);
    expect(renderDeliveryHealth(waiting)).not.toContain('go to dead letters');

    // One 500 per event, then 200: a fresh budget, so the event is retried and delivered.
    const failedOnce = new Set<string>();
    answer = (body) => (failedOnce.has(body.messageId) ? 200 : (failedOnce.add(body.messageId), 500));
    const before = server.requests.length;
    const s = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(s.emitters[0]).toMatchObject({ status: 'delivered', sent: 1, deadLettered: 0, retries: 1 });
    expect(server.requests.length - before).toBe(2);
    expect(await listDeadLetters(wh, SCHEMA)).toHaveLength(1);
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([{ state: 'up_to_date', failingSince: null, consecutiveFailures: 0 }]);
  });

  it('an episode left open on record (a crash before its end was written) does not judge events created after its last failure', async () => {
    await setup({ retryBudgetMinutes: 1, trigger: 'audience_membership_changed', batch: false });
    await insertOutbox(wh, [{ kind: 'exited', profileId: 'u1' }]);
    const c = clock();
    answer = () => 500;
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'partial', consecutiveFailures: 3 });
    c.advance(61_000);
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ deadLettered: 1 });
    // As a crash between the pass's last commit and its health write leaves the record: still failing.
    const stale = new Date(c.now().getTime() - 61_000).toISOString();
    await wh.query(`UPDATE "${SCHEMA}".delivery_health SET failing_since = CAST(? AS TIMESTAMP), consecutive_failures = 6`, [stale]);

    // A change after the last failure, not delivered for longer than the budget; then one 500 per event.
    answer = () => 200;
    c.advance(10_000);
    await insertOutbox(wh, [{ kind: 'entered', profileId: 'u2', createdAt: c.now() }], 'run-2');
    c.advance(62_000);
    const failedOnce = new Set<string>();
    answer = (body) => (failedOnce.has(body.messageId) ? 200 : (failedOnce.add(body.messageId), 500));
    const s = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(s.emitters[0]).toMatchObject({ status: 'delivered', sent: 1, deadLettered: 0, retries: 1 });
    expect(await listDeadLetters(wh, SCHEMA)).toHaveLength(1);
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([{ state: 'up_to_date', failingSince: null, consecutiveFailures: 0 }]);
  });

  it('a pass that dead-letters what failed before resets the failure count', async () => {
    await setup();
    await insertOutbox(wh, users(2));
    const c = clock();
    answer = () => 500;
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'partial', consecutiveFailures: 3 });
    answer = () => 400;
    c.advance(60_000);
    const refused = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(refused.emitters[0]).toMatchObject({ status: 'delivered', deadLettered: 2, deadLetteredBy: { DESTINATION_REJECTED: 2 }, consecutiveFailures: 0 });
    const health = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(health).toMatchObject([{ state: 'up_to_date', consecutiveFailures: 0, failingSince: null, lastError: null, lastHttpStatus: null, lastSuccessAt: null, deadLetters: 2 }]);
    expect(renderDeliveryHealth(health)).toMatch(/changes -> hook\s+up to date\s+0\s+-\s+-\s+0\s+2\n/);
  });

  it('any answer other than a refusal of the credentials ends a block: events refused for themselves, an accepted replay, a pass with nothing stuck', async () => {
    await setup({ batchSize: 3 });
    await insertOutbox(wh, users(4));
    const c = clock();
    const blockedState = async () => (await readDeliveryHealth(wh, SCHEMA, { now: c.now() }))[0];
    answer = () => 401;
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'blocked', blockedReason: 'credentials rejected' });

    // The credentials are accepted now, but every event is refused for itself: dead letters, and the block is over.
    answer = () => 400;
    c.advance(60_000);
    const refused = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(refused.emitters[0]).toMatchObject({ status: 'delivered', deadLettered: 4, blockedReason: null, consecutiveFailures: 0 });
    expect(await blockedState()).toMatchObject({ state: 'up_to_date', blockedReason: null, blockedSince: null, consecutiveFailures: 0, lastError: null, deadLetters: 4 });

    // Blocked again with new events waiting beside the dead letters: the note speaks of the waiting events only.
    await insertOutbox(wh, users(2), 'run-2');
    answer = () => 401;
    c.advance(60_000);
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'blocked' });
    const shown = renderDeliveryHealth(await readDeliveryHealth(wh, SCHEMA, { now: c.now() }));
    expect(shown).toMatch(/changes -> hook\s+blocked: credentials rejected\s+2\s/);
    // Blocked since this pass: the next try is the shortest wait after it.
    const nextTry = new Date(c.now().getTime() + 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(shown).toContain(
      `its 2 waiting events are kept, not dead-lettered. Fix the destination's credentials; then a delivering daemon (\`linked run\`, \`linked deliver --watch\`) resumes where it stopped at its next try, at ${nextTry} (at once after an apply that changes the destination, or a restart), \`linked deliver\` at once.`,
    );
    expect(shown).toContain('changes: 4 dead letters');
    expect(shown).not.toContain('nothing is dead-lettered');

    // An accepted replay is an answer too: the block is over, and it is the emitter's last success.
    answer = () => 200;
    c.advance(60_000);
    expect(await replayDeadLetters(wh, SCHEMA, { emitter: 'changes' }, { ...FAST, now: c.now })).toMatchObject({ pending: [], rejected: [] });
    expect(await blockedState()).toMatchObject({ state: 'pending', pending: 2, blockedReason: null, blockedSince: null, consecutiveFailures: 0, lastSuccessAt: c.now().toISOString(), deadLetters: 0 });

    // A block left on a record whose events have all left the cursor: a pass with nothing to send ends it.
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'delivered', sent: 2 });
    await wh.query(`UPDATE ${SCHEMA}.delivery_health SET blocked_reason = 'credentials rejected', blocked_since = last_success_at, consecutive_failures = 2`);
    const empty = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(deliveryExitCode(empty)).toBe(0);
    expect(await blockedState()).toMatchObject({ state: 'up_to_date', blockedReason: null, consecutiveFailures: 0 });
  });

  it('a replay refused for its credentials blocks the emitter as a delivery does: status and gauges say so, the dead letters stay, the next delivery stays blocked', async () => {
    const c = clock();
    await setup({ batchSize: 3 });
    await insertOutbox(wh, users(2));
    answer = () => 400;
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'delivered', deadLettered: 2 });
    const letters = await listDeadLetters(wh, SCHEMA);

    answer = () => 401;
    c.advance(60_000);
    const since = c.now().toISOString();
    const requests = server.requests.length;
    const replay = await replayDeadLetters(wh, SCHEMA, { emitter: 'changes' }, { ...FAST, now: c.now });
    expect(server.requests, 'one request, not retried').toHaveLength(requests + 1);
    expect(replay).toMatchObject({ replayed: [], rejected: [] });
    expect(replay.pending.map((p) => p.id).sort()).toEqual(letters.map((l) => l.id).sort());
    expect(replay.pending[0].reason).toContain('hook refused the credentials: HTTP 401');
    expect(await listDeadLetters(wh, SCHEMA)).toHaveLength(2);

    const health = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(health).toMatchObject([
      { state: 'blocked', blockedReason: 'credentials rejected', blockedSince: since, lastFailureAt: since, lastHttpStatus: 401, consecutiveFailures: 1, failingSince: null, deadLetters: 2 },
    ]);
    expect(health[0].lastError).toContain('hook refused the credentials: HTTP 401');
    expect(renderDeliveryHealth(health)).toMatch(/changes -> hook\s+blocked: credentials rejected\s/);
    const observe = new DaemonObservability({ schema: SCHEMA, staleAfterMs: 60_000 });
    await observe.refreshGauges(wh);
    expect(parseMetrics(await observe.metrics.text())).toEqual(
      expect.arrayContaining([
        { name: 'linked_delivery_blocked', labels: { emitter: 'changes', destination: 'hook', reason: 'credentials rejected' }, value: 1 },
        { name: 'linked_delivery_consecutive_failures', labels: { emitter: 'changes', destination: 'hook' }, value: 1 },
      ]),
    );

    // A delivery refused too keeps the block and its start, and counts on from the replay's failure.
    await insertOutbox(wh, users(1), 'run-2');
    c.advance(60_000);
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now })).emitters[0]).toMatchObject({ status: 'blocked', blockedSince: since, deadLettered: 0 });
    expect((await readDeliveryHealth(wh, SCHEMA, { now: c.now() }))[0]).toMatchObject({ state: 'blocked', blockedSince: since, consecutiveFailures: 2 });

    // Accepted, the replay ends the block.
    answer = () => 200;
    c.advance(60_000);
    expect(await replayDeadLetters(wh, SCHEMA, { emitter: 'changes' }, { ...FAST, now: c.now })).toMatchObject({ pending: [], rejected: [] });
    expect((await readDeliveryHealth(wh, SCHEMA, { now: c.now() }))[0]).toMatchObject({ state: 'pending', blockedReason: null, blockedSince: null, consecutiveFailures: 0, lastError: null });
  });

  it('blocks on refused credentials without dead-lettering, then resumes where it stopped once they are fixed', async () => {
    const c = clock();
    await setup({ batchSize: 3 });
    const ids = await insertOutbox(wh, users(7));
    answer = () => 401;
    const blocked = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    const since = c.now().toISOString();
    expect(blocked.emitters[0]).toMatchObject({ status: 'blocked', blockedReason: 'credentials rejected', blockedSince: since, sent: 0, deadLettered: 0, failed: 7 });
    expect(blocked.blocked).toBe(1);
    expect(deliveryVerdict(blocked)).toBe('incomplete');
    expect(blocked.alerts).toEqual([expect.objectContaining({ kind: 'blocked', message: expect.stringContaining('blocked: credentials rejected') })]);
    // Each batch once, no retries: the answer would be the same at every attempt.
    expect(server.requests).toHaveLength(3);

    c.advance(10 * HOUR);
    const still = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(still.emitters[0]).toMatchObject({ status: 'blocked', blockedSince: since, deadLettered: 0, requests: 1 });
    // Blocked when it started, the pass probes with its first batch alone: one refused request, not three.
    expect(server.requests).toHaveLength(4);
    expect(deliveryExitCode(still)).toBe(1);
    expect(renderDeliverySummary(still)).toContain('changes -> hook: 0 events sent, 7 failed, 0 dead-lettered (blocked: credentials rejected)');
    const shown = renderDeliveryHealth(await readDeliveryHealth(wh, SCHEMA, { now: c.now() }));
    expect(shown).toMatch(/changes -> hook\s+blocked: credentials rejected\s+7\s+\d+h\d+m\s+-\s+4\s+0/);
    expect(shown).toContain(`changes: blocked since ${since.replace(/\.\d{3}Z$/, 'Z')}`);
    // Blocked for 10 hours: a daemon waits the longest wait, 5 minutes, before its next try.
    const nextTryAt = new Date(c.now().getTime() + 5 * 60_000).toISOString();
    expect(shown).toContain(`next try, at ${nextTryAt.replace(/\.\d{3}Z$/, 'Z')}`);
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([
      { state: 'blocked', blockedReason: 'credentials rejected', blockedSince: since, pending: 7, lastHttpStatus: 401, consecutiveFailures: 4, nextTryAt, lagSeconds: expect.any(Number) },
    ]);

    answer = () => 200;
    const before = server.requests.length;
    const resumed = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now });
    expect(resumed.emitters[0]).toMatchObject({ status: 'delivered', sent: 7, deadLettered: 0 });
    expect(await listDeadLetters(wh, SCHEMA)).toEqual([]);
    const delivered = server.requests.slice(before).flatMap((r) => (r.body as any[]).map((e) => e.messageId));
    // Batches of different users go concurrently: every event once, in any order.
    expect(delivered.sort()).toEqual(ids.map((id) => messageIdOf('changes', 'outbox', id)).sort());
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([{ state: 'up_to_date', blockedReason: null, blockedSince: null, consecutiveFailures: 0 }]);
  });

  it('blocks on a secret that is not set as on refused credentials: nothing sent or dead-lettered, the reason in status and metrics, over at the next success', async () => {
    const c = clock();
    const env = { HOOK_TOKEN: 'tok-health-5d1f' };
    await setup({ batchSize: 3, tokenSecret: 'HOOK_TOKEN' });
    const observe = new DaemonObservability({ schema: SCHEMA, staleAfterMs: 60_000 });
    const gauges = async () => {
      await observe.refreshGauges(wh);
      return parseMetrics(await observe.metrics.text()).filter((m) => m.name.startsWith('linked_delivery_'));
    };

    // A failure the destination answered, then a success: the failure's error is over with it.
    await insertOutbox(wh, users(2));
    answer = () => 503;
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now, env })).emitters[0].status).toBe('partial');
    expect((await readDeliveryHealth(wh, SCHEMA, { now: c.now() }))[0]).toMatchObject({ state: 'retrying', lastHttpStatus: 503, lastError: expect.stringContaining('HTTP 503') });
    c.advance(60_000);
    answer = () => 200;
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now, env })).emitters[0].status).toBe('delivered');
    expect((await readDeliveryHealth(wh, SCHEMA, { now: c.now() }))[0]).toMatchObject({ state: 'up_to_date', lastError: null, lastHttpStatus: null, consecutiveFailures: 0 });

    await insertOutbox(wh, users(5));
    c.advance(60_000);
    const requests = server.requests.length;
    const blocked = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now, env: {} });
    const since = c.now().toISOString();
    expect(blocked.emitters[0]).toMatchObject({ status: 'blocked', blockedReason: 'secret HOOK_TOKEN not set', blockedSince: since, sent: 0, failed: 5, deadLettered: 0, requests: 0 });
    expect(server.requests, 'nothing reaches the destination without its secret').toHaveLength(requests);
    expect(blocked.alerts).toEqual([expect.objectContaining({ kind: 'blocked', message: expect.stringContaining('hook: blocked: secret HOOK_TOKEN not set since') })]);
    expect(deliveryExitCode(blocked)).toBe(1);
    expect(await listDeadLetters(wh, SCHEMA)).toEqual([]);

    const health = await readDeliveryHealth(wh, SCHEMA, { now: c.now() });
    expect(health).toMatchObject([
      { state: 'blocked', blockedReason: 'secret HOOK_TOKEN not set', blockedSince: since, pending: 5, consecutiveFailures: 2, lastFailureAt: since, lastHttpStatus: null, deadLetters: 0 },
    ]);
    expect(health[0].lastError).toMatch(/^hook: \[SECRET_MISSING\] The secret HOOK_TOKEN is not set/);
    const shown = renderDeliveryHealth(health);
    expect(shown).toMatch(/changes -> hook\s+blocked: secret HOOK_TOKEN not set\s+5\s/);
    expect(shown).toContain(`changes: blocked since ${since.replace(/\.\d{3}Z$/, 'Z')} (hook: [SECRET_MISSING] The secret HOOK_TOKEN is not set`);
    expect(await gauges()).toEqual(
      expect.arrayContaining([
        { name: 'linked_delivery_blocked', labels: { emitter: 'changes', destination: 'hook', reason: 'secret HOOK_TOKEN not set' }, value: 1 },
        { name: 'linked_delivery_consecutive_failures', labels: { emitter: 'changes', destination: 'hook' }, value: 2 },
      ]),
    );

    // Still unset an hour later: blocked since the first time, failures counted across runs.
    c.advance(HOUR);
    expect((await deliverAll(wh, SCHEMA, { ...FAST, now: c.now, env: {} })).emitters[0]).toMatchObject({ status: 'blocked', blockedSince: since });
    // One probe of the first batch: one failure more (two for the first pass, one per batch).
    expect((await readDeliveryHealth(wh, SCHEMA, { now: c.now() }))[0]).toMatchObject({ consecutiveFailures: 3 });

    const resumed = await deliverAll(wh, SCHEMA, { ...FAST, now: c.now, env });
    expect(resumed.emitters[0]).toMatchObject({ status: 'delivered', sent: 5, deadLettered: 0 });
    expect(server.requests.slice(requests).every((r) => r.headers.authorization === env.HOOK_TOKEN)).toBe(true);
    expect(await readDeliveryHealth(wh, SCHEMA, { now: c.now() })).toMatchObject([
      { state: 'up_to_date', blockedReason: null, blockedSince: null, consecutiveFailures: 0, lastError: null, lastHttpStatus: null },
    ]);
    const after = await gauges();
    expect(after.filter((m) => m.name === 'linked_delivery_blocked')).toEqual([]);
    expect(after).toContainEqual({ name: 'linked_delivery_consecutive_failures', labels: { emitter: 'changes', destination: 'hook' }, value: 0 });
  });

  it('shows no error once a success came after it, also for a record written before successes cleared it', async () => {
    await setup();
    await insertOutbox(wh, users(1));
    await deliverAll(wh, SCHEMA, FAST);
    // A success that did not clear the error before it (as a success recorded by an older version).
    await wh.query(
      `UPDATE ${SCHEMA}.delivery_health SET last_error = 'hook: connect ECONNREFUSED 127.0.0.1:9', last_http_status = 503, last_failure_at = last_success_at - INTERVAL 1 MINUTE`,
    );
    expect(await readDeliveryHealth(wh, SCHEMA)).toMatchObject([{ state: 'up_to_date', lastError: null, lastHttpStatus: null, lastFailureAt: expect.any(String) }]);
  });

  it('counts refused events exactly, and dead-letters only the refused ones', async () => {
    await setup();
    await insertOutbox(wh, users(8));
    answer = (body) => ((body as any[]).some((e) => e.userId === 'u3' || e.userId === 'u6') ? 400 : 200);
    const s = await deliverAll(wh, SCHEMA, FAST);
    expect(s.emitters[0]).toMatchObject({ sent: 6, deadLettered: 2, deadLetteredBy: { DESTINATION_REJECTED: 2 } });
    expect(s.emitters[0].lastError).toMatch(/^hook refused 2 events in this run/);
    expect(s.alerts[0].message).toContain('2 events dead-lettered (2 DESTINATION_REJECTED)');
    expect(deliveryVerdict(s)).toBe('dead_lettered');
  });

  it("never delivers a user's later event before the earlier one, even when the earlier one's batch is retried", async () => {
    await setup({ batch: false, trigger: 'audience_membership_changed' });
    const [entered] = await insertOutbox(wh, [{ kind: 'entered', profileId: 'u1' }, ...users(4).slice(1)]);
    const [exited] = await insertOutbox(wh, [{ kind: 'exited', profileId: 'u1' }]);
    let failuresLeft = 2;
    const accepted: string[] = [];
    answer = (body) => {
      if (body.messageId === messageIdOf('changes', 'outbox', entered) && failuresLeft-- > 0) return 503;
      accepted.push(body.messageId);
      return 200;
    };
    const s = await deliverAll(wh, SCHEMA, { ...FAST, concurrency: 4 });
    expect(s.emitters[0]).toMatchObject({ status: 'delivered', sent: 5 });
    const u1 = accepted.filter((m) => m === messageIdOf('changes', 'outbox', entered) || m === messageIdOf('changes', 'outbox', exited));
    expect(u1).toEqual([messageIdOf('changes', 'outbox', entered), messageIdOf('changes', 'outbox', exited)]);
  });

  it('skips replaying a dead letter superseded by a newer delivered event of the same user, unless forced', async () => {
    await setup({ batch: false, trigger: 'audience_membership_changed' });
    answer = (body) => (body.userId === 'u1' && body.traits?.['overdue-cards'] === true ? 400 : 200);
    await insertOutbox(wh, [
      { kind: 'entered', profileId: 'u1' },
      { kind: 'entered', profileId: 'u2' },
    ]);
    const first = await deliverAll(wh, SCHEMA, FAST);
    expect(first.emitters[0]).toMatchObject({ sent: 1, deadLettered: 1 });
    // u2 has a dead letter too, with nothing newer delivered: it replays.
    answer = () => 400;
    await insertOutbox(wh, [{ kind: 'exited', profileId: 'u2' }]);
    await deliverAll(wh, SCHEMA, FAST);
    answer = () => 200;
    await insertOutbox(wh, [{ kind: 'exited', profileId: 'u1' }]);
    expect((await deliverAll(wh, SCHEMA, FAST)).emitters[0]).toMatchObject({ sent: 1 });

    const letters = await listDeadLetters(wh, SCHEMA);
    const u1 = letters.find((l) => l.userId === 'u1')!;
    const u2 = letters.find((l) => l.userId === 'u2')!;
    const before = server.requests.length;
    const replay = await replayDeadLetters(wh, SCHEMA, { emitter: 'changes' }, FAST);
    expect(replay.skipped).toEqual([expect.objectContaining({ id: u1.id, reason: expect.stringMatching(/^user u1: a newer event of this emitter \(messageId [0-9a-f]{32}\) was delivered/) })]);
    expect(replay.replayed).toEqual([u2.id]);
    expect(server.requests.slice(before).map((r) => (r.body as any).userId)).toEqual(['u2']);
    expect((await listDeadLetters(wh, SCHEMA)).map((l) => l.id)).toEqual([u1.id]);

    const forced = await replayDeadLetters(wh, SCHEMA, { ids: [u1.id] }, { ...FAST, force: true });
    expect(forced).toMatchObject({ replayed: [u1.id], skipped: [] });
  });
});
