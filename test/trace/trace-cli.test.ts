import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linkedAsync as linked, makeProject } from '../plan/cli-project.js';

/*
 * `linked trace` as a user runs it, in real processes, in a real git checkout: an event delivered
 * to a webhook on 127.0.0.1 is traced back to the commit that created the audience version which
 * produced it, after a later apply changed the audience and another deleted it.
 */
describe('linked trace', () => {
  let server: http.Server;
  let url: string;
  const received: any[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('traces a delivered event to the commit of the version that produced it, after a change and a delete', async () => {
    const { dir, raw, write } = await makeProject(1);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Ada Author');
    git('config', 'user.email', 'ada@example.test');
    writeFileSync(join(dir, '.gitignore'), '*.duckdb\n*.duckdb.wal\n');
    const commit = (message: string) => {
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    };
    const run = async (...args: string[]) => {
      const r = await linked([...args, '--dir', dir, '--json'], { HOOK_TOKEN: 'token-1' });
      expect(r.status, `linked ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout);
    };

    raw.audiences[0].enabled = true;
    raw.destinations[0].settings.url = url;
    write(raw);
    const first = commit('Premium members audience');
    await run('apply', '--auto-approve');
    expect(await run('compute', 'aud-0')).toMatchObject({ status: 'Live', baseline: true });
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    await wh.query(`INSERT INTO main.profiles VALUES ('u3', 'c@x', 'premium', 'a3')`);
    await wh.close();
    const computed = await run('compute', 'aud-0');
    expect(computed).toMatchObject({ status: 'Live', entered: 1 });
    expect(await run('deliver')).toMatchObject({ sent: 1 });
    expect(received.map((e) => [e.event, e.userId])).toEqual([['Audience Entered', 'u3']]);
    const messageId = received[0].messageId;

    // A new version of the audience, computed; then the audience and its emitter are deleted.
    raw.audiences[0].condition = { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['premium', 'gold'] };
    write(raw);
    const second = commit('Gold members too');
    await run('apply', '--auto-approve');
    expect(await run('compute', 'aud-0')).toMatchObject({ status: 'Live' });
    raw.audiences = [];
    raw.emitters = [];
    write(raw);
    commit('Retire the premium audience');
    await run('apply', '--auto-approve');

    const { trace } = await run('trace', messageId);
    expect(trace.delivery).toMatchObject({ messageId, userId: 'u3', event: 'Audience Entered', status: 'sent', destinationKey: 'hook', emitterKey: 'entered-hook' });
    expect(trace.source).toMatchObject({ source: 'outbox', audienceKey: 'aud-0', kind: 'entered', profileId: 'u3', computeRunId: computed.runId });
    expect(trace.run).toMatchObject({ id: computed.runId, trigger: 'manual', status: 'Live', audienceVersion: 1 });
    expect(trace.version).toMatchObject({ key: 'aud-0', version: 1, link: 'recorded', deleted: false });
    expect(trace.version.definition).toBe('trait plan = "premium"');
    expect(trace.apply).toMatchObject({ commitSha: first, commitSubject: 'Premium members audience', author: 'Ada Author <ada@example.test>', dirty: false, stack: 'marketing' });
    expect(trace.apply.commitSha).not.toBe(second);
    expect(trace.gaps).toEqual([]);

    // By user id: their latest event, the same chain; as text, the commit and its message.
    const byUser = await run('trace', 'u3', '--event', 'Audience Entered');
    expect(byUser.trace.delivery.messageId).toBe(messageId);
    const text = await linked(['trace', messageId, '--dir', dir]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(`commit      ${first} "Premium members audience"`);
    expect(text.stdout).toContain('audience aud-0 version 1');
    expect(text.stdout).toContain('trait plan = "premium"');

    const unknown = await linked(['trace', 'no-such-message', '--dir', dir]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('TRACE_NOT_FOUND');
    expect(unknown.stderr).toContain('linked deliveries --user-id');
  }, 120_000);
});
