import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runAudience } from '../../src/compute/run.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { LOOP_QUERIES } from '../controller/fixtures/queries.js';
import { SCHEMA, freshWarehouse, replayMismatches } from './helpers.js';
import { killRoundOnDuckDb } from '../support/duckdb-kill.js';
import { rng } from '../support/generate.js';
import { fixtureArgs } from '../support/fixture-process.js';

const CHILD = new URL('../controller/fixtures/child.ts', import.meta.url).pathname;

/**
 * Starts the looping child and kills it `afterMs` after it begins its `nth` run (1-based): the
 * kill lands inside a run (or just after it) whatever the machine's load.
 */
function killDuringRun(db: string, seed: number, nth: number, afterMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...fixtureArgs(CHILD), 'loop', db, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    child.stdout.on('data', (d) => {
      out += d;
      if (!armed && out.includes(`begin ${nth - 1}\n`)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), afterMs);
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`child exited ${code}: ${err}`));
    });
  });
}

describe('a run killed with SIGKILL at random points', () => {
  it('never leaves the outbox and the snapshot out of step', async () => {
    const { wh, path } = await freshWarehouse();
    await wh.query("CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CAST(300 + hash(i) % 550 AS INTEGER) AS score FROM range(30000) t(i)");
    await wh.query("CREATE TABLE main.accounts AS SELECT 'a' || i AS account_id, 'u' || (i % 30000) AS user_id, CAST(hash(i * 7) % 400 AS DOUBLE) AS balance FROM range(60000) t(i)");
    await wh.close();

    const rnd = rng(7).next;
    let completed = 0;
    for (let i = 0; i < 6; i++) {
      const afterMs = Math.floor(rnd() * 900);
      const out = await killRoundOnDuckDb(path, async () => {
        const printed = await killDuringRun(path, i + 1, 1 + (i % 3), afterMs);
        const check = await openDuckDb(path);
        expect(await replayMismatches(check), `after kill ${i}`).toEqual([]);
        await check.close();
        return printed;
      });
      completed += out.split('\n').filter((l) => l.startsWith('run ')).length;
    }
    // Kills after the 2nd and 3rd run began: whole runs committed between the crashes.
    expect(completed).toBeGreaterThan(0);

    // After the crashes, one more run converges on the truth computed from the data.
    const wh2 = await openDuckDb(path);
    const s = await runAudience(wh2, { schema: SCHEMA, audienceKey: 'a', trigger: 'manual', compile: () => LOOP_QUERIES });
    expect(s.status).toBe('Live');
    const truth = await wh2.query<{ n: number }>('SELECT COUNT(*) AS n FROM main.profiles WHERE score >= 600');
    expect(s.members).toBe(Number(truth.rows[0]!.n));
    const diff = await wh2.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM (SELECT user_id FROM main.profiles WHERE score >= 600
         EXCEPT SELECT profile_id FROM "${SCHEMA}"."membership" WHERE audience_key = 'a')`,
    );
    expect(Number(diff.rows[0]!.n)).toBe(0);
    expect(await replayMismatches(wh2)).toEqual([]);
    // Runs the kills interrupted are closed as abandoned, never left Computing.
    const computing = await wh2.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${SCHEMA}"."runs" WHERE status = 'Computing'`);
    expect(Number(computing.rows[0]!.n)).toBe(0);
    if (process.env.CRASH_DEBUG) console.log(completed, (await wh2.query(`SELECT status, step, COUNT(*) n FROM "${SCHEMA}"."runs" GROUP BY ALL`)).rows);
    await wh2.close();
  }, 120_000);
});
