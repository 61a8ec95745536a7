import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linked, makeProject } from '../plan/cli-project.js';
import { STEERS } from '../support/terminal-controls.js';

/*
 * The activation commands as a user runs them, in real processes, against a webhook served on
 * 127.0.0.1 by this test: deliver, events preview, dead-letters, replay, deliveries, test-event.
 */
const HOOK_TOKEN = 'canary-hook-token-7c1e55';
/** A trait value that reverses the text after it and clears the screen (a C1 CSI), for the terminal that prints it. */
const STEERING_EMAIL = 'c@x\u202e\u009b2J\u007f';

interface Received {
  authorization: string | undefined;
  body: any;
}

describe('activation from the command line', () => {
  let server: http.Server;
  let url: string;
  const received: Received[] = [];
  let reply = 200;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (reply === 200) received.push({ authorization: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(reply, { 'content-type': 'application/json' }).end(reply === 200 ? '{"ok":true}' : '{"error":"invalid payload"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('previews, delivers, dead-letters, replays and finds events; the secret never shows', async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    raw.destinations[0].settings.url = url;
    raw.emitters[0].enrich = { traits: ['email'] };
    write(raw);
    const env = { HOOK_TOKEN };
    const outputs: string[] = [];
    const run = async (args: string[], withEnv: NodeJS.ProcessEnv = env) => {
      const r = await linked([...args, '--dir', dir, '--json'], withEnv);
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    expect((await run(['apply', '--auto-approve'])).status).toBe(0);
    // The first compute is the baseline: its members are not "entered" events (no sendForCurrent).
    const baseline = await run(['compute', 'aud-0']);
    expect(baseline.status, baseline.stderr).toBe(0);
    expect(JSON.parse(baseline.stdout)).toMatchObject({ status: 'Live', baseline: true, members: 1 });
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    await wh.query(`INSERT INTO main.profiles VALUES ('u3', ?, 'premium', 'a3')`, [STEERING_EMAIL]);
    await wh.close();
    const second = await run(['compute', 'aud-0']);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'Live', baseline: false, members: 2, entered: 1 });

    const preview = await run(['events', 'preview', 'entered-hook']);
    expect(preview.status, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({ emitterKey: 'entered-hook', pending: 1, events: [{ event: { event: 'Audience Entered', userId: 'u3' } }] });
    expect(received, 'a preview sends nothing').toHaveLength(0);
    // The event holds the trait as the warehouse has it; printed, as text or JSON, what would steer a terminal is escaped.
    expect(JSON.stringify(JSON.parse(preview.stdout).events[0].event)).toContain(JSON.stringify(STEERING_EMAIL));
    const previewText = await linked(['events', 'preview', 'entered-hook', '--dir', dir], env);
    expect(previewText.stdout).toContain('c@x\\u202e\\u009b2J\\u007f');
    for (const shown of [preview, previewText]) expect(shown.stdout).not.toMatch(STEERS);

    reply = 400;
    const refused = await run(['deliver']);
    expect(JSON.parse(refused.stdout)).toMatchObject({ sent: 0, deadLettered: 1 });
    const letters = JSON.parse((await run(['dead-letters'])).stdout).deadLetters;
    expect(letters).toEqual([expect.objectContaining({ emitterKey: 'entered-hook' })]);
    expect(JSON.stringify(letters[0])).toContain('invalid payload');
    expect((await run(['deliver'])).stdout).toContain('"sent": 0');

    reply = 200;
    const replayed = await run(['replay', '--all']);
    expect(replayed.status, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout).replayed).toHaveLength(1);
    expect(received.map((r) => [r.body.event, r.body.userId, r.authorization])).toEqual([['Audience Entered', 'u3', HOOK_TOKEN]]);
    expect(JSON.parse((await run(['dead-letters'])).stdout).deadLetters).toEqual([]);

    const found = JSON.parse((await run(['deliveries', '--user-id', 'u3'])).stdout).deliveries;
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(found)).toContain('Audience Entered');

    // Without its secret the emitter is blocked, and status says why until a delivery succeeds.
    const wh2 = await openDuckDb(join(dir, 'w.duckdb'));
    await wh2.query(`INSERT INTO main.profiles VALUES ('u4', 'd@x', 'premium', 'a4')`);
    await wh2.close();
    expect(JSON.parse((await run(['compute', 'aud-0'])).stdout)).toMatchObject({ entered: 1 });
    const unset = await run(['deliver'], { HOOK_TOKEN: undefined });
    expect(unset.status).toBe(1);
    expect(JSON.parse(unset.stdout).emitters).toEqual([expect.objectContaining({ status: 'blocked', blockedReason: 'secret HOOK_TOKEN not set', deadLettered: 0 })]);
    const blocked = JSON.parse((await run(['status'])).stdout).delivery;
    expect(blocked).toEqual([expect.objectContaining({ emitterKey: 'entered-hook', state: 'blocked', blockedReason: 'secret HOOK_TOKEN not set', pending: 1, consecutiveFailures: 1 })]);
    expect(blocked[0].lastError).toContain('[SECRET_MISSING] The secret HOOK_TOKEN is not set');
    expect((await run(['deliver'])).status).toBe(0);
    expect(JSON.parse((await run(['status'])).stdout).delivery).toEqual([
      expect.objectContaining({ state: 'up_to_date', blockedReason: null, consecutiveFailures: 0, lastError: null }),
    ]);

    const test = await run(['test-event', 'entered-hook', '--user-id', 'u1']);
    expect(test.status, test.stderr).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({ sent: true, response: { status: 200 }, headerNames: ['Authorization'] });
    expect(received.at(-1)!.body).toMatchObject({ event: 'Audience Entered', userId: 'u1', messageId: expect.stringMatching(/^test-/) });
    for (const o of outputs) expect(o).not.toContain(HOOK_TOKEN);
  }, 120_000);
});
