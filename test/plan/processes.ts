import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fixtureArgs } from '../support/fixture-process.js';

const SCRIPT = fileURLToPath(new URL('./scripts/apply-child.ts', import.meta.url));

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  result: any;
}

/** Starts the apply script in a real child process. */
export function startApplyChild(args: Record<string, unknown>): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [...fixtureArgs(SCRIPT), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.on('data', (b) => (stderr += b));
  const done = new Promise<Finished>((resolve) =>
    child.on('exit', (code, signal) => {
      let result: any;
      try {
        result = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        result = undefined;
      }
      resolve({ code, signal, stdout, stderr, result });
    }),
  );
  return { child, done };
}

/** Waits until `file` exists (the child reached a point), failing if the child exits first. */
export async function waitForFile(file: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before ${file} appeared`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
