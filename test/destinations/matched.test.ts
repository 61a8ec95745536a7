import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, type TestServer } from '../activation/helpers.js';

/*
 * Entity arrays carry the rows that matched the profile into the audience (the entity-match
 * snapshot compute writes), not every related row; a path without a snapshot keeps them all.
 */
describe('entities in events: the matched rows', () => {
  let wh: Warehouse;
  let server: TestServer;
  beforeEach(async () => {
    wh = await openState();
    await seedBank(wh, 2);
    // u1's account also holds a card that does not match (balance 10 is not over 1000).
    await wh.query(`INSERT INTO main.credit_cards VALUES ('c1x', 'a1', 10, DATE '2026-12-01')`);
    server = await startServer();
    await applyResources(
      wh,
      {
        graph: GRAPH,
        audiences: [AUDIENCE],
        destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/h`, batch: true } }],
        emitters: [
          { key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { entities: [{ relationship: 'cards', columns: ['balance'] }] } },
          {
            key: 'account-added',
            audience: 'overdue-cards',
            destination: 'hook',
            trigger: 'entity_added',
            entityPath: ['accounts'],
            enrich: { entities: [{ relationship: 'cards', columns: ['balance'] }] },
          },
        ],
      },
      new Date(Date.now() - 60_000),
    );
    await insertOutbox(wh, [
      { kind: 'entered', profileId: 'u1' },
      { kind: 'entity_added', profileId: 'u1', entityPath: 'accounts', entityId: 'a1' },
    ]);
  });
  afterEach(async () => {
    await server.close();
    await wh.close();
  });

  const cardsOf = async () => {
    const events = server.requests.flatMap((r) => r.body as any[]);
    const ids = (list: any[]) => list.map((c) => c.card_id).sort();
    return {
      entered: ids(events.find((e) => e.event === 'Audience Entered').properties.cards),
      added: ids(events.find((e) => e.event === 'Entity Added').properties.accounts__cards),
    };
  };

  it('sends only the matched cards when compute keeps a snapshot of the path', async () => {
    await wh.query(`INSERT INTO "${SCHEMA}".entity_paths VALUES ('overdue-cards', 'accounts.cards', 'run-1')`);
    await wh.query(`INSERT INTO "${SCHEMA}".entity_matches VALUES ('overdue-cards', 'accounts.cards', 'u1', 'c1', 'run-1')`);
    expect((await deliverAll(wh, SCHEMA)).sent).toBe(2);
    expect(await cardsOf()).toEqual({ entered: ['c1'], added: ['c1'] });
  });

  it('sends every related card when the path has no snapshot', async () => {
    expect((await deliverAll(wh, SCHEMA)).sent).toBe(2);
    expect(await cardsOf()).toEqual({ entered: ['c1', 'c1x'], added: ['c1', 'c1x'] });
  });
});
