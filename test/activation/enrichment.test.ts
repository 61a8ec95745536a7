import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { planEnrichment } from '../../src/activation/enrich/plan.js';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import { AppliedModel } from '../../src/model/applied-model.js';
import { EventEmitter } from '../../src/model/emitter.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, openState, SCHEMA, seedBank, startServer, type TestServer } from './helpers.js';

const emitter = (e: Record<string, unknown>) => EventEmitter.parse({ key: 'e', audience: 'overdue-cards', destination: 'hook', ...e });

describe('enrichment', () => {
  it('rejects traits, relationships and columns the graph or the audience conditions do not have, naming them', () => {
    expect(() => planEnrichment(GRAPH, AUDIENCE, emitter({ trigger: 'audience_entered', enrich: { traits: ['salary'] } }))).toThrow(/trait "salary"/);
    const noCards = { ...AUDIENCE, condition: { kind: 'trait', trait: 'plan', operator: 'exists' } } as typeof AUDIENCE;
    expect(() =>
      planEnrichment(GRAPH, noCards, emitter({ trigger: 'audience_entered', enrich: { entities: [{ relationship: 'cards', columns: ['balance'] }] } })),
    ).toThrow(/"cards" is not used by the conditions/);
    expect(() => planEnrichment(GRAPH, AUDIENCE, emitter({ trigger: 'entity_added', entityPath: ['cards'] }))).toThrow(/entity path "cards"/);
  });

  describe('from the warehouse', () => {
    let wh: Warehouse;
    let server: TestServer;
    beforeEach(async () => {
      wh = await openState();
      await seedBank(wh, 3);
      // u1 gets a second card on its account.
      await wh.query(`INSERT INTO main.credit_cards VALUES ('c1b', 'a1', 50, DATE '2027-01-01')`);
      server = await startServer();
    });
    afterEach(async () => {
      await server.close();
      await wh.close();
    });

    it('sends the profile\'s entities as arrays, and the entities below a trigger entity scoped to it', async () => {
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
              enrich: { entities: [{ relationship: 'accounts', columns: ['type'] }, { relationship: 'cards', columns: ['balance'] }] },
            },
          ],
        },
        new Date(Date.now() - 60_000),
      );
      await insertOutbox(wh, [
        { kind: 'entered', profileId: 'u1' },
        { kind: 'entered', profileId: 'u2' },
        { kind: 'entity_added', profileId: 'u1', entityPath: 'accounts', entityId: 'a1' },
      ]);
      const s = await deliverAll(wh, SCHEMA);
      expect(s.sent).toBe(3);
      const events = server.requests.flatMap((r) => r.body as any[]);
      const entered = events.filter((e) => e.event === 'Audience Entered');
      const u1 = entered.find((e) => e.userId === 'u1');
      expect(u1.properties.cards.sort((a: any, b: any) => a.card_id.localeCompare(b.card_id))).toEqual([
        { card_id: 'c1', balance: 1001, __entity: 'credit_card' },
        { card_id: 'c1b', balance: 50, __entity: 'credit_card' },
      ]);
      expect(entered.find((e) => e.userId === 'u2').properties.cards).toEqual([{ card_id: 'c2', balance: 1002, __entity: 'credit_card' }]);
      const added = events.find((e) => e.event === 'Entity Added');
      expect(added.properties).toMatchObject({ accounts__account_id: 'a1', accounts__type: 'credit', accounts____entity: 'account' });
      // Below the trigger entity, rows nest under it as `<trigger>__<child>`, as Segment sends them.
      expect(added.properties.cards).toBeUndefined();
      expect(added.properties.accounts__cards).toHaveLength(2);
      expect(added.properties._entity_context).toEqual({ accounts: { account_id: 'a1', type: 'credit', __entity: 'account' } });
    });

    it('sends only the entities that matched on a path used for enrichment alone, once a run has computed them', async () => {
      await applyResources(
        wh,
        {
          graph: GRAPH,
          audiences: [AUDIENCE],
          destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/h`, batch: true } }],
          // No entity trigger: accounts.cards is read by enrichment only.
          emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { entities: [{ relationship: 'cards', columns: ['balance'] }] } }],
        },
        new Date(Date.now() - 60_000),
      );
      const model = (await readAppliedModel(wh, SCHEMA))!;
      expect(new AppliedModel(model).entityPathsOf('overdue-cards')).toEqual([]);
      expect(new AppliedModel(model).matchPathsOf('overdue-cards')).toEqual([['accounts', 'cards']]);
      const compiled = compileAudience(model, 'overdue-cards', { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date() });
      const run = () => runAudience(wh, { schema: SCHEMA, audienceKey: 'overdue-cards', trigger: 'manual', compile: () => compiled });
      // The first run is the baseline, which an emitter without sendForCurrent does not send: start with no member.
      await wh.query(`UPDATE main.credit_cards SET balance = balance - 1000`);
      expect(await run()).toMatchObject({ members: 0 });
      await wh.query(`UPDATE main.credit_cards SET balance = balance + 1000 WHERE card_id <> 'c1b'`);
      expect(await run()).toMatchObject({ members: 3, entered: 3 });
      const s = await deliverAll(wh, SCHEMA);
      expect(s.sent).toBe(3);
      const entered = server.requests.flatMap((r) => r.body as any[]).filter((e) => e.event === 'Audience Entered');
      // u1's second card (balance 50) is related but did not make u1 a member: it stays out.
      expect(entered.find((e) => e.userId === 'u1').properties.cards).toEqual([{ card_id: 'c1', balance: 1001, __entity: 'credit_card' }]);
      expect(entered.find((e) => e.userId === 'u2').properties.cards).toEqual([{ card_id: 'c2', balance: 1002, __entity: 'credit_card' }]);
    });
  });
});
