import { afterAll, beforeAll, expect, it } from 'vitest';
import { computeNow } from '../../src/controller/compute-now.js';
import { Daemon } from '../../src/controller/daemon.js';
import type { LinkedError } from '../../src/model/errors.js';
import { migrateState } from '../../src/state/migrate.js';
import { MIGRATIONS } from '../../src/state/migrations/index.js';
import { openSnowflake, type SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { applyResources, json, startServer, type TestServer } from '../activation/helpers.js';
import { emulatedConfig, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';

/*
 * On Snowflake the daemon has connections of its own, and nothing keeps another process from
 * migrating the state between two of its statements: it reads the version inside each commit's
 * transaction. Here a delivery pass is under way (its page with the destination) when a newer
 * linked migrates the state: the page's commit is refused, and the daemon halts.
 */
const SCHEMA = 'LINKED_AUDIENCES';
const S = `"${SCHEMA}"`;
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

let emulator: SnowflakeEmulator;
let wh: SnowflakeWarehouse;
let server: TestServer;
const open = () => openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
let release!: () => void;
const gate = new Promise<void>((r) => (release = r));
let firstArrived!: () => void;
const first = new Promise<void>((r) => (firstArrived = r));

beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD });
  wh = await open();
  server = await startServer(async (_req, n, res) => {
    if (n === 1) {
      firstArrived();
      await gate;
    }
    json(res, 200, {});
  });
  await migrateState(wh, SCHEMA);
  await wh.query(`CREATE TABLE "main"."profiles" ("user_id" VARCHAR, "plan" VARCHAR)`);
  await wh.query(`INSERT INTO "main"."profiles" VALUES ('u0', 'basic'), ('u1', 'basic'), ('u2', 'basic')`);
  await applyResources(wh, {
    graph: { profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } },
    audiences: [{ key: 'premium', name: 'Premium', enabled: true, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } }],
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: false } }],
    emitters: [{ key: 'premium-entered', audience: 'premium', destination: 'hook', trigger: 'audience_entered' }],
  });
  // The baseline (nobody), then u0 enters: one outbox row, one page of one event.
  expect(await computeNow(wh, SCHEMA, 'premium')).toMatchObject({ kind: 'computed', summary: { status: 'Live', members: 0 } });
  await wh.query(`UPDATE "main"."profiles" SET "plan" = 'premium' WHERE "user_id" = 'u0'`);
  expect(await computeNow(wh, SCHEMA, 'premium')).toMatchObject({ kind: 'computed', summary: { status: 'Live', entered: 1 } });
}, 60_000);

afterAll(async () => {
  release();
  await wh?.close();
  await server?.close();
  await emulator?.close();
});

it('a delivery pass whose state a newer linked migrates meanwhile commits nothing more; the daemon halts and lets go', async () => {
  const log: { line: string; level?: string }[] = [];
  // `linked deliver --watch`: no controller ticks, and no look while the pass runs (a look would
  // check the version first): the page's commit is what meets the newer state.
  const daemon = new Daemon({ open, schema: SCHEMA, compute: false, pollMs: 60_000, log: (line, level) => log.push({ line, level }) });
  daemon.start();
  try {
    await first;
    await wh.query(`INSERT INTO ${S}."schema_version" VALUES (?, ?, CURRENT_TIMESTAMP())`, [LATEST + 1, 'from_the_future']);
    release();
    const refusal: LinkedError | undefined = await daemon.halted;
    expect(refusal?.code).toBe('STATE_TOO_NEW');
  } finally {
    await daemon.stop();
  }
  // Sent, not recorded: the newer linked sends it again, with the same messageId.
  expect(server.requests).toHaveLength(1);
  expect((await wh.query(`SELECT count(*) AS "n" FROM ${S}."delivery_pages"`)).rows).toEqual([{ n: 0 }]);
  expect((await wh.query(`SELECT "AUDIENCE_KEY" FROM ${S}."leases" WHERE "HOLDER" IS NOT NULL`)).rows).toEqual([]);
  expect(log.filter((l) => l.line.includes('STATE_TOO_NEW'))).toMatchObject([{ level: 'error', line: expect.stringMatching(/^error \[STATE_TOO_NEW\]: a newer linked migrated the state/) }]);
  expect(log.at(-1)?.line).toBe('stopped: released its leases (emitter:premium-entered)');
  // All its sessions closed: the one that released the leases too.
  expect(emulator.openSessions()).toBe(1);
}, 60_000);
