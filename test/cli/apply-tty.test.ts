import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplyLogStore } from '../../src/state/apply/apply-log.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { makeProject } from '../plan/cli-project.js';

const BIN = fileURLToPath(new URL('../../bin/linked.js', import.meta.url));

/** Runs the CLI under a real pseudo-terminal (util-linux `script`), answering the prompt when it appears. */
function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '', TERM: 'xterm' } });
  let output = '';
  let answered = false;
  child.stdout.on('data', (b) => {
    output += b;
    if (!answered && output.includes("Only 'yes' will be accepted")) {
      answered = true;
      child.stdin.write(`${answer}\n`);
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
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
});
