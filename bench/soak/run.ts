/*
 * Soak: does the state stop growing once retention runs? A small warehouse (profiles whose plan
 * flips every cycle), one audience with an emitter to a local webhook, and each cycle a compute run
 * and a delivery, as the daemon does; every --gc-every cycles a collection with a short retention
 * (time is compressed: --retention-ms stands for the 30 days of production). Every --report-every
 * cycles: the DuckDB file's size, RSS, and the outbox's row count.
 *
 *   npx tsx bench/soak/run.ts [--cycles 500] [--profiles 2000] [--churn 0.05] [--retention-ms 3000]
 *                             [--gc-every 10] [--report-every 50] [--no-gc] [--json]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deliverAll } from '../../src/activation/deliver.js';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import { Audience, DataGraph, Destination, EventEmitter } from '../../src/model/index.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { migrateState } from '../../src/state/migrate.js';
import { collectGarbage } from '../../src/state/retention/retention.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';

const { values: args } = parseArgs({
  options: {
    cycles: { type: 'string', default: '500' },
    profiles: { type: 'string', default: '2000' },
    churn: { type: 'string', default: '0.05' },
    'retention-ms': { type: 'string', default: '3000' },
    'gc-every': { type: 'string', default: '10' },
    'report-every': { type: 'string', default: '50' },
    'no-gc': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const cycles = Number(args.cycles);
const profiles = Number(args.profiles);
const churn = Number(args.churn);
const retentionMs = Number(args['retention-ms']);
const gcEvery = Number(args['gc-every']);
const reportEvery = Number(args['report-every']);
const SCHEMA = 'LINKED_AUDIENCES';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;

const file = join(mkdtempSync(join(tmpdir(), 'linked-soak-')), 'soak.duckdb');
const wh = await openDuckDb(file);
await migrateState(wh, SCHEMA);
await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 2 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(?) t(i)`, [profiles]);
const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } });
const audience = Audience.parse({ key: 'premium', name: 'premium', enabled: true, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });
const ctx = { applyId: 'soak', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 'soak' };
await writeResource(wh, SCHEMA, 'data_graph', 'graph', graph, ctx, true);
await writeResource(wh, SCHEMA, 'audience', 'premium', audience, ctx, true);
await writeResource(wh, SCHEMA, 'destination', 'hook', Destination.parse({ key: 'hook', type: 'webhook', settings: { url, batch: true } }), ctx, true);
await writeResource(wh, SCHEMA, 'event_emitter', 'changes', EventEmitter.parse({ key: 'changes', audience: 'premium', destination: 'hook', trigger: 'audience_membership_changed' }), ctx, true);
const model = (await readAppliedModel(wh, SCHEMA))!;

const rows: { cycle: number; fileMB: number; rssMB: number; outboxRows: number; sent: number; removed: number }[] = [];
let sent = 0;
let removed = 0;
for (let cycle = 1; cycle <= cycles; cycle++) {
  // Flip the plan of a random `churn` share of profiles: entries and exits every cycle.
  await wh.query(`UPDATE main.profiles SET plan = CASE WHEN plan = 'premium' THEN 'basic' ELSE 'premium' END WHERE random() < ?`, [churn]);
  const now = new Date();
  const run = await runAudience(wh, {
    schema: SCHEMA,
    audienceKey: 'premium',
    trigger: 'schedule',
    compile: () => compileAudience(model, 'premium', { dialect: 'duckdb', stateSchema: SCHEMA, now }),
  });
  if (run.status !== 'Live') throw new Error(`cycle ${cycle}: ${run.error?.code} ${run.error?.message}`);
  sent += (await deliverAll(wh, SCHEMA)).sent;
  if (!args['no-gc'] && cycle % gcEvery === 0) {
    const c = await collectGarbage(wh, SCHEMA, { retentionMs });
    removed += Object.values(c).reduce((a, b) => a + b, 0);
  }
  if (cycle % reportEvery === 0 || cycle === cycles) {
    await wh.query('CHECKPOINT');
    const { rows: n } = await wh.query<{ n: number }>(`SELECT COUNT(*)::BIGINT AS n FROM "${SCHEMA}"."outbox"`);
    const row = { cycle, fileMB: statSync(file).size / 1048576, rssMB: process.memoryUsage().rss / 1048576, outboxRows: Number(n[0].n), sent, removed };
    rows.push(row);
    if (!args.json) console.log(`cycle ${String(cycle).padStart(4)}  file ${row.fileMB.toFixed(2)} MB  rss ${row.rssMB.toFixed(0)} MB  outbox ${row.outboxRows}  sent ${sent}  removed ${removed}`);
  }
}
await wh.close();
server.close();
const grew = rows.length >= 2 ? rows[rows.length - 1].fileMB / rows[Math.floor(rows.length / 2)].fileMB : 1;
if (args.json) console.log(JSON.stringify({ cycles, profiles, churn, retentionMs, gcEvery, gc: !args['no-gc'], rows, lastOverMiddleFileRatio: grew }, null, 2));
else console.log(`file size, last report / middle report: ${grew.toFixed(2)}`);
