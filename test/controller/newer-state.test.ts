import { describe, expect, it } from 'vitest';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import { whileWaiting } from '../../src/controller/file-waiters.js';
import { MIGRATIONS } from '../../src/state/migrations/index.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { json } from '../activation/helpers.js';
import { cleanUpAfterEach, freePort, makeProject, query, SCHEMA } from './daemon-project.js';

/*
 * A serving `linked run` whose state a newer linked migrates under it (a CI apply of the next
 * release, the next image of the daemon): it must not go on computing and delivering on a state it
 * does not know. The daemon is a real process on the real DuckDB file; the newer linked is played
 * by this test, which opens the file as a waiting command does, computes (as the newer linked's
 * controller would) and adds a migration this code does not know, as upgrade.test.ts does.
 */
const S = `"${SCHEMA}"`;
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

const { running, serve } = cleanUpAfterEach();

/** A webhook that holds its first request until released, and says when a second one arrives. */
async function holdingWebhook() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let firstArrived!: () => void;
  const first = new Promise<void>((r) => (firstArrived = r));
  let secondArrived!: () => void;
  const second = new Promise<'delivered again'>((r) => (secondArrived = () => r('delivered again')));
  const server = await serve(async (_req, n, res) => {
    if (n === 1) {
      firstArrived();
      await gate;
    } else secondArrived();
    json(res, 200, {});
  });
  return { server, first, second, release };
}

/** As a newer linked leaves the state: u1 entered (its outbox row written), then one migration more. */
async function newerLinkedMigrates(db: string): Promise<void> {
  const wh = await whileWaiting(db, () => openDuckDb(db));
  try {
    await wh.query(`UPDATE main.profiles SET plan = 'premium' WHERE user_id = 'u1'`);
    const model = (await readAppliedModel(wh, SCHEMA))!;
    const run = await runAudience(wh, {
      schema: SCHEMA,
      audienceKey: 'premium',
      trigger: 'manual',
      compile: () => compileAudience(model, 'premium', { dialect: wh.dialect, stateSchema: SCHEMA, now: new Date() }),
    });
    expect(run).toMatchObject({ status: 'Live', entered: 1 });
    await wh.query(`INSERT INTO ${S}."schema_version" VALUES (?, ?, now()::TIMESTAMP)`, [LATEST + 1, 'from_the_future']);
  } finally {
    await wh.close();
  }
}

async function readiness(port: number): Promise<{ healthz: string; readyz: string; status: number[] }> {
  const get = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: r.status, text: await r.text() };
  };
  const [h, r] = [await get('/healthz'), await get('/readyz')];
  return { healthz: h.text, readyz: r.text, status: [h.status, r.status] };
}

describe('a serving daemon whose state a newer linked migrates', () => {
  it('stops delivering at once, reports unhealthy, releases its leases and exits 1 naming STATE_TOO_NEW and the fix', async () => {
    const hook = await holdingWebhook();
    // u0 is the only premium member: the baseline is one event, one request, held by the webhook.
    const p = await makeProject(hook.server.url, { users: 5 });
    const port = await freePort();
    const daemon = p.spawnLinked('run', '--tick-seconds', '1', '--timeout', '60000', '--listen', `127.0.0.1:${port}`, '--log-format', 'json');
    running.push(daemon);

    // The baseline's page is with the destination (the emitter's lease held) when the state moves.
    await hook.first;
    await newerLinkedMigrates(p.db);

    // The daemon's next statement finds the newer version: it halts, and while it waits for the
    // page in flight it is neither healthy nor ready (Kubernetes takes it out of rotation).
    let health = await readiness(port);
    // Both answers 503 (the halt can land between the two requests of one look).
    for (let i = 0; i < 600 && health.status.includes(200) && daemon.child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      health = await readiness(port);
    }
    expect(health.status).toEqual([503, 503]);
    expect(health.healthz).toMatch(/^not ok: halted \[STATE_TOO_NEW\]: a newer linked migrated the state; upgrade this daemon/);
    expect(health.readyz).toBe(health.healthz);

    // The destination answers the page in flight; its commit is refused (the newer linked sends
    // it again, with the same messageId), and nothing else is sent: not u1's event either.
    hook.release();
    const outcome = await Promise.race([daemon.exited, hook.second]);
    expect(outcome, 'the daemon delivered again on the newer state').not.toBe('delivered again');
    const end = await daemon.exited;
    expect(end.code, end.out + end.err).toBe(1);
    expect(hook.server.requests.map((r) => (r.body as { userId: string }).userId)).toEqual(['u0']);

    // One error in the log, naming the refusal and the fix; the command's own error as it exits.
    const records = end.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; msg: string });
    const said = records.filter((r) => JSON.stringify(r).includes('STATE_TOO_NEW'));
    expect(said).toMatchObject([{ level: 'error' }]);
    expect(said[0].msg).toContain(`error [STATE_TOO_NEW]: a newer linked migrated the state (version ${LATEST + 1}; this linked knows up to ${LATEST}). This daemon stops now`);
    expect(said[0].msg).toContain('Upgrade linked-audiences where it runs');
    expect(records.at(-1)).toMatchObject({ level: 'info', msg: 'stopped: released its leases (emitter:premium-entered)' });
    expect(end.err).toContain(`Error [STATE_TOO_NEW]: The state in schema ${SCHEMA} is at version ${LATEST + 1}, and this linked knows versions up to ${LATEST}`);

    // Nothing held for the upgraded daemon to wait out, the controller gone from the live ones,
    // and the page in flight unrecorded: u0 and u1 wait for the newer linked.
    expect(await query(p.db, `SELECT audience_key, holder FROM ${S}."leases" WHERE holder IS NOT NULL`)).toEqual([]);
    expect(await query(p.db, `SELECT id FROM ${S}."controllers" WHERE stopped_at IS NULL`)).toEqual([]);
    const recorded = `SELECT (SELECT count(*) FROM ${S}."delivery_pages")::INTEGER + (SELECT count(*) FROM ${S}."delivery_events")::INTEGER AS n`;
    expect(await query(p.db, recorded)).toEqual([{ n: 0 }]);
  }, 180_000);
});
