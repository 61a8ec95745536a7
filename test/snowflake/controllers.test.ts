import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSnowflake } from '../../src/warehouse/snowflake.js';
import { linkedChild, linked as linkedCli } from '../plan/cli-project.js';
import { bankWorld } from '../support/bank-world.js';
import { emulatedConfig } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';
import { bankMainOnSnowflake, loadBankIntoEmulator, userProject, type SnowflakeProject } from './cli-project.js';

/*
 * Scale-out: two `linked run --once` daemons (real processes) start together against one
 * emulated Snowflake account, through snowflake-sdk. The leases split the audiences and emitters
 * between them: every due audience is computed once, every event reaches the destination once
 * (one messageId, one request), and the state holds one lease row per audience. The emulation
 * delays each write so that the daemons' statements interleave.
 */
const PASSWORD = 'canary-sf-password-7c10aa';

/** Every messageId (Segment, webhook) or message_id (Braze event property) a body carries. */
function idsIn(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const v of value) idsIn(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'messageId' || k === 'message_id') && typeof v === 'string') into.add(v);
      else idsIn(v, into);
    }
  }
  return into;
}

function startSink() {
  const messageIds: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      for (const id of idsIn(body ? JSON.parse(body) : undefined, new Set())) messageIds.push(`${req.url}|${id}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"success"}');
    });
  });
  return new Promise<{ url: string; messageIds: string[]; close(): Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        messageIds,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

describe('two daemons against one emulated Snowflake', () => {
  const world = bankWorld(60, 11, new Date());
  let emulator: SnowflakeEmulator;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let project: SnowflakeProject;
  let env: NodeJS.ProcessEnv;
  const linked = (...args: string[]) => linkedCli([...args, '--dir', project.dir], env);
  // Two daemons side by side: two processes.
  const daemon = (...args: string[]) => linkedChild([...args, '--dir', project.dir], env);

  beforeAll(async () => {
    emulator = await startSnowflakeEmulator({ password: PASSWORD, dmlLatencyMs: 5 });
    sink = await startSink();
    project = userProject(bankMainOnSnowflake());
    await loadBankIntoEmulator(emulator.url, world, PASSWORD);
    env = { SF_PASSWORD: PASSWORD, SF_ACCESS_URL: emulator.url, BANK_WEBHOOK_URL: `${sink.url}/hook`, BANK_BRAZE_ENDPOINT: `${sink.url}/braze`, WEBHOOK_TOKEN: 'webhook-token-1', BRAZE_API_KEY: 'braze-key-1' };
  }, 60_000);
  afterAll(async () => {
    await sink?.close();
    await emulator?.close();
    project?.remove();
  });

  it('split the audiences and emitters: each computed once, each event delivered once', async () => {
    expect((await linked('synth')).status).toBe(0);
    expect((await linked('apply', '--auto-approve', '--json')).status).toBe(0);

    const [one, two] = await Promise.all([daemon('run', '--once', '--json'), daemon('run', '--once', '--json')]);
    const reports = [one, two].map((r) => {
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    });
    const runs = reports.flatMap((r) => r.runs as { audienceKey: string; status: string; runId: string; startedAt: string }[]);
    // Once per schedule slot. The daemons may straddle a slot's start (travel-spenders runs every
    // 15 minutes on the clock, overdue-cards every hour): then the later one computes the new slot.
    const slotOf: Record<string, (t: number) => number> = {
      'travel-spenders': (t) => Math.floor(t / 900_000),
      'overdue-cards': (t) => Math.floor(t / 3_600_000),
      'dormant-savers': (t) => Math.floor((t - 6 * 3_600_000) / 86_400_000), // cron 0 6 * * *
    };
    expect([...new Set(runs.map((r) => r.audienceKey))].sort()).toEqual(['dormant-savers', 'overdue-cards', 'travel-spenders']);
    const slots = runs.map((r) => `${r.audienceKey}@${slotOf[r.audienceKey]!(Date.parse(r.startedAt))}`);
    expect(slots.length, `one run per audience and slot: ${slots.join(', ')}`).toBe(new Set(slots).size);
    expect(runs.every((r) => r.status === 'Live')).toBe(true);

    // Each run's statements carry its stack, audience and run id as their QUERY_TAG.
    const tags = emulator.queries.map((q) => String(q.parameters?.QUERY_TAG ?? ''));
    for (const r of runs) {
      expect(tags, r.audienceKey).toContain(`team=crm linked-audiences:compute stack=bank audience=${r.audienceKey} run=${r.runId}`);
    }
    const staging = emulator.queries.filter((q) => /^\s*INSERT INTO "LINKED_AUDIENCES"\."(membership|entity_matches)_stage"/i.test(q.sqlText));
    expect(staging.length).toBeGreaterThan(0);
    for (const q of staging) expect(String(q.parameters?.QUERY_TAG)).toMatch(/^team=crm linked-audiences:compute stack=bank audience=[a-z-]+ run=[0-9a-f-]{36}$/);

    // Every event once: no messageId reached the destinations twice.
    expect(sink.messageIds.length).toBeGreaterThan(0);
    expect(sink.messageIds.length).toBe(new Set(sink.messageIds).size);

    const wh = await openSnowflake(emulatedConfig(emulator.url), { env: { SF_EMULATED_PASSWORD: PASSWORD } });
    try {
      const dup = async (table: string, key: string) =>
        (await wh.query<{ N: number }>(`SELECT COUNT(*) AS N FROM (SELECT ${key} FROM "LINKED_AUDIENCES"."${table}" GROUP BY ${key} HAVING COUNT(*) > 1)`)).rows[0]!.N;
      expect(await dup('leases', 'AUDIENCE_KEY')).toBe(0);
      expect(await dup('audience_status', 'AUDIENCE_KEY')).toBe(0);
      expect(await dup('delivery_health', 'EMITTER_KEY')).toBe(0);
      expect(await dup('delivery_cursors', 'EMITTER_KEY')).toBe(0);
      // The outbox rows a delivered event came from were sent once: its messageIds are unique too.
      const { rows } = await wh.query<{ N: number }>(`SELECT COUNT(*) AS N FROM "LINKED_AUDIENCES"."outbox"`);
      expect(rows[0]!.N).toBeGreaterThan(0);
    } finally {
      await wh.close();
    }
  }, 240_000);
});
