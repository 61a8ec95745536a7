/*
 * What an idle serving daemon costs a Snowflake warehouse: `linked run`'s Daemon on the Snowflake
 * emulation (through snowflake-sdk), with nothing applied and so nothing ever due, for a window
 * of wall time. Every statement resumes a real warehouse, which then stays billed for its
 * AUTO_SUSPEND; so what counts is how many statements, and the longest gap between two of them
 * (a warehouse suspends only in a gap longer than its AUTO_SUSPEND).
 *
 *   npx tsx bench/idle/run.ts [--seconds 120] [--tick-seconds 10] [--look-every 60s]
 */
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/cli/terminal.js';
import { Daemon } from '../../src/controller/daemon.js';
import { migrateState } from '../../src/state/migrate.js';
import { openSnowflake } from '../../src/warehouse/snowflake.js';
import { emulatedConfig, EMULATED_PASSWORD } from '../../test/support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator } from '../../test/support/snowflake-emulator/index.js';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '120' }, 'tick-seconds': { type: 'string', default: '10' }, 'look-every': { type: 'string' } },
});
const windowMs = Number(args.seconds) * 1000;
const lookEveryMs = args['look-every'] === undefined ? undefined : parseDuration(args['look-every'], '--look-every');

const emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD });
const open = () => openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: EMULATED_PASSWORD } });
const setup = await open();
await migrateState(setup, 'LINKED_AUDIENCES');
await setup.close();

const daemon = new Daemon({ open, schema: 'LINKED_AUDIENCES', tickSeconds: Number(args['tick-seconds']), lookEveryMs });
const before = emulator.queries.length;
const sentAt: number[] = [];
const started = Date.now();
const sampler = setInterval(() => {
  while (sentAt.length < emulator.queries.length - before) sentAt.push(Date.now() - started);
}, 20);
daemon.start();
await new Promise((r) => setTimeout(r, windowMs));
clearInterval(sampler);
await daemon.stop();
await emulator.close();

const marks = [0, ...sentAt.filter((t) => t <= windowMs), windowMs];
const longestGap = Math.max(...marks.slice(1).map((t, i) => t - marks[i]));
const seconds = new Set(sentAt.map((t) => Math.floor(t / 1000))).size;
console.log(
  `idle daemon, tick ${args['tick-seconds']} s, look-every ${args['look-every'] ?? 'none'}, ${windowMs / 1000} s: ` +
    `${sentAt.length} statements in ${seconds} distinct seconds; longest gap without a statement ${(longestGap / 1000).toFixed(1)} s`,
);
