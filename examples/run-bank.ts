/**
 * `npm start`: the bank example end to end on embedded DuckDB, driven through the real `linked` CLI
 * exactly as a user or a pipeline would run it:
 *
 *   generate data -> synth -> plan (saved) -> apply the saved plan -> compute and deliver to a
 *   local sink -> change some rows -> compute again -> deliver.
 *
 * It prints a short story of the run (what was generated, the plan, who entered and exited, what
 * each destination received, where to look next); every command's own output goes to the log
 * (examples/bank/npm-start.log), and to the terminal too with --verbose.
 *
 * The sink stands in for the CRM webhook and for Braze, on 127.0.0.1 (no network is needed).
 * Options: --profiles N (default 5000), --seed S, --verbose, --log FILE.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readRuns } from '../src/compute/status.js';
import { openDuckDb } from '../src/warehouse/duckdb.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const projectDir = join(root, 'examples', 'bank');
const warehousePath = join(projectDir, 'bank.duckdb');
const planPath = join(projectDir, 'cdktf.out', 'bank.plan.json');
const linkedBin = join(root, 'bin', 'linked.js');

const { values: args } = parseArgs({
  options: {
    profiles: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '7' },
    verbose: { type: 'boolean', default: false },
    log: { type: 'string', default: join(projectDir, 'npm-start.log') },
  },
});
const logPath = resolve(args.log!);
const shown = (p: string) => relative(process.cwd(), p) || '.';

// ---- output: the story on stdout, everything in the log ---------------------------------------

const logFd = openSync(logPath, 'w');
const toLog = (text: string) => writeSync(logFd, text.replace(/\u001b\[\d+m/g, ''));

/** A line of the story: on the terminal and in the log. */
function say(line = ''): void {
  process.stdout.write(`${line}\n`);
  toLog(`${line}\n`);
}

const n = (x: number) => x.toLocaleString('en-US');

interface Received {
  destination: 'crm-webhook' | 'braze';
  name: string;
  userId: string;
  audience?: string;
}

/** A local stand-in for the CRM webhook (batch mode: an array of events) and Braze's /users/track. */
function startSink() {
  const received: Received[] = [];
  const samples = new Map<string, unknown>();
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    if (req.url?.startsWith('/hook')) {
      for (const e of Array.isArray(body) ? body : [body]) {
        received.push({ destination: 'crm-webhook', name: e.event ?? e.type, userId: e.userId, audience: e.context?.personas?.computation_key });
        if (!samples.has(e.event)) samples.set(e.event, e);
      }
    } else if (req.url?.startsWith('/users/track')) {
      for (const e of body.events ?? []) received.push({ destination: 'braze', name: e.name, userId: e.external_id, audience: e.properties?.audience_key });
      for (const a of body.attributes ?? []) received.push({ destination: 'braze', name: 'user attributes', userId: a.external_id });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"success"}');
  });
  return new Promise<{ url: string; received: Received[]; samples: Map<string, unknown>; close(): void }>((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      ok({ url: `http://127.0.0.1:${port}`, received, samples, close: () => server.close() });
    }),
  );
}

/**
 * Runs `linked <args>`: its output goes to the log (and the terminal with --verbose); returns its
 * stdout. A failure prints the command's last lines, so the reason is not buried in the log.
 */
function linked(cliArgs: string[], env: NodeJS.ProcessEnv, options: { okCodes?: number[] } = {}): Promise<string> {
  const header = `\n$ linked ${cliArgs.join(' ')}\n`;
  toLog(header);
  if (args.verbose) process.stdout.write(`\x1b[1m${header.trim()}\x1b[0m\n`);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [linkedBin, ...cliArgs], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let all = '';
    const take = (isStdout: boolean) => (d: Buffer) => {
      const text = d.toString('utf8');
      if (isStdout) stdout += text;
      all += text;
      toLog(text);
      if (args.verbose) (isStdout ? process.stdout : process.stderr).write(text);
    };
    child.stdout.on('data', take(true));
    child.stderr.on('data', take(false));
    child.on('error', fail);
    child.on('close', (code) => {
      if ((options.okCodes ?? [0]).includes(code ?? 1)) return ok(stdout);
      if (!args.verbose) process.stderr.write(`\n$ linked ${cliArgs.join(' ')}\n${all.split('\n').slice(-20).join('\n')}\n`);
      fail(new Error(`linked ${cliArgs[0]} exited with ${code}`));
    });
  });
}

// ---- the facts the story tells ---------------------------------------------------------------

async function tableCounts(): Promise<Record<string, number>> {
  const wh = await openDuckDb(warehousePath);
  try {
    const out: Record<string, number> = {};
    for (const t of ['profiles', 'accounts', 'credit_cards', 'transactions', 'events']) {
      const { rows } = await wh.query<{ n: number | bigint }>(`SELECT count(*) AS n FROM main.${t}`);
      out[t] = Number(rows[0].n);
    }
    return out;
  } finally {
    await wh.close();
  }
}

interface PlanFile {
  stack: string;
  stateSchema: string;
  summary: { create: number; update: number; replace: number; delete: number };
  changes: { address: string; action: string; notes: string[] }[];
}

interface Run {
  audienceKey: string;
  status: string;
  members: number | null;
  entered: number | null;
  exited: number | null;
  entitiesAdded: number | null;
  entitiesRemoved: number | null;
  errorMessage: string | null;
}

/** The newest run of each audience, as `linked runs` reports them (read here: one process less). */
async function latestRuns(stateSchema: string): Promise<Run[]> {
  const wh = await openDuckDb(warehousePath);
  let runs: Run[];
  try {
    runs = await readRuns(wh, stateSchema, { limit: 50 });
  } finally {
    await wh.close();
  }
  const latest = new Map<string, Run>();
  for (const r of runs) if (!latest.has(r.audienceKey)) latest.set(r.audienceKey, r);
  return [...latest.values()].sort((a, b) => a.audienceKey.localeCompare(b.audienceKey));
}

/** `u_1, u_2, u_3 and 20 more`. */
function someIds(ids: readonly string[], shownCount = 3): string {
  const unique = [...new Set(ids)];
  const head = unique.slice(0, shownCount).join(', ');
  return unique.length > shownCount ? `${head} and ${n(unique.length - shownCount)} more` : head;
}

/** One line per audience: members, who entered and exited (with a few ids from what was delivered), entities. */
function sayRuns(runs: readonly Run[], received: readonly Received[]): void {
  const width = Math.max(...runs.map((r) => r.audienceKey.length));
  for (const r of runs) {
    if (r.status !== 'Live') {
      say(`   ${r.audienceKey.padEnd(width)}  ${r.status}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
      continue;
    }
    const entities = r.entitiesAdded || r.entitiesRemoved ? `, entities +${n(r.entitiesAdded ?? 0)} -${n(r.entitiesRemoved ?? 0)}` : '';
    say(`   ${r.audienceKey.padEnd(width)}  ${n(r.members ?? 0).padStart(6)} members: +${n(r.entered ?? 0)} entered, -${n(r.exited ?? 0)} exited${entities}`);
    const mine = received.filter((e) => e.audience === r.audienceKey);
    for (const name of [...new Set(mine.map((e) => e.name))].sort()) {
      say(`   ${''.padEnd(width)}    ${name}: ${someIds(mine.filter((e) => e.name === name).map((e) => e.userId))}`);
    }
  }
}

/** What each destination received, by event name. */
function sayDeliveries(received: readonly Received[]): void {
  if (received.length === 0) return say('     nothing: no emitter had events to send');
  for (const destination of ['crm-webhook', 'braze'] as const) {
    const mine = received.filter((e) => e.destination === destination);
    if (mine.length === 0) continue;
    const counts = new Map<string, number>();
    for (const e of mine) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
    say(`     ${destination.padEnd(11)}  ${[...counts].map(([name, c]) => `${n(c)} ${name}`).join(', ')}`);
  }
}

/** Real-world churn between two computes: cards paid off, new travel spending, logins, payments. */
async function changeSomeRows(): Promise<void> {
  const wh = await openDuckDb(warehousePath);
  try {
    const statements = [
      // Pay off one in three cards carrying a balance over 1,000.
      `UPDATE main.credit_cards SET balance = 0 WHERE balance > 1000 AND hash(card_id) % 3 = 0`,
      // A tenth of the US/GB/CA customers with a card book three large trips today.
      `INSERT INTO main.transactions
         SELECT 'demo-' || c.card_id || '-' || g.i, c.card_id, 900 + g.i, 'Demo Air', 'travel', now()::TIMESTAMP, true
         FROM main.credit_cards c
         JOIN main.accounts a ON a.account_id = c.account_id
         JOIN main.profiles p ON p.user_id = a.user_id
         CROSS JOIN range(3) AS g(i)
         WHERE p.country IN ('US', 'GB', 'CA') AND hash(c.card_id) % 10 = 1`,
      // Some dormant customers log in again.
      `INSERT INTO main.events
         SELECT 'demo-login-' || user_id, user_id, 'Login', now()::TIMESTAMP, '{"device":"web"}'::JSON
         FROM main.profiles WHERE hash(user_id) % 4 = 0`,
    ];
    for (const sql of statements) await wh.query(sql);
  } finally {
    await wh.close();
  }
}

// ---- the run ---------------------------------------------------------------------------------

async function main() {
  const sink = await startSink();
  const env = {
    ...process.env,
    NO_COLOR: '1',
    // Secrets are read from the environment at the moment of use; these are local demo values.
    BRAZE_API_KEY: process.env.BRAZE_API_KEY ?? 'demo-braze-key',
    WEBHOOK_TOKEN: process.env.WEBHOOK_TOKEN ?? 'demo-webhook-token',
    BANK_BRAZE_ENDPOINT: sink.url,
    BANK_WEBHOOK_URL: `${sink.url}/hook`,
  };
  const dir = ['--dir', projectDir];
  try {
    say(`The bank example, end to end on embedded DuckDB (every command's output: ${shown(logPath)})`);
    rmSync(warehousePath, { force: true });
    rmSync(`${warehousePath}.wal`, { force: true });
    await linked(['example', 'bank', '--profiles', args.profiles!, '--seed', args.seed!, '--out', warehousePath], env);
    const t = await tableCounts();
    say(`\n1. Generated ${shown(warehousePath)}: ${n(t.profiles)} profiles, ${n(t.accounts)} accounts, ${n(t.credit_cards)} cards, ${n(t.transactions)} transactions, ${n(t.events)} events.`);

    await linked(['synth', ...dir], env);
    await linked(['plan', ...dir, '--out', planPath, '--detailed-exitcode'], env, { okCodes: [0, 2] });
    const plan = JSON.parse(readFileSync(planPath, 'utf8')) as PlanFile;
    const actionable = plan.changes.filter((c) => c.action !== 'no-op');
    const s = plan.summary;
    say(`2. Synthesized examples/bank/main.ts and planned stack "${plan.stack}": ${s.create} to add, ${s.update} to change, ${s.replace} to replace, ${s.delete} to destroy.`);
    const symbol: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-' };
    for (const c of actionable) say(`   ${symbol[c.action].padStart(3)} ${c.address}${c.notes[0] ? `  (${c.notes[0]})` : ''}`);

    const applied = await linked(['apply', planPath, ...dir], env);
    const applyId = /\(apply ([0-9a-f-]+)\)/.exec(applied)?.[1];
    say(`3. Applied the saved plan${applyId ? ` (apply ${applyId.slice(0, 8)})` : ''}: ${actionable.length} resources in the state.`);

    await linked(['run', '--once', ...dir], env);
    say(`4. First compute of every enabled audience (a baseline: only "send for current" emitters send for it):`);
    sayRuns(await latestRuns(plan.stateSchema), sink.received);
    say('   Delivered:');
    sayDeliveries(sink.received);

    const firstPass = sink.received.length;
    await changeSomeRows();
    say('5. Changed some rows: cards paid off, new travel spending, dormant customers logging in.');
    for (const audience of ['overdue-cards', 'travel-spenders', 'dormant-savers']) await linked(['compute', audience, ...dir], env);
    await linked(['deliver', ...dir], env);
    const second = sink.received.slice(firstPass);
    say('6. Computed again; who entered and exited, with some of the ids the destinations received:');
    sayRuns(await latestRuns(plan.stateSchema), second);
    say('   Delivered:');
    sayDeliveries(second);

    const sample = [...sink.samples.entries()].find(([k]) => k === 'Audience Entered') ?? [...sink.samples.entries()][0];
    if (sample) toLog(`\nA sample event as the webhook received it:\n${JSON.stringify(sample[1], null, 2)}\n`);
    say('\nNext:');
    say('  npx linked status --dir examples/bank        audiences (Live, size, next run) and delivery health');
    say('  npx linked deliveries --dir examples/bank    each emitter\'s deliveries and dead letters');
    say('  npx linked audit --dir examples/bank         who applied what, with the diff');
    say(`  ${shown(logPath)}${' '.repeat(Math.max(1, 44 - shown(logPath).length))} every command's output and a sample event (npm start -- --verbose prints it)`);
  } finally {
    sink.close();
    closeSync(logFd);
  }
}

main().catch((e) => {
  console.error(`\nnpm start failed: ${(e as Error).message} (the whole output: ${shown(logPath)})`);
  process.exitCode = 1;
});
