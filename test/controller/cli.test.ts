import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { updateStatus } from '../../src/compute/status.js';
import { Controller } from '../../src/controller/controller.js';
import { requestDirFor, writeRequestFile } from '../../src/controller/request-files.js';
import { Audience, DataGraph, Desired } from '../../src/model/index.js';
import { migrateState } from '../../src/state/migrate.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linkedInProcess } from '../support/linked-cli.js';
import { writeManifest } from '../plan/fixtures.js';

/*
 * The commands as a user runs them: `linked compute | runs | status | resume | run --once`, real
 * processes on a real DuckDB file. The synthesized project gives the warehouse config; the applied
 * state (what compute runs) is written here as apply writes it.
 */
const SCHEMA = 'LINKED_AUDIENCES';
let dir: string;

async function linked(...args: string[]) {
  const r = await linkedInProcess([...args, '--dir', dir]);
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'linked-cli-compute-'));
  const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } });
  const aud = (key: string, enabled: boolean) =>
    Audience.parse({ key, name: key, enabled, schedule: { type: 'interval', every: '15m' }, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });
  const desired = Desired.parse({ stack: 'bank', warehouse: { type: 'duckdb', path: 'w.duckdb' }, graph, audiences: [aud('premium', true), aud('sleeping', false)] });
  writeManifest(dir, desired);
  const wh = await openDuckDb(join(dir, 'w.duckdb'));
  await migrateState(wh, SCHEMA);
  await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 5 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(50) t(i)`);
  // The applied state, as \`linked apply\` leaves it.
  const ctx = { applyId: 'a', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 'bank' };
  await writeResource(wh, SCHEMA, 'data_graph', 'graph', desired.graph, ctx, true);
  for (const a of desired.audiences) await writeResource(wh, SCHEMA, 'audience', a.key, a, ctx, true);
  await wh.close();
}, 60_000);

describe('linked compute / runs / status / resume / run --once', () => {
  it('walks an audience through its statuses', async () => {
    let r = await linked('status', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.json().audiences.map((a: { audience: string; status: string }) => [a.audience, a.status])).toEqual([
      ['premium', 'Computing'],
      ['sleeping', 'Disabled'],
    ]);

    r = await linked('compute', 'premium', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.json()).toMatchObject({ audienceKey: 'premium', status: 'Live', members: 10, entered: 10, baseline: true, trigger: 'manual' });


    r = await linked('runs', 'premium', '--json');
    expect(r.json().runs.map((x: { status: string; trigger: string; members: number }) => [x.status, x.trigger, x.members])).toEqual([
      ['Live', 'manual', 10],
    ]);

    // Paused for manual intervention (compute refuses it: test/controller/compute-now.test.ts) until `linked resume`.
    const pause = async (tamper?: string) => {
      const wh = await openDuckDb(join(dir, 'w.duckdb'));
      if (tamper) await wh.query(tamper);
      await updateStatus(wh, SCHEMA, 'premium', { status: 'Failed', paused: true, pausedReason: 'Execution is paused due to an identified operational issue.' });
      await wh.close();
    };
    await pause();
    expect((await linked('status')).out).toMatch(/premium\s+Failed \(paused\)/);
    r = await linked('resume', 'premium', '--json');
    expect(r.json()).toEqual({ audience: 'premium', resumed: true });

    // A snapshot that drifted (SNAPSHOT_MISMATCH): rebuilt from the outbox on the way out.
    await pause(`INSERT INTO "${SCHEMA}"."membership" SELECT * FROM "${SCHEMA}"."membership" WHERE profile_id = 'u5'`);
    r = await linked('resume', 'premium', '--rebuild-snapshot');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Rebuilt the snapshot of premium from its outbox:\n  members 11 -> 10\nResumed premium');
    await pause(`DELETE FROM "${SCHEMA}"."membership" WHERE profile_id = 'u5'`);
    r = await linked('resume', 'premium', '--rebuild-snapshot', '--json');
    expect(r.json()).toEqual({ audience: 'premium', resumed: true, snapshot: { before: { members: 9, entities: {} }, after: { members: 10, entities: {} } } });

    // Resumed: due at once; `run --once` computes it and exits; a second pass finds nothing due.
    r = await linked('run', '--once', '--json');
    expect(r.code, r.err).toBe(0);
    const report = r.json();
    expect(report.due).toEqual(['premium']);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({ status: 'Live', trigger: 'once', members: 10 });
    expect((await linked('run', '--once')).out).toContain('Nothing due: the next run is premium at ');

    r = await linked('status', '--json');
    const premium = r.json().audiences[0];
    expect(premium).toMatchObject({ status: 'Live', paused: false, size: 10 });
    expect(new Date(premium.nextRunAt).getUTCMinutes() % 15).toBe(0);
  }, 300_000);

  it('a request file beside the DuckDB file that is not a request is dropped, and the controller computes on', async () => {
    const requests = requestDirFor(join(dir, 'w.duckdb'));
    mkdirSync(requests, { recursive: true });
    const bad = {
      'empty.json': '{}',
      'hostile.json': JSON.stringify({ id: 'x', audienceKey: "premium'; DROP TABLE x; --", requestedAt: 'not a date', requestedBy: '<script>' }),
      'no-date.json': JSON.stringify({ id: 'y', audienceKey: 'premium', requestedBy: 'ann' }),
      'not-json.json': 'premium please',
    };
    for (const [name, text] of Object.entries(bad)) writeFileSync(join(requests, name), text);
    writeRequestFile(requests, 'premium', 'ann');
    const r = await linked('run', '--once', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.json().runs.map((x: { audienceKey: string; trigger: string }) => [x.audienceKey, x.trigger])).toEqual([['premium', 'manual']]);
    expect(readdirSync(requests)).toEqual([]);
  }, 120_000);

  it('linked run --tick-seconds takes a divisor of a minute and refuses anything else, naming the values', async () => {
    for (const value of ['60', '45', '7', '0', '2.5']) {
      const r = await linked('run', '--tick-seconds', value);
      expect([r.code, r.err]).toEqual([1, expect.stringContaining('INVALID_OPTION')]);
      expect(r.err).toContain('--tick-seconds');
      if (value !== '0' && value !== '2.5') expect(r.err).toContain(`must be 1 to 30 seconds and divide a minute evenly: 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 (got ${value})`);
    }
    const r = await linked('run', '--once', '--tick-seconds', '30', '--json');
    expect(r.code, r.err).toBe(0);
    expect(() => new Controller({ open: () => openDuckDb(':memory:'), schema: SCHEMA, tickSeconds: 59 })).toThrow(RangeError);
  });
});
