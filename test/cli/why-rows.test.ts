import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * `linked why` on a nested entity condition, as a user debugging "why is this profile not in the
 * audience" runs it: beyond "0 of 1 accounts match", which related rows there are and which part
 * of the filter each one fails, with the values read, nested conditions explained per row.
 */
describe('linked why on a nested entity condition', () => {
  it('explains each related row (capped, the rest counted) with the verdict and values of every part of the filter, in text and --json', async () => {
    const { dir, raw, write } = await makeProject(1);
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      // u1's account a1: balance enough, but one gold card of seven where three are needed. u2's a2: too low a balance, no card.
      await wh.query(`INSERT INTO main.accounts VALUES ('a1', 700), ('a2', 20)`);
      await wh.query(`INSERT INTO main.cards VALUES ('gold-1', 'a1'), ('c2', 'a1'), ('c3', 'a1'), ('c4', 'a1'), ('c5', 'a1'), ('c6', 'a1'), ('c7', 'a1')`);
    } finally {
      await wh.close();
    }
    // An account with a balance of 500 or more and at least three gold cards.
    const goldCards = { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 3 }, where: { kind: 'column', column: 'id', operator: 'starts_with', value: { literal: 'gold-' } } };
    const account = { kind: 'and', conditions: [{ kind: 'column', column: 'balance', operator: 'gte', value: { literal: 500 } }, goldCards] };
    raw.audiences[0].condition = { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: account };
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);

    const u1 = await linked(['why', 'aud-0', 'u1', '--dir', dir, '--rows', '4']);
    expect(u1.status, u1.stderr).toBe(0);
    expect(u1.stdout).toContain(
      [
        '✗ accounts: at least 1 where all of (balance >= 500, cards: at least 3 where id starts with "gold-")  [0 of 1 accounts match; needs at least 1]',
        '    ✗ accounts a1: does not count',
        '      ✗ all of',
        '        ✓ balance >= 500  [balance is "700.0"]',
        '        ✗ cards: at least 3 where id starts with "gold-"  [1 of 7 cards match; needs at least 3]',
        '            ✗ cards c2: does not count',
        '              ✗ id starts with "gold-"  [id is "c2"]',
        '            ✗ cards c3: does not count',
        '              ✗ id starts with "gold-"  [id is "c3"]',
        '            ✗ cards c4: does not count',
        '              ✗ id starts with "gold-"  [id is "c4"]',
        '            ✗ cards c5: does not count',
        '              ✗ id starts with "gold-"  [id is "c5"]',
        '            … 3 more cards not shown (--rows explains more per row)',
      ].join('\n'),
    );

    const json = await linked(['why', 'aud-0', 'u2', '--dir', dir, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const tree = JSON.parse(json.stdout).why.tree;
    expect(tree).toMatchObject({ held: false, values: { value: 0, other: 1 }, entityIds: [] });
    expect(tree.rows).toEqual({
      relationship: 'accounts',
      more: 0,
      shown: [
        {
          key: 'a2',
          matched: false,
          where: {
            kind: 'and',
            label: 'all of',
            held: false,
            decidedBy: null,
            children: [
              { kind: 'column', label: 'balance >= 500', held: false, decidedBy: 'balance is "20.0"', values: { value: '20.0' }, children: [] },
              {
                kind: 'entity',
                label: 'cards: at least 3 where id starts with "gold-"',
                held: false,
                decidedBy: '0 of 0 cards match; needs at least 3',
                values: { value: 0, other: 0 },
                rows: { relationship: 'cards', shown: [], more: 0 },
                children: [],
              },
            ],
          },
        },
      ],
    });
  }, 60_000);

  it('takes and shows integer keys in their order as numbers (5 before 29), the related rows explained and the matching ids alike', async () => {
    const { dir, raw, write } = await makeProject(1);
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      await wh.query(`INSERT INTO main.accounts VALUES ('a1', 700)`);
      await wh.query(`CREATE OR REPLACE TABLE main.cards (id INTEGER, account_id VARCHAR)`);
      await wh.query(`INSERT INTO main.cards VALUES (77, 'a1'), (5, 'a1'), (49, 'a1'), (29, 'a1'), (100, 'a1')`);
    } finally {
      await wh.close();
    }
    // The profile's cards straight from its account id, so the top-level condition lists matching ids.
    raw.graph.relationships.push({ slug: 'own-cards', name: 'Own cards', entity: 'card', parent: null, join: { type: 'profile', via: 'trait', profileColumn: 'account_id', entityColumn: 'account_id' } });
    const bigCard = { kind: 'column', column: 'id', operator: 'gte', value: { literal: 40 } };
    const nested = { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 9 }, where: bigCard } };
    const own = { kind: 'entity', relationship: 'own-cards', count: { op: 'at_least', value: 1 }, where: bigCard };
    raw.audiences[0].condition = { kind: 'and', conditions: [nested, own] };
    write(raw);
    expect((await linked(['apply', '--auto-approve', '--dir', dir])).status).toBe(0);

    const u1 = await linked(['why', 'aud-0', 'u1', '--dir', dir, '--rows', '3', '--entity-ids', '2']);
    expect(u1.stdout).toContain(
      [
        '            ✗ cards 5: does not count',
        '              ✗ id >= 40  [id is "5"]',
        '            ✗ cards 29: does not count',
        '              ✗ id >= 40  [id is "29"]',
        '            ✓ cards 49: counts',
        '              ✓ id >= 40  [id is "49"]',
        '            … 2 more cards not shown (--rows explains more per row)',
      ].join('\n'),
    );
    // The first two matching by number: 49 and 77, not "100" and "49" as text.
    expect(u1.stdout).toContain('      matching: 49, 77\n      ✗ own-cards 5: does not count\n');
    const tree = JSON.parse((await linked(['why', 'aud-0', 'u1', '--dir', dir, '--rows', '3', '--entity-ids', '2', '--json'])).stdout).why.tree;
    expect(tree.children[1].entityIds).toEqual(['49', '77']);
    expect(tree.children[1].rows.shown.map((r: { key: string }) => r.key)).toEqual(['5', '29', '49']);
  }, 60_000);
});
