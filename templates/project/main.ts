/**
 * Your audiences, declared as code. `npx --no-install linked synth` runs this file (cdktf.json's
 * "app") and writes cdktf.out/; `npx --no-install linked plan` shows what would change in the
 * warehouse; `npx --no-install linked apply` makes it so (or `npm run synth`, `plan`, `apply`).
 * docs/constructs.md and docs/conditions.md (in node_modules/linked-audiences) list every
 * construct and condition.
 *
 * The tables below are those of the bank example (`npm run data` writes them to
 * warehouse.duckdb): replace them with your own.
 */
import { App, Audience, AudienceTest, DataGraph, Destination, EventEmitter, LinkedAudiencesStack, Schedule, Trigger, Warehouse, all, col, days, event, trait } from 'linked-audiences';

const app = new App();
const stack = new LinkedAudiencesStack(app, '{{stack}}', {
  // A DuckDB file, relative to this folder. For Snowflake: Warehouse.snowflake({...}), see docs/warehouses.md.
  warehouse: Warehouse.duckdb({ path: 'warehouse.duckdb' }),
});

// ---- Data Graph: who your profiles are and what relates to them -------------------------------

const graph = new DataGraph(stack, 'graph', {
  // identifiers: the columns that identify a profile; relationships join on one of them.
  profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan', 'country'], identifiers: ['email', 'user_id'] },
  events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'properties' },
});
const account = graph.entity('account', { table: 'main.accounts', primaryKey: 'account_id', columns: ['user_id', 'type', 'balance'] });
// A relationship has a name you use in conditions: `accounts.where(...)`.
const accounts = graph.profile.relate('accounts', account, { identifier: 'user_id', column: 'user_id' });

// ---- An audience: the profiles that match, recomputed on a schedule ---------------------------

const bigSavers = new Audience(stack, 'big-savers', {
  name: 'Big savers',
  enabled: true,
  schedule: Schedule.every('1h'),
  where: all(
    trait('plan').oneOf('premium', 'private'),
    accounts.where(col('type').equals('savings'), col('balance').gte(10_000)).atLeast(1),
    event('Login').within(days(30)),
  ),
});

// ---- Where its changes go: a destination and an emitter ---------------------------------------

const webhook = Destination.webhook(stack, 'webhook', {
  name: 'Local webhook',
  // Any HTTP endpoint; docs/getting-started.md starts one on this address to watch the events arrive.
  url: 'http://127.0.0.1:8787/linked',
});

new EventEmitter(stack, 'big-saver-entered', {
  audience: bigSavers,
  destination: webhook,
  trigger: Trigger.audienceEntered(),
  // Also send the profiles already in the audience at the first compute.
  sendForCurrent: true,
  enrich: { traits: ['email'] },
});

// ---- A test: fixture rows in, expected members out (`npm test`, no warehouse needed) ------------

new AudienceTest(stack, 'big-savers-need-a-recent-login', {
  audience: bigSavers,
  now: '2026-06-01T00:00:00Z',
  profiles: [
    { user_id: 'u1', plan: 'premium' },
    { user_id: 'u2', plan: 'premium' },
    { user_id: 'u3', plan: 'basic' },
  ],
  entities: {
    account: [
      { account_id: 'a1', user_id: 'u1', type: 'savings', balance: 25_000 },
      { account_id: 'a2', user_id: 'u2', type: 'savings', balance: 25_000 },
      { account_id: 'a3', user_id: 'u3', type: 'savings', balance: 25_000 },
    ],
  },
  // u2 last logged in more than 30 days before `now`; u3 is not on a premium plan.
  events: [
    { user_id: 'u1', event: 'Login', ts: '2026-05-20T08:00:00Z', properties: {} },
    { user_id: 'u2', event: 'Login', ts: '2026-03-01T08:00:00Z', properties: {} },
    { user_id: 'u3', event: 'Login', ts: '2026-05-20T08:00:00Z', properties: {} },
  ],
  expect: { members: ['u1'] },
});

app.synth();
