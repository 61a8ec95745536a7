/**
 * What ten audience tests cost (npx tsx bench/test-runner/run.ts [--reps 3] [--json]).
 *
 * A user's project in a temporary directory: the bank example's main.ts (four audiences, three
 * tests) plus seven more tests over the same audiences, so `linked test` runs ten. Synthesized
 * once; then, `--reps` rounds alternating which goes first, each a fresh CLI process as CI runs it:
 *   - baseline: `linked validate --no-synth` (start the CLI, load and check cdktf.out),
 *   - `linked test --no-synth`: the same start and load, then the ten tests.
 * Wall and CPU time (user + system, of the process and its children) of each, medians; the ratio
 * test / validate; and the runner's own time inside the test process (from its --json summary).
 * The issue's goal: ten fixture tests in under 5 s in total on this machine. Also reported: the
 * same command with the synth included (`--synth`), what a pipeline without a separate synth step pays,
 * and the runner warm in this process (wall and CPU): the tests' own cost without the CLI's start.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '../../src/testing/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'linked.js');
const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1] ?? 3) || 3;
const json = args.includes('--json');

/** Seven more tests, appended to the bank example's three. */
const EXTRA_TESTS = `
const BENCH_NOW = '2026-06-01T00:00:00Z';
for (let i = 0; i < 7; i++) {
  const n = 5 + i;
  const ids = Array.from({ length: n }, (_, k) => 'u' + k);
  const audience = [overdueCards, travelSpenders, dormantSavers, vipUpsell][i % 4];
  new AudienceTest(stack, 'bench-' + i, {
    audience,
    now: BENCH_NOW,
    profiles: ids.map((id, k) => ({ user_id: id, plan: k % 2 ? 'premium' : 'basic', country: 'US', email: id + '@bank.test', credit_score: 700 + k * 10, is_employee: false })),
    entities: {
      account: ids.map((id, k) => ({ account_id: 'a-' + id, user_id: id, type: k % 3 ? 'checking' : 'savings', balance: 5000 * k })),
      credit_card: ids.map((id, k) => ({ card_id: 'c-' + id, account_id: 'a-' + id, balance: 600 * k, credit_limit: 5000, due_date: '2026-05-2' + (k % 9), tier: 'gold' })),
      transaction: ids.flatMap((id, k) => [1, 2, 3].map((t) => ({ transaction_id: 't-' + id + '-' + t, card_id: 'c-' + id, category: k % 2 ? 'travel' : 'dining', amount: 550, ts: '2026-05-1' + t + 'T10:00:00Z' }))),
    },
    events: ids.filter((_, k) => k % 4 === 0).map((id) => ({ user_id: id, event: 'Payment Made', ts: '2026-05-28T10:00:00Z', properties: { amount: 150, method: 'ach' } })),
    classicAudiences: { 'vip-list': [{ user_id: 'u1' }] },
    // The bench times the runner, not the expectations: whatever the audience selects passes.
    expect: { excludes: ['nobody'] },
  });
}
app.synth();
`;

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'la-bench-test-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'bench-audiences', private: true, type: 'module' }));
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'tsx main.ts' }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'linked-audiences'), 'dir');
  const main = readFileSync(join(ROOT, 'examples', 'bank', 'main.ts'), 'utf8');
  const at = main.lastIndexOf('app.synth();');
  writeFileSync(join(dir, 'main.ts'), main.slice(0, at) + EXTRA_TESTS + main.slice(at + 'app.synth();'.length));
  return dir;
}

interface Timing {
  wallS: number;
  cpuS: number;
  code: number;
  stdout: string;
}

/** One CLI process under /usr/bin/time: wall, and user + system CPU of it and its children. */
function timed(cliArgs: string[]): Timing {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, BIN, ...cliArgs], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, user, sys] = last.split(' ').map(Number);
  return { wallS: wall, cpuS: user + sys, code: r.status ?? 1, stdout: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = project();
try {
  const synth = timed(['synth', '--dir', dir, '--quiet']);
  if (synth.code !== 0) throw new Error(`synth failed:\n${synth.stdout}`);
  const validate: Timing[] = [];
  const test: Timing[] = [];
  const runner: number[] = [];
  for (let i = 0; i < reps; i++) {
    const runValidate = () => validate.push(timed(['validate', '--dir', dir, '--no-synth']));
    const runTest = () => {
      const t = timed(['test', '--dir', dir, '--no-synth', '--json']);
      const report = JSON.parse(t.stdout) as { ok: boolean; summary: { total: number; durationMs: number } };
      if (!report.ok || report.summary.total !== 10) throw new Error(`expected 10 passing tests: ${t.stdout.slice(0, 2000)}`);
      runner.push(report.summary.durationMs / 1000);
      test.push(t);
    };
    if (i % 2 === 0) {
      runValidate();
      runTest();
    } else {
      runTest();
      runValidate();
    }
  }
  // The runner alone, in this process (DuckDB and the compiler already loaded after the first round).
  const inProcess: { wallS: number; cpuS: number }[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const { summary } = await runTests(join(dir, 'cdktf.out'));
    const used = process.cpuUsage(cpu);
    if (summary.passed !== 10) throw new Error('expected 10 passing tests in process');
    if (i > 0) inProcess.push({ wallS: (performance.now() - started) / 1000, cpuS: (used.user + used.system) / 1e6 });
  }
  const withSynth = timed(['test', '--dir', dir, '--synth', '--json']);
  const m = (xs: Timing[], k: 'wallS' | 'cpuS') => median(xs.map((x) => x[k]));
  const result = {
    reps,
    tests: 10,
    validate: { wallS: m(validate, 'wallS'), cpuS: m(validate, 'cpuS') },
    test: { wallS: m(test, 'wallS'), cpuS: m(test, 'cpuS') },
    ratio: { wall: m(test, 'wallS') / m(validate, 'wallS'), cpu: m(test, 'cpuS') / m(validate, 'cpuS') },
    runnerS: median(runner),
    inProcess: { wallS: median(inProcess.map((x) => x.wallS)), cpuS: median(inProcess.map((x) => x.cpuS)) },
    perTestMs: (median(runner) * 1000) / 10,
    synthS: synth.wallS,
    testWithSynthS: withSynth.wallS,
    goal: { underS: 5, met: m(test, 'wallS') < 5 },
    rounds: { validateWallS: validate.map((t) => t.wallS), testWallS: test.map((t) => t.wallS), runnerS: runner },
  };
  if (json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else {
    const s = (n: number) => `${n.toFixed(2)} s`;
    process.stdout.write(
      [
        `linked test, 10 fixture tests (bank example, ${reps} rounds, medians)`,
        `  baseline  linked validate --no-synth   wall ${s(result.validate.wallS)}  cpu ${s(result.validate.cpuS)}`,
        `  linked test --no-synth (10 tests)       wall ${s(result.test.wallS)}  cpu ${s(result.test.cpuS)}`,
        `  ratio test / validate                   wall ${result.ratio.wall.toFixed(2)}  cpu ${result.ratio.cpu.toFixed(2)}`,
        `  the runner inside the CLI process       ${s(result.runnerS)} (${result.perTestMs.toFixed(0)} ms a test)`,
        `  the runner warm, in this process       wall ${s(result.inProcess.wallS)}  cpu ${s(result.inProcess.cpuS)}`,
        `  synth alone ${s(result.synthS)}; linked test --synth ${s(result.testWithSynthS)}`,
        `  goal: 10 tests under 5 s: ${result.goal.met ? 'met' : 'NOT met'} (${s(result.test.wallS)})`,
      ].join('\n') + '\n',
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
