import { afterAll, beforeAll, expect, it } from 'vitest';
import { Daemon } from '../../src/controller/daemon.js';
import { migrateState } from '../../src/state/migrate.js';
import { openSnowflake } from '../../src/warehouse/snowflake.js';
import { emulatedConfig, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';

/*
 * On Snowflake opening a connection is a login. A serving daemon opens one for each tick, delivery
 * look and pass: it keeps them open instead, so an idle daemon logs in once, not several times a
 * minute, and closes every session when it stops.
 */
let emulator: SnowflakeEmulator;
const open = () => openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
beforeAll(async () => {
  emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD });
  const wh = await open();
  await migrateState(wh, 'LINKED_AUDIENCES');
  await wh.close();
});
afterAll(async () => emulator?.close());

it('a serving daemon logs in once for its ticks and looks, and closes its sessions when it stops', async () => {
  const loginsBefore = emulator.logins.length;
  const daemon = new Daemon({ open, schema: 'LINKED_AUDIENCES', tickSeconds: 1, pollMs: 100 });
  daemon.start();
  const heartbeats = () => emulator.queries.filter((q) => /^UPDATE "LINKED_AUDIENCES"\."controllers" SET "HEARTBEAT_AT"/.test(q.sqlText)).length;
  const looks = () => emulator.queries.filter((q) => /FROM "LINKED_AUDIENCES"\."resources"/.test(q.sqlText)).length;
  const deadline = Date.now() + 20_000;
  while ((heartbeats() < 3 || looks() < 10) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await daemon.stop();
  expect(heartbeats()).toBeGreaterThanOrEqual(3);
  expect(looks()).toBeGreaterThanOrEqual(10);
  // A tick and a look may overlap: two connections at most.
  expect(emulator.logins.length - loginsBefore).toBeLessThanOrEqual(2);
  expect(emulator.openSessions()).toBe(0);
}, 60_000);

it('with --look-every, an idle daemon sends the warehouse nothing between looks (through snowflake-sdk)', async () => {
  const daemon = new Daemon({ open, schema: 'LINKED_AUDIENCES', tickSeconds: 1, pollMs: 100, lookEveryMs: 60_000 });
  const before = emulator.queries.length;
  daemon.start();
  try {
    const beat = () => emulator.queries.slice(before).some((q) => /^UPDATE "LINKED_AUDIENCES"\."controllers" SET "HEARTBEAT_AT"/.test(q.sqlText));
    const deadline = Date.now() + 20_000;
    while (!beat() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // The first look (the controller's, then the delivery loop's once after it) ends; then three ticks and thirty polls.
    let settled = emulator.queries.length;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (emulator.queries.length === settled) break;
      settled = emulator.queries.length;
    }
    await new Promise((r) => setTimeout(r, 3_000));
    expect(emulator.queries.slice(settled).map((q) => q.sqlText.slice(0, 60))).toEqual([]);
  } finally {
    await daemon.stop();
  }
}, 60_000);
