import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { linkedInProcess, type CliResult } from '../support/linked-cli.js';
import { desired, rawDesired, tempDir, writeManifest } from './fixtures.js';

const BIN = fileURLToPath(new URL('../../bin/linked.js', import.meta.url));

/** Runs the real CLI in a child process (no TTY: no colour, no prompts): for tests about the process itself. */
export const linkedProcess = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });

/** The real CLI in a child process without blocking this one: for processes that must run side by side. */
export function linkedChild(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status: status ?? 1, stdout, stderr }));
  });
}

/** `linked` run inside this process (test/support/linked-cli.ts): the same program, without a Node start per command. */
export const linked = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => linkedInProcess(args, { env });

/** A project directory: the fixture stack synthesized to cdktf.out, its warehouse file with the graph's tables. */
export async function makeProject(audiences = 2, options: { constructPaths?: boolean } = {}): Promise<{ dir: string; raw: Record<string, any>; write: (raw: Record<string, any>) => void }> {
  const dir = tempDir('linked-cli-');
  const wh = await openDuckDb(join(dir, 'w.duckdb'));
  try {
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, email VARCHAR, plan VARCHAR, account_id VARCHAR)`);
    await wh.query(`CREATE TABLE main.accounts (id VARCHAR, balance DOUBLE)`);
    await wh.query(`CREATE TABLE main.cards (id VARCHAR, account_id VARCHAR)`);
    await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'a@x', 'premium', 'a1'), ('u2', 'b@x', 'gold', 'a2')`);
  } finally {
    await wh.close();
  }
  const raw = rawDesired('w.duckdb', audiences);
  const write = (r: Record<string, any>) => writeManifest(dir, desired(r), options);
  write(raw);
  return { dir, raw, write };
}
