/**
 * `npm start`: the bank example end to end on embedded DuckDB, driven through the real `linked` CLI
 * exactly as a user or a pipeline would run it:
 *
 *   generate data -> synth -> validate -> plan -> apply -> compute -> deliver to a local sink
 *   -> change some rows -> compute again -> deliver -> print the deltas and the events received.
 *
 * The sink stands in for the CRM webhook and for Braze, on 127.0.0.1 (no network is needed).
 * Options: --profiles N (default 5000), --seed S.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDuckDb } from '../src/warehouse/duckdb.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const projectDir = join(root, 'examples', 'bank');
const warehousePath = join(projectDir, 'bank.duckdb');
const linkedBin = join(root, 'bin', 'linked.js');

const { values: args } = parseArgs({
  options: { profiles: { type: 'string', default: '5000' }, seed: { type: 'string', default: '7' } },
});

interface Received {
  destination: 'crm-webhook' | 'braze';
  name: string;
  userId: string;
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
        received.push({ destination: 'crm-webhook', name: e.event ?? e.type, userId: e.userId });
        if (!samples.has(e.event)) samples.set(e.event, e);
      }
    } else if (req.url?.startsWith('/users/track')) {
      for (const e of body.events ?? []) {
        received.push({ destination: 'braze', name: e.name, userId: e.external_id });
        if (!samples.has(`braze:${e.name}`)) samples.set(`braze:${e.name}`, e);
      }
      for (const a of body.attributes ?? []) {
        received.push({ destination: 'braze', name: 'user attributes', userId: a.external_id });
        if (!samples.has('braze:attributes')) samples.set('braze:attributes', a);
      }
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

/** Runs `linked <args>` with its output on this terminal; fails the demo when it fails. */
function linked(cliArgs: string[], env: NodeJS.ProcessEnv, okCodes = [0]): Promise<void> {
  process.stdout.write(`\n\x1b[1m$ linked ${cliArgs.join(' ')}\x1b[0m\n`);
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [linkedBin, ...cliArgs], { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code) =>
      okCodes.includes(code ?? 1) ? ok() : fail(new Error(`linked ${cliArgs[0]} exited with ${code}`)),
    );
  });
}

function tally(received: Received[]): string {
  const counts = new Map<string, number>();
  for (const r of received) counts.set(`${r.destination}  ${r.name}`, (counts.get(`${r.destination}  ${r.name}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`).join('\n') || '  (none)';
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

async function main() {
  const sink = await startSink();
  const env = {
    ...process.env,
    // Secrets are read from the environment at the moment of use; these are local demo values.
    BRAZE_API_KEY: process.env.BRAZE_API_KEY ?? 'demo-braze-key',
    WEBHOOK_TOKEN: process.env.WEBHOOK_TOKEN ?? 'demo-webhook-token',
    BANK_BRAZE_ENDPOINT: sink.url,
    BANK_WEBHOOK_URL: `${sink.url}/hook`,
  };
  const dir = ['--dir', projectDir];
  try {
    rmSync(warehousePath, { force: true });
    rmSync(`${warehousePath}.wal`, { force: true });
    await linked(['example', 'bank', '--profiles', args.profiles!, '--seed', args.seed!, '--out', warehousePath], env);
    await linked(['synth', ...dir], env);
    await linked(['validate', ...dir], env);
    await linked(['plan', ...dir, '--detailed-exitcode'], env, [0, 2]);
    await linked(['apply', ...dir, '--auto-approve'], env);
    await linked(['run', '--once', ...dir], env);
    await linked(['deliver', ...dir], env);
    const firstPass = sink.received.length;
    console.log(`\nThe sink received ${firstPass} events after the first compute (baselines go only to "send for current" emitters):`);
    console.log(tally(sink.received));

    console.log('\nChanging some rows: cards paid off, new travel spending, logins ...');
    await changeSomeRows();
    for (const audience of ['overdue-cards', 'travel-spenders', 'dormant-savers']) {
      await linked(['compute', audience, ...dir], env);
    }
    await linked(['deliver', ...dir], env);
    console.log(`\nEvents received for the changes (second compute):`);
    console.log(tally(sink.received.slice(firstPass)));
    await linked(['status', ...dir], env);
    const sample = [...sink.samples.entries()].find(([k]) => !k.startsWith('braze:'));
    if (sample) console.log(`\nA sample event as the webhook received it:\n${JSON.stringify(sample[1], null, 2)}`);
  } finally {
    sink.close();
  }
}

main().catch((e) => {
  console.error(`\nnpm start failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
