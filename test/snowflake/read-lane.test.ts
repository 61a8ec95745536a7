import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { messageIdOf } from '../../src/activation/build-event.js';
import { migrateState } from '../../src/state/migrate.js';
import { openSnowflake, type SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { applyResources, AUDIENCE, GRAPH, insertOutbox, SCHEMA, startServer, type TestServer } from '../activation/helpers.js';
import { emulatedConfig, emulatedSnowflake, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';

/*
 * On Snowflake each statement is a round trip, so a delivery reads its pages on a connection of
 * its own (DeliverOptions.reads) beside the one its page commits go through. Through snowflake-sdk
 * on the emulation, two sessions: every event goes once, in order; the pages' reads (outbox and
 * enrichment) are the second session's, the records and the cursor the first's.
 */
describe('deliverAll reading its pages on a second connection', () => {
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  let reads: SnowflakeWarehouse;
  let server: TestServer;
  beforeAll(async () => {
    env = await emulatedSnowflake();
    reads = await openSnowflake(emulatedConfig(env.emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
    await reads.close();
    await env.close();
  });

  it('sends every event once, in order, enriched; reads on the second session, records and cursor on the first', async () => {
    const wh = env.wh;
    await migrateState(wh, SCHEMA);
    // The bank's tables, as the Data Graph names them (quoted, lower case).
    const numbers = `(SELECT "i" FROM range(1, 31) AS "t"("i")) AS "r"`;
    await wh.query(`CREATE SCHEMA IF NOT EXISTS "main"`);
    await wh.query(`CREATE TABLE "main"."profiles" AS SELECT 'u' || "i" AS "user_id", 'u' || "i" || '@example.com' AS "email", 'Name' || "i" AS "first_name", 'premium' AS "plan" FROM ${numbers}`);
    await wh.query(`CREATE TABLE "main"."accounts" AS SELECT 'a' || "i" AS "account_id", 'u' || "i" AS "user_id", 'checking' AS "type" FROM ${numbers}`);
    await wh.query(`CREATE TABLE "main"."credit_cards" AS SELECT 'c' || "i" AS "card_id", 'a' || "i" AS "account_id", 2000.0 AS "balance", CURRENT_DATE AS "due_date" FROM ${numbers}`);
    await applyResources(wh, {
      graph: GRAPH,
      audiences: [AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', batchSize: 3, settings: { url: `${server.url}/hook`, batch: true } }],
      emitters: [{ key: 'entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['email'] } }],
    });
    const ids = await insertOutbox(wh, Array.from({ length: 25 }, (_, i) => ({ kind: 'entered' as const, profileId: `u${i + 1}` })));
    const before = env.emulator.queries.length;
    const summary = await deliverAll(wh, SCHEMA, { pageSize: 4, reads });
    expect(summary.emitters).toMatchObject([{ status: 'delivered', sent: 25 }]);

    const events = server.requests.flatMap((r) => r.body as { messageId: string; userId: string; properties: { email: string } }[]);
    expect(events.map((e) => e.messageId)).toEqual(ids.map((id) => messageIdOf('entered', 'outbox', id)));
    for (const e of events) expect(e.properties.email).toBe(`${e.userId}@example.com`);

    const sessionsOf = (re: RegExp) => [...new Set(env.emulator.queries.slice(before).filter((q) => re.test(q.sqlText)).map((q) => q.sessionId))];
    const outboxReads = sessionsOf(/^SELECT "O"\."ID" AS "ID"[\s\S]*FROM "[^"]+"\."outbox" AS "O"/);
    const traitReads = sessionsOf(/^SELECT [\s\S]* AS "__ID", "P"\."email" AS "T0"\s+FROM "main"\."profiles"/);
    const cursorMoves = sessionsOf(/^UPDATE "[^"]+"\."delivery_cursors" SET "LAST_OUTBOX_ID"/);
    expect(outboxReads).toHaveLength(1);
    expect(traitReads).toEqual(outboxReads);
    expect(cursorMoves).toHaveLength(1);
    expect(cursorMoves).not.toEqual(outboxReads);
  });
});
