import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { expect } from 'vitest';
import { linked } from '../plan/cli-project.js';
import { desired, rawDesired, tempDir, writeManifest } from '../plan/fixtures.js';

export interface StackSpec {
  name: string;
  /** The DuckDB file, relative to the project. */
  db: string;
  /** Prefix of every key but the Data Graph's; the Data Graph's key is `graphKey`. */
  prefix: string;
  graphKey: string;
  /** The webhook the stack's emitter delivers to. */
  url?: string;
}

/** The two stacks the tests use, on one DuckDB file: `marketing` and `risk`, each delivering to `<webhook>/<stack>`. */
export const marketingAndRisk = (webhook: string): StackSpec[] => [
  { name: 'marketing', db: 'w.duckdb', prefix: 'mkt', graphKey: 'mkt-graph', url: `${webhook}/marketing` },
  { name: 'risk', db: 'w.duckdb', prefix: 'risk', graphKey: 'risk-graph', url: `${webhook}/risk` },
];

/** `linked <args>` in this process; it must succeed, and its --json output is returned parsed. */
export async function linkedJson(args: string[]): Promise<any> {
  const r = await linked(args);
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout);
}

/** A project whose cdktf.out holds several stacks, as one app with several LinkedAudiencesStacks synthesizes it. */
export async function multiStackProject(stacks: StackSpec[]): Promise<string> {
  const dir = tempDir('linked-multistack-');
  for (const db of new Set(stacks.map((s) => s.db))) await seedWarehouse(join(dir, db));
  for (const s of stacks) writeManifest(dir, desired(stackRaw(s)));
  return dir;
}

function stackRaw(s: StackSpec): Record<string, any> {
  const raw = rawDesired(s.db, 1);
  raw.stack = s.name;
  raw.graph.key = s.graphKey;
  raw.audiences[0].key = `${s.prefix}-aud`;
  raw.audiences[0].enabled = true;
  raw.destinations = [{ key: `${s.prefix}-hook`, type: 'webhook', settings: { url: s.url ?? 'http://127.0.0.1:9/unused' } }];
  raw.emitters = [{ key: `${s.prefix}-entered`, audience: `${s.prefix}-aud`, destination: `${s.prefix}-hook`, trigger: 'audience_entered', sendForCurrent: true }];
  return raw;
}

async function seedWarehouse(path: string): Promise<void> {
  const wh = await openDuckDb(path);
  try {
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, email VARCHAR, plan VARCHAR, account_id VARCHAR)`);
    await wh.query(`CREATE TABLE main.accounts (id VARCHAR, balance DOUBLE)`);
    await wh.query(`CREATE TABLE main.cards (id VARCHAR, account_id VARCHAR)`);
    await wh.query(`INSERT INTO main.profiles VALUES ('u1', 'a@x', 'premium', 'a1'), ('u2', 'b@x', 'premium', 'a2'), ('u3', 'c@x', 'gold', 'a3')`);
  } finally {
    await wh.close();
  }
}

const BIN = fileURLToPath(new URL('../../bin/linked.js', import.meta.url));

export interface Daemon {
  output(): string;
  /** Resolves once the output matches; rejects when the process ends first or after a minute. */
  waitFor(re: RegExp): Promise<void>;
  stop(): Promise<void>;
}

/** `linked <args> --dir <dir>` as a process of its own, running beside the commands of the test. */
export function spawnLinked(dir: string, args: string[]): Daemon {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args, '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    output: () => out,
    waitFor: async (re) => {
      const until = Date.now() + 60_000;
      while (!re.test(out)) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`no ${re} in: ${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
