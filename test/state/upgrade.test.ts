import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import { Daemon } from '../../src/controller/daemon.js';
import { isLinkedError } from '../../src/model/errors.js';
import { createStateOnly, migrateState, readStateVersion } from '../../src/state/migrate.js';
import { MIGRATIONS } from '../../src/state/migrations/index.js';
import { requireCurrentState } from '../../src/ui/source.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { applyResources, startServer, tempDir, type TestServer } from '../activation/helpers.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * The state across versions of linked: a user upgrades the tool in place, on the same DuckDB file,
 * and a process of another version may meet the state another one migrated. The old state is built
 * with the migrations the old linked had (migrateState's upTo), rows written as it wrote them.
 */
const SCHEMA = 'LINKED_AUDIENCES';
const S = `"${SCHEMA}"`;
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

let wh: DuckDbWarehouse | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await wh?.close();
  wh = undefined;
  await server?.close();
  server = undefined;
});

const versionRows = async (w: DuckDbWarehouse) => (await w.query(`SELECT version, name FROM ${S}."schema_version" ORDER BY version`)).rows;

describe('a state a newer linked migrated', () => {
  /** A state at this code's version, then one more, as a newer linked leaves it. */
  const newer = async (path = join(tempDir(), 'w.duckdb')) => {
    wh = await openDuckDb(path);
    await migrateState(wh, SCHEMA);
    await wh.query(`INSERT INTO ${S}."schema_version" VALUES (?, ?, now()::TIMESTAMP)`, [LATEST + 1, 'from_the_future']);
    return wh;
  };

  it('is refused by every command (migrateState) with the versions and what to do, and left as it is', async () => {
    const w = await newer();
    const before = await versionRows(w);
    const refusal = await migrateState(w, SCHEMA).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isLinkedError(refusal) && refusal.code).toBe('STATE_TOO_NEW');
    expect((refusal as Error).message).toBe(
      `The state in schema ${SCHEMA} is at version ${LATEST + 1}, and this linked knows versions up to ${LATEST}: a newer linked migrated it (${LATEST + 1} from_the_future). ` +
        `Upgrade linked-audiences here to that newer version (in every place that uses this state: CI, the controller's host, your machine). ` +
        `An older linked neither reads nor writes a newer state, and a state is never migrated back.`,
    );
    expect(await versionRows(w)).toEqual(before);
  });

  it('is refused by the dashboard, which only reads', async () => {
    await expect(requireCurrentState(await newer(), SCHEMA)).rejects.toMatchObject({ code: 'STATE_TOO_NEW' });
  });

  it('is refused by a daemon before any of its loops reads it', async () => {
    const db = join(tempDir(), 'w.duckdb');
    await (await newer(db)).close();
    wh = undefined;
    const daemon = new Daemon({ open: () => openDuckDb(db), schema: SCHEMA, compute: false });
    try {
      await expect(daemon.open()).rejects.toMatchObject({ code: 'STATE_TOO_NEW' });
    } finally {
      await daemon.stop();
    }
  });
});

describe('upgrading from state version 9', () => {
  it('a delivery-only daemon (`linked deliver --watch`) migrates first, then sends a backfill once and records it', async () => {
    server = await startServer();
    const db = join(tempDir(), 'w.duckdb');
    wh = await openDuckDb(db);
    expect(await migrateState(wh, SCHEMA, { upTo: 9 })).toEqual({ from: 0, to: 9 });
    await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 5 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(?) t(i)`, [20]);
    // Applied and computed as version 9 left them: migration 10 changed only the delivery record,
    // which nothing has written yet, so this code's apply and compute write what the old ones did.
    await applyResources(wh, {
      graph: { profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } },
      audiences: [
        { key: 'premium', name: 'Premium', enabled: true, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } },
      ],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: false } }],
      emitters: [{ key: 'premium-now', audience: 'premium', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true }],
    });
    // A run as `linked compute` makes it, without its look for a controller (whose table a later
    // migration changed; no command reads it before migrating).
    const model = (await readAppliedModel(wh, SCHEMA))!;
    const run = await runAudience(wh, { schema: SCHEMA, audienceKey: 'premium', trigger: 'manual', compile: () => compileAudience(model, 'premium', { dialect: wh!.dialect, stateSchema: SCHEMA, now: new Date() }) });
    expect(run).toMatchObject({ status: 'Live', members: 4 });
    expect((await readStateVersion(wh, SCHEMA)).current).toBe(9);
    await wh.close();
    wh = undefined;

    const daemon = new Daemon({ open: () => openDuckDb(db), schema: SCHEMA, compute: false, pollMs: 100 });
    const report = await daemon.once();
    expect(report.deliveries).toMatchObject([{ emitterKey: 'premium-now', status: 'delivered', sent: 4 }]);
    const sent = server.requests.map((r) => (r.body as { messageId: string }).messageId);
    expect(sent).toHaveLength(4);
    expect(new Set(sent).size).toBe(4);

    wh = await openDuckDb(db);
    expect((await readStateVersion(wh, SCHEMA)).current).toBe(LATEST);
    const recorded = (await wh.query(`SELECT message_id, audience_key FROM ${S}."delivery_events" ORDER BY message_id`)).rows;
    expect(recorded.map((r) => r.message_id)).toEqual([...sent].sort());
    expect(recorded.every((r) => r.audience_key === 'premium')).toBe(true);
  }, 60_000);
});

describe('a pull request that upgrades linked', () => {
  it('plans against the state without migrating it, which main\'s pipeline and controller still use; an apply migrates it', async () => {
    const { dir } = await makeProject(2);
    const db = join(dir, 'w.duckdb');
    wh = await openDuckDb(db);
    await migrateState(wh, SCHEMA, { upTo: 9 });
    await wh.close();
    wh = undefined;

    const plan = await linked(['plan', '--dir', dir, '--no-synth', '--detailed-exitcode']);
    expect(plan.status, plan.stderr).toBe(2);
    expect(plan.stderr).toContain(
      `Note: the state in schema ${SCHEMA} is at version 9. The plan leaves it so; the first other command of this linked (apply, run, status) migrates it to version ${LATEST}, ` +
        'and from then on every linked that uses this state (CI, the controller) must be this version or newer.',
    );
    wh = await openDuckDb(db);
    expect((await readStateVersion(wh, SCHEMA)).current).toBe(9);
    await wh.close();
    wh = undefined;

    expect((await linked(['apply', '--dir', dir, '--no-synth', '--auto-approve'])).status).toBe(0);
    wh = await openDuckDb(db);
    expect((await readStateVersion(wh, SCHEMA)).current).toBe(LATEST);
  }, 120_000);

  it('rethrows a version read that fails for another reason than a missing state, and migrates nothing', async () => {
    wh = await openDuckDb(join(tempDir(), 'w.duckdb'));
    await migrateState(wh, SCHEMA, { upTo: 9 });
    const real = wh;
    const dropped = new Error('connection reset by peer');
    let failed = false;
    // The first read of the version table fails as a dropped connection would; the rest go through.
    const flaky = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (sql: string, ...rest: unknown[]) => {
          if (!failed && sql.includes('schema_version')) {
            failed = true;
            return Promise.reject(dropped);
          }
          return (target.query as (...a: unknown[]) => unknown)(sql, ...rest);
        };
      },
    });
    await expect(createStateOnly(flaky, SCHEMA)).rejects.toBe(dropped);
    expect((await readStateVersion(real, SCHEMA)).current).toBe(9);
  });

  it('creates the state when there is none', async () => {
    wh = await openDuckDb(join(tempDir(), 'w.duckdb'));
    expect(await createStateOnly(wh, SCHEMA)).toBeUndefined();
    expect((await readStateVersion(wh, SCHEMA)).current).toBe(LATEST);
  });
});
