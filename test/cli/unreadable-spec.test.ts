import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { audiencesData } from '../../src/ui/data.js';
import { audiencesPage } from '../../src/ui/pages/audiences.js';
import type { UiSource } from '../../src/ui/source.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { startServer, type TestServer } from '../activation/helpers.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * One applied resource whose stored spec no longer parses (written by another version of linked,
 * or a damaged row) must not stop every command. The code is the source of truth: `linked plan`
 * shows it as an update from code and `linked apply` writes it again; meanwhile `linked status`
 * shows the others and names it with that fix, and the controller skips only it (and what needs
 * it). The commands run as a user runs them, on a real DuckDB file, delivering to a local webhook.
 */
const S = '"LINKED_AUDIENCES"';
let server: TestServer;
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => server.close());

/** aud-0 (premium: u1) and aud-1 (gold: u2), enabled, each with an emitter of its members to the webhook; applied. */
async function appliedProject() {
  const { dir, raw, write } = await makeProject(2);
  raw.audiences[0].enabled = true;
  raw.audiences[1].enabled = true;
  raw.audiences[1].condition.value.literal = 'gold';
  raw.destinations = [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook`, batch: false } }];
  raw.emitters = [0, 1].map((i) => ({ key: `entered-${i}`, audience: `aud-${i}`, destination: 'hook', trigger: 'audience_entered', sendForCurrent: true }));
  write(raw);
  const cli = async (...args: string[]) => {
    const r = await linked([...args, '--dir', dir]);
    return { ...r, json: () => JSON.parse(r.stdout) };
  };
  const applied = await cli('apply', '--no-synth', '--auto-approve');
  expect(applied.status, applied.stderr).toBe(0);
  /** Replaces the stored spec of `key`, as a damaged row or another version of linked leaves it. */
  const damage = async (key: string, spec: string) => {
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      await wh.query(`UPDATE ${S}."resources" SET spec = ${spec} WHERE key = ?`, [key]);
    } finally {
      await wh.close();
    }
  };
  return { dir, cli, damage };
}

const sentTo = () => server.requests.map((r) => (r.body as { userId: string }).userId);

describe('an applied spec that no longer parses', () => {
  it('stops only its own resource: the controller computes and delivers the others, status names it with the fix, plan and apply write it again', async () => {
    const p = await appliedProject();
    await p.damage('aud-0', `replace(spec, '"kind":"trait"', '"kind":"profile_trait"')`);
    const problem = "condition.kind: Invalid discriminator value. Expected 'and' | 'or' | 'not' | 'trait' | 'entity' | 'event' | 'audience'";
    const message = `The applied spec of audience.aud-0 cannot be read: ${problem}. \`linked plan\` shows it as an update from code, and \`linked apply\` writes it again.`;

    // The controller skips aud-0 (said once) and its emitter (failed, naming it); aud-1 computes and delivers.
    let r = await p.cli('run', '--once');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.includes('audience.aud-0: skipped'))).toEqual([expect.stringContaining(`audience.aud-0: skipped: ${message}`)]);
    expect(r.stdout).toContain(`entered-0: not delivered (failed): [STATE_INVALID] ${message}`);
    expect(sentTo()).toEqual(['u2']);

    r = await p.cli('status', '--json');
    expect(r.status, r.stderr).toBe(0);
    const status = r.json();
    expect(status.audiences).toMatchObject([
      { audience: 'aud-0', status: 'Failed', nextRunAt: null, error: message },
      { audience: 'aud-1', status: 'Live', size: 1 },
    ]);
    expect(status.unreadable).toEqual([{ address: 'audience.aud-0', kind: 'audience', key: 'aud-0', problem, error: message }]);
    r = await p.cli('status');
    expect(r.stdout).toMatch(/aud-0\s+Failed\s+-\s+skipped: spec unreadable/);
    expect(r.stdout).toContain(`Cannot be read in the state (the controller skips only these):\n  audience.aud-0: Failed (not computed): ${problem}\n  \`linked plan\``);
    // The dashboard's audience list names it too, rather than leaving it out without a word.
    const wh = await openDuckDb(join(p.dir, 'w.duckdb'));
    try {
      const page = audiencesPage(await audiencesData(wh, { schema: 'LINKED_AUDIENCES', read: (fn) => fn(wh) } as UiSource), {}).text;
      expect(page).toContain('<h2>Cannot be read in the state</h2><ul><li>The applied spec of audience.aud-0 cannot be read: condition.kind: Invalid discriminator value.');
    } finally {
      await wh.close();
    }

    // The code is the source of truth: an update in place (its history kept), applied from a saved plan.
    const planFile = join(p.dir, 'plan.json');
    r = await p.cli('plan', '--no-synth', '--out', planFile);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('# audience.aud-0 will be updated in place');
    expect(r.stdout).toContain(`# its applied spec cannot be read (${problem}): written again from code`);
    expect(r.stdout).toContain('Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.');
    r = await p.cli('apply', planFile, '--auto-approve');
    expect(r.status, r.stderr).toBe(0);

    r = await p.cli('run', '--once', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(r.json().runs).toMatchObject([{ audienceKey: 'aud-0', status: 'Live', members: 1 }]);
    expect(sentTo()).toEqual(['u2', 'u1']);
    expect((await p.cli('status', '--json')).json()).toMatchObject({ audiences: [{ audience: 'aud-0', status: 'Live' }, { audience: 'aud-1', status: 'Live' }], unreadable: [] });
  }, 120_000);

  it('deliver names an emitter whose stored spec cannot be read, with the fix, and exits 1 unless scoped to other emitters', async () => {
    const p = await appliedProject();
    await p.damage('entered-0', `replace(spec, '"trigger":"audience_entered"', '"trigger":"entered"')`);
    const problem = 'trigger: Invalid option: expected one of "audience_entered"|"audience_exited"|"entity_added"|"entity_removed"|"audience_membership_changed"';
    const error = `The applied spec of event_emitter.entered-0 cannot be read: ${problem}. \`linked plan\` shows it as an update from code, and \`linked apply\` writes it again.`;
    for (const key of ['aud-0', 'aud-1']) expect((await p.cli('compute', key)).status).toBe(0);

    // The readable emitter delivers; the unreadable one is named, not left out, and the exit says it was not delivered.
    let r = await p.cli('deliver');
    expect([r.status, sentTo()]).toEqual([1, ['u2']]);
    expect(r.stdout).toContain('entered-1 -> hook: 1 event sent, 0 failed, 0 dead-lettered (delivered)\nentered-0: skipped: its applied spec cannot be read\n');
    expect(r.stdout).toMatch(/\nDelivery [0-9a-f-]{36}: 1 event sent, 0 failed, 0 dead-lettered, 1 emitter skipped\.\n$/);
    expect(r.stderr).toBe(`error: entered-0: skipped: ${error}\n`);

    r = await p.cli('deliver', '--emitter', 'entered-0', '--json');
    expect(r.status).toBe(1);
    const summary = r.json();
    expect(summary.emitters).toEqual([]);
    expect(summary.unreadable).toEqual([{ emitterKey: 'entered-0', problem, error }]);
    expect(summary.alerts).toEqual([{ emitterKey: 'entered-0', kind: 'unreadable', message: `entered-0: skipped: ${error}` }]);

    // Scoped to the other emitters, the unreadable one is not what was asked for: exit 0.
    r = await p.cli('deliver', '--emitter', 'entered-1', '--json');
    expect([r.status, r.json().unreadable, r.json().alerts]).toEqual([0, [], []]);

    // A mistyped key delivers nothing: refused, naming the keys it could mean, before any delivery.
    r = await p.cli('deliver', '--emitter', 'entered-2', '--json');
    expect(r.status).toBe(1);
    expect(r.json().error).toMatchObject({ code: 'EMITTER_NOT_FOUND' });
    expect(r.json().error.message).toBe('No event emitter "entered-2" is applied in this stack. Did you mean "entered-1"? Known: entered-0, entered-1. Check --emitter, or apply the emitter first.');
  }, 120_000);

  it('a destination stored as no JSON at all: its emitters fail naming it, compute goes on, and no command prints what the row held', async () => {
    const p = await appliedProject();
    await p.damage('hook', `'{"url":"https://hooks.example.test/?token=canary-77a1" ,,'`);
    const outputs: string[] = [];
    const run = async (...args: string[]) => {
      const r = await p.cli(...args);
      outputs.push(r.stdout, r.stderr);
      return r;
    };

    let r = await run('run', '--once', '--json');
    expect(r.status, r.stderr).toBe(1);
    const report = r.json();
    expect(report.runs).toMatchObject([
      { audienceKey: 'aud-0', status: 'Live' },
      { audienceKey: 'aud-1', status: 'Live' },
    ]);
    expect(report.deliveries).toMatchObject([0, 1].map((i) => ({ emitterKey: `entered-${i}`, status: 'failed', lastError: expect.stringMatching(/^\[STATE_INVALID\] The applied spec of destination\.hook cannot be read: it is not JSON: it breaks at character \d+\./) })));
    expect(server.requests).toEqual([]);

    r = await run('status');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/destination\.hook: Failed \(its emitters fail\): it is not JSON/);
    r = await run('plan', '--no-synth', '--detailed-exitcode');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toContain('# destination.hook will be updated in place');
    for (const args of [['state', 'list'], ['state', 'show', 'hook'], ['state', 'show', 'hook', '--json'], ['deliver']]) await run(...args);
    expect(outputs.join('\n')).not.toContain('canary');
  }, 120_000);
});
