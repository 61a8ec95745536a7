import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverAll } from '../../src/activation/deliver.js';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { runAudience } from '../../src/compute/run.js';
import { readProvenance } from '../../src/plan/provenance.js';
import { traceEvent } from '../../src/trace/trace.js';
import { tracePage } from '../../src/ui/pages/trace.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { whyProfile } from '../../src/why/why.js';
import { linked, makeProject } from '../plan/cli-project.js';
import { desired } from '../plan/fixtures.js';
import { planAndApply } from '../plan/helpers.js';

const SCHEMA = 'LINKED_AUDIENCES';

/*
 * `linked trace` (and `linked why`) as a user runs it, in real processes, in a real git checkout: an event delivered
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
    // Apply (with the checkout's real provenance), compute and deliver in this process, as the
    // commands do; the commands under test run as a user runs them.
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    const apply = () => planAndApply(wh, desired(raw), readProvenance(dir));
    const compute = async () => {
      const model = (await readAppliedModel(wh, SCHEMA))!;
      const s = await runAudience(wh, { schema: SCHEMA, audienceKey: 'aud-0', trigger: 'manual', compile: () => compileAudience(model, 'aud-0', { dialect: 'duckdb', stateSchema: SCHEMA, now: new Date() }) });
      expect(s.status).toBe('Live');
      return s;
    };
    let computed: Awaited<ReturnType<typeof compute>>;
    let messageId: string;
    let first: string;
    try {
      raw.audiences[0].enabled = true;
      raw.destinations[0].settings.url = url;
      write(raw);
      first = commit('Premium members audience');
      await apply();
      expect(await compute()).toMatchObject({ baseline: true });
      await wh.query(`INSERT INTO main.profiles VALUES ('u3', 'c@x', 'premium', 'a3')`);
      computed = await compute();
      expect(computed.entered).toBe(1);
      process.env.HOOK_TOKEN = 'token-trace-1';
      expect(await deliverAll(wh, SCHEMA)).toMatchObject({ sent: 1 });
      expect(received.map((e) => [e.event, e.userId])).toEqual([['Audience Entered', 'u3']]);
      messageId = received[0].messageId;

      // A new version of the audience, computed; then the audience and its emitter are deleted.
      raw.audiences[0].condition = { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['premium', 'gold'] };
      write(raw);
      commit('Gold members too');
      await apply();
      await compute();
      // `why` under the new version and under the one the first runs computed.
      const now = await whyProfile(wh, SCHEMA, { audienceKey: 'aud-0', profileId: 'u2' });
      expect(now).toMatchObject({ member: true, snapshot: { member: true }, tree: { label: 'trait plan is one of ["premium", "gold"]', decidedBy: 'plan is "gold"' } });
      const then = await whyProfile(wh, SCHEMA, { audienceKey: 'aud-0', profileId: 'u2', atRun: computed.runId });
      expect(then).toMatchObject({ member: false, definition: { runId: computed.runId, version: 1 } });

      raw.audiences = [];
      raw.emitters = [];
      write(raw);
      commit('Retire the premium audience');
      await apply();
      const byUser = await traceEvent(wh, SCHEMA, { id: 'u3', event: 'Audience Entered', audience: 'aud-0' });
      expect(byUser.delivery.messageId).toBe(messageId);
    } finally {
      delete process.env.HOOK_TOKEN;
      await wh.close();
    }

    const json = await linked(['trace', messageId, '--dir', dir, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const { trace } = JSON.parse(json.stdout);
    expect(trace.delivery).toMatchObject({ messageId, userId: 'u3', event: 'Audience Entered', status: 'sent', destinationKey: 'hook', emitterKey: 'entered-hook' });
    expect(trace.source).toMatchObject({ source: 'outbox', audienceKey: 'aud-0', kind: 'entered', profileId: 'u3', computeRunId: computed.runId });
    expect(trace.run).toMatchObject({ id: computed.runId, trigger: 'manual', status: 'Live', audienceVersion: 1 });
    expect(trace.version).toMatchObject({ key: 'aud-0', version: 1, link: 'recorded', deleted: false });
    expect(trace.version.definition).toBe('trait plan = "premium"');
    expect(trace.apply).toMatchObject({ commitSha: first, commitSubject: 'Premium members audience', commitSubjectFrom: 'apply log', author: 'Ada Author <ada@example.test>', dirty: false, stack: 'marketing' });
    expect(trace.gaps).toEqual([]);

    const text = await linked(['trace', messageId, '--dir', dir]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(`commit      ${first} "Premium members audience"`);
    expect(text.stdout).toContain('audience aud-0 version 1');
    expect(text.stdout).toContain('trait plan = "premium"');

    const unknown = await linked(['trace', 'no-such-message', '--dir', dir]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('TRACE_NOT_FOUND');
    expect(unknown.stderr).toContain('linked deliveries --user-id');

    // An apply recorded before the commit's subject was stored: read from git in the checkout, and
    // said to be unknown outside it.
    const state = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      const [row] = (await state.query<{ metadata: string }>(`SELECT metadata FROM "${SCHEMA}".apply_log WHERE commit_sha = ?`, [first!])).rows;
      const { commitSubject, ...older } = JSON.parse(row!.metadata);
      expect(commitSubject).toBe('Premium members audience');
      await state.query(`UPDATE "${SCHEMA}".apply_log SET metadata = ? WHERE commit_sha = ?`, [JSON.stringify(older), first!]);
    } finally {
      await state.close();
    }
    const fromGit = await linked(['trace', messageId!, '--dir', dir]);
    expect(fromGit.status, fromGit.stderr).toBe(0);
    expect(fromGit.stdout).toContain(`commit      ${first!} "Premium members audience" (from git: not recorded at apply)`);
    renameSync(join(dir, '.git'), join(dir, '.git-elsewhere'));
    const noGit = await linked(['trace', messageId!, '--dir', dir]);
    renameSync(join(dir, '.git-elsewhere'), join(dir, '.git'));
    expect(noGit.status, noGit.stderr).toBe(0);
    expect(noGit.stdout).toContain(`commit      ${first!} (commit message not recorded)`);

    // The audience is gone: `why` names the fix.
    const why = await linked(['why', 'aud-0', 'u2', '--dir', dir]);
    expect(why.status).toBe(1);
    expect(why.stderr).toContain('AUDIENCE_NOT_APPLIED');
  }, 180_000);

  /*
   * An emitter that sends for current members delivers a backfill, whose rows are dropped once it
   * is delivered: the trace follows such an event through its delivery record to the run whose
   * membership it was copied from, the audience version and the apply, as for an outbox event.
   */
  it('follows the event sent for a current member to its run, version and apply after the first run --once', async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.audiences[0].enabled = true;
    raw.destinations[0].settings.url = url;
    raw.emitters[0].sendForCurrent = true;
    write(raw);
    const env = { HOOK_TOKEN: 'token-backfill-3e7a' };
    const before = received.length;
    expect((await linked(['apply', '--auto-approve', '--dir', dir], env)).status).toBe(0);
    const once = await linked(['run', '--once', '--dir', dir], env);
    expect(once.status, once.stderr).toBe(0);
    // u1 is the one premium profile: the first run is a baseline, so only the backfill sends it.
    const sent = received.slice(before);
    expect(sent.map((e) => [e.event, e.userId])).toEqual([['Audience Entered', 'u1']]);
    const messageId = sent[0].messageId as string;

    const state = await openDuckDb(join(dir, 'w.duckdb'));
    let runId: string;
    try {
      expect((await state.query(`SELECT COUNT(*) AS n FROM "${SCHEMA}".delivery_backfill`)).rows[0]).toEqual({ n: 0 });
      runId = String((await state.query<{ id: string }>(`SELECT id FROM "${SCHEMA}".runs WHERE audience_key = 'aud-0'`)).rows[0].id);
    } finally {
      await state.close();
    }

    const json = await linked(['trace', messageId, '--dir', dir, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const { trace } = JSON.parse(json.stdout);
    expect(trace.delivery).toMatchObject({ messageId, userId: 'u1', event: 'Audience Entered', status: 'sent', source: 'backfill', sourceId: 1 });
    expect(trace.source).toMatchObject({ source: 'backfill', id: 1, audienceKey: 'aud-0', kind: 'entered', profileId: 'u1', computeRunId: runId, createdAt: expect.any(String) });
    expect(trace.run).toMatchObject({ id: runId, status: 'Live', audienceVersion: 1 });
    expect(trace.version).toMatchObject({ key: 'aud-0', version: 1, link: 'recorded', definition: 'trait plan = "premium"' });
    expect(trace.apply).toMatchObject({ stack: 'marketing' });
    expect(trace.gaps).toEqual([]);

    const text = await linked(['trace', 'u1', '--event', 'Audience Entered', '--dir', dir]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(`messageId ${messageId}`);
    expect(text.stdout).toMatch(/ {2}backfill {4}row 1: entered u1 of audience aud-0, copied /);
    expect(text.stdout).toContain(`computed    run ${runId}`);
    expect(text.stdout).toContain('audience aud-0 version 1');
    expect(text.stdout).not.toContain('chain ends');

    // The version as a linked of another version stored it (a condition kind this one does not
    // know), then as a damaged row: traced past it, saying what could not be read and never its text.
    const storeSpec = async (spec: string) => {
      const wh = await openDuckDb(join(dir, 'w.duckdb'));
      try {
        await wh.query(`UPDATE "${SCHEMA}".resource_versions SET spec = ${spec} WHERE kind = 'audience' AND key = 'aud-0'`);
      } finally {
        await wh.close();
      }
    };
    await storeSpec(`replace(spec, '"kind":"trait"', '"kind":"profile_trait"')`);
    const olderJson = await linked(['trace', messageId, '--dir', dir, '--json']);
    expect(olderJson.status, olderJson.stderr).toBe(0);
    const older = JSON.parse(olderJson.stdout).trace;
    expect(older.version).toMatchObject({ key: 'aud-0', version: 1, spec: null, definition: null, problem: expect.stringMatching(/^condition\.kind: Invalid discriminator value\. Expected 'and' \| 'or'/) });
    expect(older.apply).toMatchObject({ id: trace.apply.id, stack: 'marketing' });
    expect(older.gaps).toEqual([]);
    const olderText = await linked(['trace', messageId, '--dir', dir]);
    expect(olderText.status, olderText.stderr).toBe(0);
    expect(olderText.stdout).toContain(`  definition  audience aud-0 version 1, spec `);
    expect(olderText.stdout).toContain(`              (its spec as applied cannot be read: ${older.version.problem}; written by another version of linked, or damaged)\n  applied     `);
    // The dashboard's trace page says the same.
    expect(tracePage(older).text).toContain('<p class="error">Definition not shown: its spec as applied cannot be read: condition.kind: Invalid discriminator value.');
    // `why --at` that run cannot explain a definition it cannot read: it says which, and what to do instead.
    const whyThen = await linked(['why', 'aud-0', 'u1', '--at', runId!, '--dir', dir]);
    expect(whyThen.status).toBe(1);
    expect(whyThen.stderr).toBe(
      `Error [STATE_INVALID]: Version 1 of audience aud-0, which run ${runId!} computed, cannot be read: ${older.version.problem} (written by another version of linked, or damaged). Explain the applied definition instead (omit --at).\n`,
    );

    await storeSpec(`'{"condition": "canary-5e1d" ,,'`);
    const damaged = await linked(['trace', messageId, '--dir', dir]);
    expect(damaged.status, damaged.stderr).toBe(0);
    expect(damaged.stdout).toMatch(/\(its spec as applied cannot be read: it is not JSON: it breaks at character \d+; written by another version of linked, or damaged\)\n {2}applied {5}/);
    expect(damaged.stdout).not.toContain('canary');
  }, 120_000);
});
