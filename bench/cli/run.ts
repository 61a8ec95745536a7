/*
 * CLI start-up: `linked --version` and `linked status` on a small warehouse, each started as a
 * whole process, against `node -e 0` (Node's own start-up) started the same way, in turn, in the
 * same run. Also the same two commands through tsx (the sources, as bin/linked.js runs them while
 * dist/ is stale): what the compiled CLI saves.
 *
 *   npx tsx bench/cli/run.ts [--runs 10] [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'linked.js');
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1] ?? 10) || 10;
const json = argv.includes('--json');

function must(args: string[], cwd = ROOT): void {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
}

// The build the CLI runs from, current (bin/linked.js would fall back to tsx otherwise).
must([join(ROOT, 'scripts', 'build.mjs'), '--quiet']);

// A small warehouse with the bank example applied: what `status` reads.
const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
must([BIN, 'example', 'bank', '--profiles', '500', '--out', join(dir, 'bank.duckdb')]);
must([BIN, 'synth', '--dir', join(ROOT, 'examples', 'bank'), '--out-dir', join(dir, 'cdktf.out'), '--quiet']);
must([BIN, 'apply', '--dir', dir, '--auto-approve']);

const TSX = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts')];
const cases: { name: string; args: string[] }[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'linked --version', args: [BIN, '--version'] },
  { name: 'linked status', args: [BIN, 'status', '--dir', dir] },
  { name: 'tsx: linked --version', args: [...TSX, '--version'] },
  { name: 'tsx: linked status', args: [...TSX, 'status', '--dir', dir] },
];

function startOnce(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// One warm-up each, then rounds in turn (every case once per round), so a change in the machine's
// load during the run weighs on every case alike.
for (const c of cases) startOnce(c.args);
const times = new Map(cases.map((c) => [c.name, [] as number[]]));
for (let i = 0; i < runs; i++) for (const c of cases) times.get(c.name)!.push(startOnce(c.args));

const baseline = median(times.get('node -e 0')!);
const rows = cases.map((c) => {
  const ms = times.get(c.name)!;
  return { name: c.name, medianMs: Math.round(median(ms)), minMs: Math.round(Math.min(...ms)), maxMs: Math.round(Math.max(...ms)), ratio: Number((median(ms) / baseline).toFixed(2)) };
});
if (json) process.stdout.write(JSON.stringify({ runs, rows }, null, 2) + '\n');
else {
  process.stdout.write(`median of ${runs} starts each (wall ms), ratio to node -e 0 (goal: --version and status under 500 ms)\n`);
  for (const r of rows) process.stdout.write(`  ${r.name.padEnd(24)} ${String(r.medianMs).padStart(6)} ms  (min ${r.minMs}, max ${r.maxMs})  x${r.ratio}\n`);
}
