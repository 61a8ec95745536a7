import { describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplyLogStore } from '../../src/state/apply/apply-log.js';
import { LockStore } from '../../src/state/apply/lock.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { makeProject } from '../plan/cli-project.js';

const BIN = fileURLToPath(new URL('../../bin/linked.js', import.meta.url));

/**
 * Runs the CLI under a real pseudo-terminal (util-linux `script`), answering the prompt when it
 * appears: with a line, or with a signal to the CLI's process.
 */
function onTerminal(args: string[], answer: string | NodeJS.Signals): Promise<{ code: number | null; output: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '', TERM: 'xterm' } });
  let output = '';
  let answered = false;
  child.stdout.on('data', (b) => {
    output += b;
    if (!answered && output.includes("Only 'yes' will be accepted")) {
      answered = true;
      if (answer.startsWith('SIG')) process.kill(cliPid(child.pid!), answer as NodeJS.Signals);
      else child.stdin.write(`${answer}\n`);
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

/** The CLI's process below `script` (directly, or under the shell it started). */
function cliPid(scriptPid: number): number {
  const processes = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
  const below = new Set([scriptPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) if (below.has(p.ppid) && !below.has(p.pid)) (below.add(p.pid), (grew = true));
  }
  const cli = processes.find((p) => below.has(p.pid) && p.args.startsWith(process.execPath) && p.args.includes(BIN));
  if (!cli) throw new Error(`no ${BIN} process below script ${scriptPid}`);
  return cli.pid;
}

describe('linked apply on a terminal', () => {
  it('shows the plan in colour, asks, and applies only after "yes"', async () => {
    const { dir } = await makeProject(1);
    const { code, output } = await onTerminal(['apply', '--dir', dir], 'yes');
    expect(code).toBe(0);
    expect(output).toMatch(/\u001b\[32m\s*\+\u001b\[0m audience "aud-0" \{/);
    expect(output).toContain('Apply these changes to stack "marketing"? Only \'yes\' will be accepted: ');
    expect(output).toMatch(/Apply complete: 4 added, 0 changed, 0 replaced, 0 destroyed/);
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      expect(await new ApplyLogStore(wh, 'LINKED_AUDIENCES').read()).toHaveLength(1);
    } finally {
      await wh.close();
    }
  }, 120_000);

  it('a SIGTERM while it holds the state lock stops it before it writes, and releases the lock', async () => {
    const { dir } = await makeProject(1);
    const { code, output } = await onTerminal(['apply', '--dir', dir], 'SIGTERM');
    const wh = await openDuckDb(join(dir, 'w.duckdb'));
    try {
      expect(await new LockStore(wh, 'LINKED_AUDIENCES').list()).toEqual([]);
      expect(await new ApplyLogStore(wh, 'LINKED_AUDIENCES').read()).toEqual([]);
    } finally {
      await wh.close();
    }
    expect(output).toContain('SIGTERM: stopping before the apply writes (a write already started finishes), then releasing the state lock (SIGTERM again exits at once).');
    expect(output).toContain('Error [APPLY_INTERRUPTED]: Interrupted by SIGTERM before applying: nothing was changed, and the state lock is released.');
    expect(code).toBe(1);
  }, 120_000);

  it("a plan's errors show once on a terminal, in the plan itself: stderr repeats them only for a stdout elsewhere", async () => {
    const { dir, raw, write } = await makeProject(1);
    raw.graph.profile.table = 'main.no_profiles';
    write(raw);
    const missing = /Table main\.no_profiles \(Data Graph profile\) does not exist in the warehouse/g;
    const { code, output } = await onTerminal(['plan', '--dir', dir], 'yes');
    expect(code).toBe(1);
    expect(output.match(missing)).toHaveLength(1);
    expect(output).toMatch(/This plan has \d+ errors? and cannot be applied/);
    expect(output).not.toContain('Diagnostics: ');
  }, 120_000);
});
