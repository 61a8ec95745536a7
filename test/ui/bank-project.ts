import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateInto } from '../../examples/bank/data.js';
import { deliverAll } from '../../src/activation/deliver.js';
import { computeNow } from '../../src/controller/compute-now.js';
import type { Desired } from '../../src/model/desired.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { startServer, type TestServer } from '../activation/helpers.js';
import { bank } from '../fixtures/bank.js';
import { planAndApply, PROVENANCE } from '../plan/helpers.js';
import { writeManifest } from '../plan/fixtures.js';

/*
 * The bank example as a team runs it for a while, through library calls: its generated warehouse,
 * plan and apply (twice, from two commits), three computes of every enabled audience with the
 * data changing between them, and deliveries to local servers, one of which refuses some events
 * (dead letters) and echoes the request's credential in its refusal. One audience carries a
 * hostile name and description, and the refusals carry markup. Secrets are canaries that no page may show.
 */

export const CANARIES = { BRAZE_API_KEY: 'canary-braze-5b1e9d7c40', WEBHOOK_TOKEN: 'canary-hook-8f2c3a6177' };
export const HOSTILE_NAME = 'Travel <script>alert("x")</script> & "spenders"';
export const HOSTILE_DESCRIPTION = '<img src=x onerror=alert(1)> spent abroad';
/** Markup in a destination's refusal: stored as the dead letter's response, shown on the deliveries page. */
export const HOSTILE_RESPONSE = '<img src=x onerror=alert(2)><script>alert(3)</script>';
export const SCHEMA = bank.warehouse.stateSchema;

export interface BankProject {
  dir: string;
  desired: Desired;
  close(): Promise<void>;
}

function bankDesired(brazeUrl: string, hookUrl: string, dormantEvery: string, hostile: boolean): Desired {
  const d = structuredClone(bank);
  d.destinations = d.destinations.map((x) =>
    x.type === 'braze' ? { ...x, settings: { ...x.settings, endpoint: brazeUrl } } : { ...x, settings: { ...x.settings, url: `${hookUrl}/hook`, batch: false } },
  ) as Desired['destinations'];
  d.audiences = d.audiences.map((a) =>
    a.key === 'travel-spenders' && hostile ? { ...a, name: HOSTILE_NAME, description: HOSTILE_DESCRIPTION } : a.key === 'dormant-savers' ? { ...a, schedule: { type: 'interval', every: dormantEvery } } : a,
  ) as Desired['audiences'];
  return d;
}

const built = new Map<string, Promise<BankProject>>();

/**
 * The bank project in a new directory of its own (`hostile: false` keeps the example's own names,
 * the screenshot in docs/ui.md). Each file of test/ui starts from it, and making it (data, two
 * applies, three rounds of computes and deliveries) costs seconds of CPU: it is made once per test
 * process and each caller gets a copy of its folder, the DuckDB file closed (checkpointed) before
 * the copy. Its destinations' servers are gone by then: the pages read the state, they never send.
 */
export async function makeBankProject(profiles = 300, options: { hostile?: boolean } = {}): Promise<BankProject> {
  const key = `${profiles}:${options.hostile ?? true}`;
  let made = built.get(key);
  if (!made) {
    made = buildBankProject(profiles, options.hostile ?? true);
    built.set(key, made);
  }
  const template = await made;
  const dir = mkdtempSync(join(tmpdir(), 'linked-ui-'));
  cpSync(template.dir, dir, { recursive: true });
  return { dir, desired: structuredClone(template.desired), close: async () => {} };
}

async function buildBankProject(profiles: number, hostile: boolean): Promise<BankProject> {
  const dir = mkdtempSync(join(tmpdir(), 'linked-ui-template-'));
  const braze = await startServer();
  // Refuses the events of users whose id ends in 7, quoting the credential it was sent.
  const hook: TestServer = await startServer((req, _n, res) => {
    const user = String((req.body as { userId?: string })?.userId ?? '');
    if (user.endsWith('7')) {
      res.writeHead(422, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: hostile ? `unknown contact ${HOSTILE_RESPONSE}` : 'unknown contact', got: req.headers.authorization }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const first = bankDesired(braze.url, hook.url, '1d', hostile);
  const desired = bankDesired(braze.url, hook.url, '12h', hostile);
  const wh = await openDuckDb(join(dir, 'bank.duckdb'));
  try {
    const now = new Date();
    await generateInto(wh, profiles, 7, now);
    await wh.query('CREATE TABLE main.profiles_kept AS SELECT * FROM main.profiles');
    await planAndApply(wh, first, { ...PROVENANCE, commitSha: '1111111111111111111111111111111111111111', prNumber: 41 });
    await planAndApply(wh, desired);
    const enabled = desired.audiences.filter((a) => a.enabled).map((a) => a.key);
    const computeAll = async () => {
      for (const key of enabled) await computeNow(wh, SCHEMA, key);
    };
    const deliver = () => deliverAll(wh, SCHEMA, { env: { ...process.env, ...CANARIES } });
    await computeAll();
    await deliver();
    // A third of the profiles leave the premium plan (exits), and some cards book travel (entries);
    // then the plans come back (entries again).
    await wh.query("UPDATE main.profiles SET plan = 'basic' WHERE hash(user_id) % 3 = 0");
    await wh.query(
      "INSERT INTO main.transactions BY NAME SELECT 'ui_' || card_id || '_' || i AS transaction_id, card_id, 900.0 AS amount, 'Skyways Air' AS merchant, 'travel' AS category, CAST(now() AS TIMESTAMP) - INTERVAL 3 DAY AS ts FROM main.credit_cards, range(3) r(i) WHERE hash(card_id) % 3 = 0",
    );
    await computeAll();
    await deliver();
    await wh.query('DELETE FROM main.profiles');
    await wh.query('INSERT INTO main.profiles SELECT * FROM main.profiles_kept');
    await computeAll();
    await deliver();
  } finally {
    await wh.close();
    await braze.close();
    await hook.close();
  }
  writeManifest(dir, desired);
  return { dir, desired, close: async () => {} };
}
