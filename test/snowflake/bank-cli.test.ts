import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileMembership } from '../../src/sql/index.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { openSnowflake } from '../../src/warehouse/snowflake.js';
import { join } from 'node:path';
import { loadDesired } from '../../src/manifest/index.js';
import { linked as linkedCli } from '../plan/cli-project.js';
import { bankWorld } from '../support/bank-world.js';
import { contextFor } from '../support/context.js';
import { loadWorld } from '../support/load.js';
import { emulatedConfig } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';
import { bankMainOnSnowflake, loadBankIntoEmulator, userProject, type SnowflakeProject } from './cli-project.js';

/*
 * The bank example end to end as a user runs it, in real `linked` processes, on the Snowflake
 * emulation through snowflake-sdk: synth, validate, plan, apply, run --once, a change in the data,
 * compute, deliver to local endpoints, drift, audit, resume --rebuild-snapshot. The state lives in
 * the emulated account. Members are compared with DuckDB's on the same data.
 */
const PASSWORD = 'canary-sf-password-2d81f0';
const HOOK_TOKEN = 'canary-hook-token-90be';
const BRAZE_KEY = 'canary-braze-key-51aa';

interface Received {
  path: string;
  body: any;
}

function startSink(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: body ? JSON.parse(body) : undefined });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"success"}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        received,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

describe('the bank example through the CLI on emulated Snowflake', () => {
  const world = bankWorld(120, 7, new Date());
  let emulator: SnowflakeEmulator;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let project: SnowflakeProject;
  const outputs: string[] = [];
  let env: NodeJS.ProcessEnv;

  const linked = async (...args: string[]) => {
    const r = await linkedCli([...args, '--dir', project.dir], env);
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const json = async (...args: string[]) => {
    const r = await linked(...args, '--json');
    expect(r.stderr, `linked ${args.join(' ')}`).toBe('');
    return { status: r.status, out: r.stdout ? JSON.parse(r.stdout) : undefined };
  };
  const membersOnSnowflake = async (audience: string) => {
    const wh = await openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: PASSWORD } });
    try {
      const { rows } = await wh.query<{ PROFILE_ID: string }>(`SELECT PROFILE_ID FROM "LINKED_AUDIENCES"."membership" WHERE AUDIENCE_KEY = ? ORDER BY PROFILE_ID`, [audience]);
      return rows.map((r) => r.PROFILE_ID);
    } finally {
      await wh.close();
    }
  };

  beforeAll(async () => {
    emulator = await startSnowflakeEmulator({ password: PASSWORD });
    sink = await startSink();
    project = userProject(bankMainOnSnowflake());
    await loadBankIntoEmulator(emulator.url, world, PASSWORD);
    env = {
      SF_PASSWORD: PASSWORD,
      SF_ACCESS_URL: emulator.url,
      BANK_WEBHOOK_URL: `${sink.url}/hook`,
      BANK_BRAZE_ENDPOINT: `${sink.url}/braze`,
      WEBHOOK_TOKEN: HOOK_TOKEN,
      BRAZE_API_KEY: BRAZE_KEY,
    };
  }, 60_000);
  afterAll(async () => {
    await sink?.close();
    await emulator?.close();
    project?.remove();
  });

  it('synth, validate, plan, apply, run, compute, deliver, drift, audit, resume; state on Snowflake, members as DuckDB computes them', async () => {
    expect((await json('synth')).status).toBe(0);
    const validate = await json('validate');
    expect(validate.out.stacks[0]).toMatchObject({ stack: 'bank', warehouse: 'snowflake emulated/ANALYTICS' });

    const plan = await json('plan');
    expect(plan.status).toBe(0);
    expect((await json('apply', '--auto-approve')).status).toBe(0);

    // The first run of each enabled audience: its baseline (events only where sendForCurrent).
    // Two runs at once (the default concurrency): their commits queue on the tables' locks.
    const beforeRun = emulator.queries.length;
    const first = await json('run', '--once');
    expect(first.status, JSON.stringify(first.out)).toBe(0);
    // Each delivery pass (its QUERY_TAG's run id) reads its pages on a session of its own, beside
    // the one its cursor moves through: a page's reads do not wait behind the previous commit.
    const passes = new Map<string, { reads: Set<number>; commits: Set<number> }>();
    for (const q of emulator.queries.slice(beforeRun)) {
      const run = /linked-audiences:deliver stack=bank run=([0-9a-f-]{36})$/.exec(String(q.parameters?.QUERY_TAG))?.[1];
      if (!run) continue;
      const pass = passes.get(run) ?? { reads: new Set<number>(), commits: new Set<number>() };
      passes.set(run, pass);
      if (/^SELECT "O"\."ID" AS "ID"[\s\S]*FROM "[^"]+"\."outbox" AS "O"/.test(q.sqlText)) pass.reads.add(q.sessionId);
      if (/^UPDATE "[^"]+"\."delivery_cursors" SET "LAST_OUTBOX_ID"/.test(q.sqlText)) pass.commits.add(q.sessionId);
    }
    const committed = [...passes.values()].filter((p) => p.commits.size > 0);
    expect(committed.length).toBeGreaterThan(0);
    for (const p of committed) expect([...p.reads].filter((id) => p.commits.has(id))).toEqual([]);
    const enabled = ['dormant-savers', 'overdue-cards', 'travel-spenders'];
    expect(first.out.runs.map((r: { audienceKey: string }) => r.audienceKey).sort()).toEqual(enabled);
    expect(first.out.runs.every((r: { status: string }) => r.status === 'Live')).toBe(true);

    // Same members as DuckDB computes on the same data.
    const duck = await openDuckDb(':memory:');
    // Compiled for the instant the CLI's run started: windows are relative to it.
    // The audiences as synthesized from the example (not the test fixture's copy).
    const desired = await loadDesired(join(project.dir, 'cdktf.out'), 'bank');
    const conditionOf = (key: string) => desired.audiences.find((a) => a.key === key)!.condition;
    const expected = async (key: string, startedAt: string) => {
      const linked = Object.fromEntries(desired.audiences.map((a) => [a.key, { kind: 'inline' as const, condition: a.condition }]));
      const q = compileMembership(conditionOf(key), contextFor({ ...world, graph: desired.graph, classicAudiences: desired.classicAudiences, linked, now: new Date(startedAt) }, 'duckdb'));
      return (await duck.query<{ profile_id: string }>(q.sql, q.params)).rows.map((r) => r.profile_id).sort();
    };
    try {
      await loadWorld(duck, { ...world, tables: world.tables.filter((t) => !t.ref.startsWith('LINKED_AUDIENCES.')) });
      for (const key of enabled) {
        const run = first.out.runs.find((r: { audienceKey: string }) => r.audienceKey === key);
        const members = await membersOnSnowflake(key);
        expect(members, key).toEqual(await expected(key, run.startedAt));
        expect(run.members, key).toBe(members.length);
      }
      expect((await membersOnSnowflake('travel-spenders')).length).toBeGreaterThan(0);
    } finally {
      await duck.close();
    }

    // A change in the data: a profile leaves travel-spenders (its travel transactions go).
    const leaving = (await membersOnSnowflake('travel-spenders'))[0];
    const wh = await openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: PASSWORD } });
    try {
      await wh.query(
        `DELETE FROM "main"."transactions" WHERE "card_id" IN (SELECT c."card_id" FROM "main"."credit_cards" c JOIN "main"."accounts" a ON a."account_id" = c."account_id" WHERE a."user_id" = ?)`,
        [leaving],
      );
    } finally {
      await wh.close();
    }
    const compute = await json('compute', 'travel-spenders');
    expect(compute.status).toBe(0);
    expect(compute.out).toMatchObject({ status: 'Live', baseline: false, exited: 1 });
    expect(await membersOnSnowflake('travel-spenders')).not.toContain(leaving);

    // Delivery to the local endpoints: the baseline's travel-spender entries (sendForCurrent), overdue cards to Braze.
    const beforeDeliver = emulator.queries.length;
    const deliver = await json('deliver');
    expect(deliver.status, JSON.stringify(emulator.queries.filter((q) => q.errorCode).slice(0, 1))).toBe(0);
    // The delivery's statements (the outbox, enrichment on the Data Graph's tables, its records)
    // carry its own QUERY_TAG, so its warehouse time can be told apart from the compute runs'.
    const delivering = emulator.queries.slice(beforeDeliver);
    const isDelivery = (q: (typeof delivering)[number]) => /^team=crm linked-audiences:deliver stack=bank run=[0-9a-f-]{36}$/.test(String(q.parameters?.QUERY_TAG));
    expect(delivering.filter(isDelivery).length).toBeGreaterThan(0);
    expect(delivering.filter((q) => /"outbox"|"main"\./.test(q.sqlText) && !isDelivery(q)).map((q) => q.sqlText)).toEqual([]);
    const hooked = sink.received.filter((r) => r.path === '/hook').flatMap((r) => (Array.isArray(r.body) ? r.body : [r.body]));
    // `run --once` already delivered the baseline (sendForCurrent, an Entered-only emitter), so the
    // leaving member's Entered went out before it left: the others are exactly who is a member now.
    const current = await membersOnSnowflake('travel-spenders');
    const usersOf = (event: string) => hooked.filter((e: any) => e.event === event).map((e: any) => e.userId as string);
    expect(usersOf('Audience Entered')).toContain(leaving);
    expect(usersOf('Audience Entered').filter((u) => u !== leaving).sort()).toEqual(current);
    expect(sink.received.some((r) => r.path.startsWith('/braze'))).toBe(true);
    expect((await json('deliver')).out).toMatchObject({ sent: 0 });

    // Drift: a column the graph uses is dropped in the warehouse.
    const wh2 = await openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: PASSWORD } });
    try {
      await wh2.query(`ALTER TABLE "main"."offers" DROP COLUMN "expires_at"`);
    } finally {
      await wh2.close();
    }
    const drift = await linked('drift', '--detailed-exitcode', '--json');
    expect(drift.status).toBe(2);
    expect(JSON.parse(drift.stdout).drift.map((d: { code: string }) => d.code)).toContain('DRIFT_COLUMN_DROPPED');

    const audit = await json('audit');
    expect(audit.out.entries).toHaveLength(1);

    // Rebuilding is refused while the audience is live (no run may write the snapshot meanwhile).
    const resume = await json('resume', 'travel-spenders', '--rebuild-snapshot');
    expect(resume.status).toBe(1);
    expect(resume.out.error.code).toBe('AUDIENCE_NOT_PAUSED');

    // Every statement of every command ran on the emulated account, tagged; no secret anywhere.
    const tags = new Set(emulator.queries.map((q) => String(q.parameters?.QUERY_TAG ?? '')));
    // Each statement of the CLI names what ran it, after the team's tag (the test's own connections carry none).
    expect([...tags].filter((t) => t !== '' && !/^team=crm linked-audiences:\S/.test(t))).toEqual([]);
    for (const tag of ['catalog', 'migrate', 'command=apply stack=bank', 'command=run stack=bank', 'command=drift stack=bank', 'command=audit stack=bank', 'command=resume stack=bank']) {
      expect([...tags]).toContain(`team=crm linked-audiences:${tag}`);
    }
    for (const o of outputs) for (const secret of [PASSWORD, HOOK_TOKEN, BRAZE_KEY]) expect(o).not.toContain(secret);
    const stored = await openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: PASSWORD } });
    try {
      for (const t of ['runs', 'resources', 'apply_log', 'outbox']) {
        const { rows } = await stored.query(`SELECT * FROM "LINKED_AUDIENCES"."${t}"`);
        for (const secret of [PASSWORD, HOOK_TOKEN, BRAZE_KEY]) expect(JSON.stringify(rows), t).not.toContain(secret);
      }
    } finally {
      await stored.close();
    }
  }, 300_000);

});
