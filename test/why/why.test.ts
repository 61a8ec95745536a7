import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { whyProfile } from '../../src/why/why.js';
import { renderWhy } from '../../src/cli/commands/why.js';
import { AUDIENCE, GRAPH, SCHEMA, applyResources, openState, seedBank } from '../activation/helpers.js';

/*
 * `linked why` on a small bank: u<i> has account a<i> and card c<i> with balance 1000 + i, so
 * "an account with a card over 1000 + k" holds exactly for i > k.
 */
const overBalance = (limit: number) => ({
  ...AUDIENCE,
  condition: {
    kind: 'and',
    conditions: [
      { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
      {
        kind: 'entity',
        relationship: 'accounts',
        count: { op: 'at_least', value: 1 },
        where: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: limit } } },
      },
      { kind: 'not', condition: { kind: 'trait', trait: 'email', operator: 'ends_with', value: { literal: '@blocked.test' } } },
    ],
  },
});

describe('linked why', () => {
  let wh: Warehouse;
  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 6);
    await applyResources(wh, { graph: { ...GRAPH, key: 'graph' }, audiences: [overBalance(1003)] });
  });
  afterEach(() => wh.close());

  const compute = async () => {
    const model = (await readAppliedModel(wh, SCHEMA))!;
    return runAudience(wh, { schema: SCHEMA, audienceKey: AUDIENCE.key, trigger: 'manual', compile: () => compileAudience(model, AUDIENCE.key, { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date() }) });
  };

  it('marks each node with the values that decided it, for a member and a non-member', async () => {
    const run = await compute();
    expect(run).toMatchObject({ status: 'Live', members: 3 });

    const inside = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u5' });
    expect(inside).toMatchObject({ member: true, snapshot: { member: true, runId: run.runId }, profileRows: 1 });
    const [plan, accounts, notBlocked] = inside.tree.children;
    expect(plan).toMatchObject({ held: true, label: 'trait plan = "premium"', decidedBy: 'plan is "premium"' });
    expect(accounts).toMatchObject({ held: true, decidedBy: '1 of 1 accounts match; needs at least 1', entityIds: ['a5'] });
    expect(accounts.label).toBe('accounts: at least 1 where cards: at least 1 where balance > 1003');
    expect(notBlocked).toMatchObject({ held: true, label: 'not', children: [{ held: false, decidedBy: 'email is "u5@example.com"' }] });

    const outside = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u2' });
    expect(outside).toMatchObject({ member: false, snapshot: { member: false } });
    expect(outside.tree.children[1]).toMatchObject({ held: false, decidedBy: '0 of 1 accounts match; needs at least 1', entityIds: [] });
    const text = renderWhy(outside);
    expect(text).toContain('Profile u2 is NOT IN audience overdue-cards');
    expect(text).toContain('✗ accounts: at least 1 where cards: at least 1 where balance > 1003');
    expect(text).toContain('✓ trait plan = "premium"');
  });

  it('explains the related rows of a nested entity condition, the first by key per parent row, with the rest counted', async () => {
    // u1: accounts a1 (cards c1 1001, c1b 900, c1c 5000), a1b (card c1d 2000), a1c (no card).
    await wh.query(`INSERT INTO main.accounts VALUES ('a1b', 'u1', 'credit'), ('a1c', 'u1', 'credit')`);
    await wh.query(`INSERT INTO main.credit_cards VALUES ('c1b', 'a1', 900, DATE '2026-12-01'), ('c1c', 'a1', 5000, DATE '2026-12-01'), ('c1d', 'a1b', 2000, DATE '2026-12-01')`);
    const why = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u1', rowLimit: 2 });
    const accounts = why.tree.children[1]!;
    expect(accounts).toMatchObject({ held: true, decidedBy: '2 of 3 accounts match; needs at least 1', entityIds: ['a1', 'a1b'] });
    const card = (key: string, balance: string, held: boolean) => ({
      key,
      matched: held,
      where: { kind: 'column', label: 'balance > 1003', held, decidedBy: `balance is "${balance}"`, values: { value: balance }, children: [] },
    });
    const cards = (value: number, other: number, rows: unknown) => ({
      kind: 'entity',
      label: 'cards: at least 1 where balance > 1003',
      held: value > 0,
      decidedBy: `${value} of ${other} cards match; needs at least 1`,
      values: { value, other },
      rows,
      children: [],
    });
    // Each account keeps its own first two cards: a1's third is counted, a1b's card still shows.
    expect(accounts.rows).toEqual({
      relationship: 'accounts',
      more: 1,
      shown: [
        { key: 'a1', matched: true, where: cards(1, 3, { relationship: 'cards', more: 1, shown: [card('c1', '1001.0', false), card('c1b', '900.0', false)] }) },
        { key: 'a1b', matched: true, where: cards(1, 1, { relationship: 'cards', more: 0, shown: [card('c1d', '2000.0', true)] }) },
      ],
    });
    const text = renderWhy(why);
    expect(text).toContain(
      [
        '      ✓ accounts a1: counts',
        '        ✓ cards: at least 1 where balance > 1003  [1 of 3 cards match; needs at least 1]',
        '            ✗ cards c1: does not count',
        '              ✗ balance > 1003  [balance is "1001.0"]',
        '            ✗ cards c1b: does not count',
        '              ✗ balance > 1003  [balance is "900.0"]',
        '            … 1 more cards not shown (--rows explains more per row)',
        '      ✓ accounts a1b: counts',
      ].join('\n'),
    );
    expect(text).toContain('      … 1 more accounts not shown (--rows explains more per row)');
  });

  it('says when the data changed since the last snapshot', async () => {
    await compute();
    await wh.query(`UPDATE main.profiles SET email = 'u5@blocked.test' WHERE user_id = 'u5'`);
    const why = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u5' });
    expect(why).toMatchObject({ member: false, snapshot: { member: true } });
    expect(renderWhy(why)).toContain('The last snapshot (run');
  });

  it("names the run its snapshot comes from, the audience's last Live one, member or not, and says it in the text", async () => {
    const before = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u2' });
    expect(before.snapshot).toEqual({ member: false, runId: null });
    expect(renderWhy(before)).toContain('The audience has no snapshot yet: none of its runs has gone Live.');

    await compute();
    const last = await compute();
    // u5 entered in the first run; the snapshot is the second's (the last Live run), for a member as for a non-member.
    for (const [profileId, member] of [['u5', true], ['u2', false]] as const) {
      const why = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId });
      expect(why).toMatchObject({ member, snapshot: { member, runId: last.runId } });
      expect(renderWhy(why)).toContain(`The last snapshot (run ${last.runId}) ${member ? 'holds it too' : 'does not hold it either'}.`);
    }
    // Data changed since: the snapshot is still the last run's, and it says so.
    await wh.query(`UPDATE main.profiles SET email = 'u5@blocked.test' WHERE user_id = 'u5'`);
    const changed = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u5' });
    expect(changed).toMatchObject({ member: false, snapshot: { member: true, runId: last.runId } });
    expect(renderWhy(changed)).toContain(`The last snapshot (run ${last.runId}) still holds it: the data or the definition changed since that run.`);
    await wh.query(`UPDATE main.credit_cards SET balance = 2000 WHERE card_id = 'c2'`);
    const entering = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u2' });
    expect(entering).toMatchObject({ member: true, snapshot: { member: false, runId: last.runId } });
    expect(renderWhy(entering)).toContain(`The last snapshot (run ${last.runId}) does not hold it: the data or the definition changed since that run.`);
  });

  it('--at a run explains the version that run computed, not the one applied since', async () => {
    const first = await compute();
    await applyResources(wh, { audiences: [overBalance(1001)] });
    const now = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u2' });
    expect(now.member).toBe(true);
    const then = await whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u2', atRun: first.runId });
    expect(then).toMatchObject({ member: false, definition: { runId: first.runId, version: 1 } });
    expect(then.tree.children[1].label).toContain('balance > 1003');
    await expect(whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'u2', atRun: 'no-such-run' })).rejects.toMatchObject({ code: 'RUN_NOT_FOUND', message: expect.stringContaining('linked runs overdue-cards') });
  });

  it('says of a "part of" leaf whether the profile is a member of the other audience, where that was read, and how to ask about that one', async () => {
    await compute();
    const partOf = (audience: string, negate = false) => ({ kind: 'audience', audience, source: 'linked', negate });
    const gold = { key: 'gold-plan', name: 'Gold', enabled: false, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'gold' } } };
    const reader = { key: 'reader', name: 'Reader', enabled: true, condition: { kind: 'and', conditions: [partOf(AUDIENCE.key), partOf('gold-plan', true)] } };
    // overdue-cards stays as beforeEach applied it: written again here, the helper would re-create it (a new incarnation, no snapshot).
    await applyResources(wh, { audiences: [gold, reader] });
    const why = await whyProfile(wh, SCHEMA, { audienceKey: 'reader', profileId: 'u2' });
    expect(why.tree.children).toMatchObject([
      { held: false, decidedBy: 'not a member of overdue-cards at its last run', membership: { audience: AUDIENCE.key, source: 'linked' } },
      { held: true, decidedBy: 'not a member of gold-plan, its condition evaluated now (disabled, or not computed yet)' },
    ]);
    const text = renderWhy(why);
    expect(text).toContain('✗ part of audience "overdue-cards"  [not a member of overdue-cards at its last run]');
    expect(text).toContain('`linked why overdue-cards u2` explains overdue-cards.\n`linked why gold-plan u2` explains gold-plan.\n');
  });

  it('refuses an unknown profile or audience with the fix', async () => {
    await expect(whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'nobody' })).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND', message: expect.stringContaining('No profile in main.profiles has user_id "nobody"') });
    // An id typed in another letter case names the id that exists.
    await expect(whyProfile(wh, SCHEMA, { audienceKey: AUDIENCE.key, profileId: 'U5' })).rejects.toMatchObject({
      code: 'PROFILE_NOT_FOUND',
      message: 'No profile in main.profiles has user_id "U5". Ids compare exactly, letter case included: did you mean "u5"? Check the id (`linked deliveries --user-id` shows the ids events were sent to).',
    });
    await expect(whyProfile(wh, SCHEMA, { audienceKey: 'overdue-card', profileId: 'u1' })).rejects.toMatchObject({ code: 'AUDIENCE_NOT_APPLIED', message: expect.stringContaining('Did you mean "overdue-cards"?') });
  });
});
