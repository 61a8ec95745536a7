/**
 * The bank example (README.md beside it is its contract with the data generator, data.ts):
 * profiles -> accounts -> credit cards -> transactions, offers on cards (many-to-many), payment
 * events. Four audiences that together use every condition kind, two destinations and an emitter
 * for each of the five triggers, and audience tests at the end.
 *
 *   linked synth --dir examples/bank && linked validate --dir examples/bank
 *   linked test --dir examples/bank
 */
import {
  App,
  Audience,
  AudienceTest,
  ClassicAudience,
  DataGraph,
  Destination,
  EventEmitter,
  LinkedAudiencesStack,
  Schedule,
  Trigger,
  Warehouse,
  all,
  any,
  col,
  days,
  event,
  not,
  notPartOf,
  partOf,
  prop,
  secret,
  trait,
} from 'linked-audiences';

const app = new App();
const stack = new LinkedAudiencesStack(app, 'bank', {
  // Relative to the project directory (examples/bank); the data generator writes it.
  warehouse: Warehouse.duckdb({ path: 'bank.duckdb' }),
});

// ---- Data Graph ----------------------------------------------------------------------------

const graph = new DataGraph(stack, 'graph', {
  profile: {
    table: 'main.profiles',
    id: 'user_id',
    traits: ['email', 'first_name', 'plan', 'country', 'credit_score', 'created_at', 'is_employee'],
    identifiers: ['email', 'user_id'],
  },
  events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'properties' },
});

const account = graph.entity('account', {
  table: 'main.accounts',
  primaryKey: 'account_id',
  columns: ['user_id', 'type', 'status', 'balance', 'opened_at'],
});
const creditCard = graph.entity('credit_card', {
  table: 'main.credit_cards',
  primaryKey: 'card_id',
  columns: ['account_id', 'tier', 'credit_limit', 'balance', 'due_date', 'status'],
});
const transaction = graph.entity('transaction', {
  table: 'main.transactions',
  primaryKey: 'transaction_id',
  columns: ['card_id', 'amount', 'merchant', 'category', 'ts', 'is_international'],
});
const offer = graph.entity('offer', { table: 'main.offers', primaryKey: 'offer_id', columns: ['name', 'category', 'expires_at'] });

const accounts = graph.profile.relate('accounts', account, { identifier: 'user_id', column: 'user_id' });
const cards = accounts.relate('cards', creditCard, { on: ['account_id', 'account_id'] });
const transactions = cards.relate('transactions', transaction, { on: ['card_id', 'card_id'] });
const offers = cards.relateThrough('offers', offer, {
  junction: { table: 'main.card_offers', primaryKey: 'card_offer_id' },
  parent: ['card_id', 'card_id'],
  entity: ['offer_id', 'offer_id'],
});

const vipList = new ClassicAudience(stack, 'vip-list', {
  name: 'VIP list',
  table: 'main.vip_list',
  profileIdColumn: 'user_id',
});

// ---- Audiences -----------------------------------------------------------------------------

/** Premium customers with an open card balance past its due date and no payment for 30 days. */
const overdueCards = new Audience(stack, 'overdue-cards', {
  name: 'Cards with an overdue balance',
  description: 'Premium and private customers with a card over 1,000 past its due date and no recent payment.',
  enabled: true,
  schedule: Schedule.every('1h'),
  where: all(
    trait('plan').oneOf('premium', 'private'),
    // "Past due" is relative to each compute: a due date within the last 30 days.
    accounts.where(cards.where(col('balance').gt(1000), col('due_date').withinLast(days(30))).atLeast(1)).atLeast(1),
    not(event('Payment Made').within(days(30))),
  ),
});

/** Big travel spenders in three countries: three recent travel purchases over 500. */
const travelSpenders = new Audience(stack, 'travel-spenders', {
  name: 'Travel spenders',
  enabled: true,
  schedule: Schedule.every('15m'),
  where: all(
    trait('country').oneOf(['US', 'GB', 'CA']),
    trait('email').exists(),
    accounts.where(
      cards.where(
        transactions.where(col('category').equals('travel'), col('amount').gt(500), col('ts').withinLast(days(90))).atLeast(3),
      ),
    ),
  ),
});

/** Savers who stopped logging in, not already handled by the VIP desk. */
const dormantSavers = new Audience(stack, 'dormant-savers', {
  name: 'Dormant savers',
  enabled: true,
  schedule: Schedule.cron('0 6 * * *'),
  where: all(
    accounts.where(col('type').equals('savings'), col('balance').gte(10_000)).atLeast(1),
    event('Login').exactly(0).within(days(60)),
    notPartOf(vipList),
    trait('is_employee').notEquals(true),
  ),
});

/**
 * Upsell candidates: known travellers or VIPs with good credit, a card with headroom, and no
 * travel offer activated on that card yet. Disabled: the product's default for new audiences.
 */
const vipUpsell = new Audience(stack, 'vip-upsell', {
  name: 'VIP travel upsell',
  where: all(
    any(partOf(travelSpenders), partOf(vipList)),
    trait('credit_score').gte(720),
    accounts.where(
      cards
        .where(
          col('balance').lt(col('credit_limit')),
          col('tier').oneOf('gold', 'platinum'),
          offers.where(col('category').equals('travel')).atMost(0),
        )
        .atLeast(1),
    ),
    event('Payment Made').where(prop('amount').gte(100), prop('method').equals('ach')).atLeast(2).within(days(90)),
  ),
});

// ---- Destinations --------------------------------------------------------------------------

const braze = Destination.braze(stack, 'braze', {
  name: 'Braze',
  apiKey: secret('BRAZE_API_KEY'),
  appId: 'bank-app',
  // An environment override, read at synth time, lets `npm start` point Braze at its local sink.
  endpoint: process.env.BANK_BRAZE_ENDPOINT ?? 'https://rest.iad-01.braze.com',
});

const crmWebhook = Destination.webhook(stack, 'crm-webhook', {
  name: 'CRM webhook',
  url: process.env.BANK_WEBHOOK_URL ?? 'http://127.0.0.1:8787/hook',
  batch: true,
  headers: { Authorization: secret('WEBHOOK_TOKEN') },
});

// ---- Event emitters: one per trigger -------------------------------------------------------

new EventEmitter(stack, 'overdue-card-added', {
  audience: overdueCards,
  destination: braze,
  trigger: Trigger.entityAdded(cards),
  sendForCurrent: true,
  enrich: { traits: ['email', 'first_name'], entities: [cards.columns('balance', 'due_date')] },
});

new EventEmitter(stack, 'overdue-card-removed', {
  audience: overdueCards,
  destination: crmWebhook,
  trigger: Trigger.entityRemoved(cards),
});

new EventEmitter(stack, 'travel-spender-entered', {
  audience: travelSpenders,
  destination: crmWebhook,
  trigger: Trigger.audienceEntered(),
  sendForCurrent: true,
  enrich: { traits: ['email', 'country'] },
});

new EventEmitter(stack, 'dormant-saver-exited', {
  audience: dormantSavers,
  destination: crmWebhook,
  trigger: Trigger.audienceExited(),
});

new EventEmitter(stack, 'vip-upsell-membership', {
  audience: vipUpsell,
  destination: braze,
  trigger: Trigger.membershipChanged(),
});

// ---- Audience tests: `linked test` (docs/testing.md) ---------------------------------------

const TEST_NOW = '2026-06-01T00:00:00Z';

new AudienceTest(stack, 'overdue-premium-card', {
  audience: overdueCards,
  now: TEST_NOW,
  profiles: [
    { user_id: 'u1', plan: 'premium' },
    { user_id: 'u2', plan: 'basic' },
    { user_id: 'u3', plan: 'private' },
    { user_id: 'u4', plan: 'premium' },
  ],
  entities: {
    account: [
      { account_id: 'a1', user_id: 'u1', type: 'checking' },
      { account_id: 'a2', user_id: 'u2', type: 'checking' },
      { account_id: 'a3', user_id: 'u3', type: 'checking' },
      { account_id: 'a4', user_id: 'u4', type: 'checking' },
    ],
    credit_card: [
      { card_id: 'c1', account_id: 'a1', balance: 1500, due_date: '2026-05-20' },
      // Due next month: not past due yet, so not a match even though u1 is a member.
      { card_id: 'c5', account_id: 'a1', balance: 3000, due_date: '2026-07-01' },
      { card_id: 'c2', account_id: 'a2', balance: 1500, due_date: '2026-05-20' },
      { card_id: 'c3', account_id: 'a3', balance: 2000, due_date: '2026-05-20' },
      { card_id: 'c4', account_id: 'a4', balance: 500, due_date: '2026-05-20' },
    ],
  },
  // u3 paid last week: not overdue in the audience's sense.
  events: [{ user_id: 'u3', event: 'Payment Made', ts: '2026-05-25T10:00:00Z', properties: { amount: 200, method: 'ach' } }],
  expect: { members: ['u1'], entityMatches: [{ relationship: cards, matches: { u1: ['c1'] } }] },
});

new AudienceTest(stack, 'travel-three-big-purchases', {
  audience: travelSpenders,
  now: TEST_NOW,
  profiles: [
    { user_id: 'u1', country: 'US', email: 'u1@example.com' },
    { user_id: 'u2', country: 'DE', email: 'u2@example.com' },
    { user_id: 'u3', country: 'US', email: null },
    { user_id: 'u4', country: 'GB', email: 'u4@example.com' },
  ],
  entities: {
    account: ['u1', 'u2', 'u3', 'u4'].map((u) => ({ account_id: `a-${u}`, user_id: u })),
    credit_card: ['u1', 'u2', 'u3', 'u4'].map((u) => ({ card_id: `c-${u}`, account_id: `a-${u}` })),
    transaction: [
      ...['u1', 'u2', 'u3'].flatMap((u) =>
        [1, 2, 3].map((i) => ({ transaction_id: `t-${u}-${i}`, card_id: `c-${u}`, category: 'travel', amount: 600, ts: `2026-05-0${i}T12:00:00Z` })),
      ),
      // u4: two travel purchases and a dinner: one short.
      { transaction_id: 't-u4-1', card_id: 'c-u4', category: 'travel', amount: 900, ts: '2026-05-01T12:00:00Z' },
      { transaction_id: 't-u4-2', card_id: 'c-u4', category: 'travel', amount: 900, ts: '2026-05-02T12:00:00Z' },
      { transaction_id: 't-u4-3', card_id: 'c-u4', category: 'dining', amount: 900, ts: '2026-05-03T12:00:00Z' },
    ],
  },
  expect: { members: ['u1'] },
});

new AudienceTest(stack, 'dormant-savers-not-vip', {
  audience: dormantSavers,
  now: TEST_NOW,
  profiles: [
    { user_id: 'u1', is_employee: false },
    { user_id: 'u2', is_employee: false },
    { user_id: 'u3', is_employee: false },
    { user_id: 'u4', is_employee: false },
    { user_id: 'u5', is_employee: true },
  ],
  entities: {
    account: [
      { account_id: 'a1', user_id: 'u1', type: 'savings', balance: 20_000 },
      { account_id: 'a2', user_id: 'u2', type: 'savings', balance: 20_000 },
      { account_id: 'a3', user_id: 'u3', type: 'savings', balance: 20_000 },
      { account_id: 'a4', user_id: 'u4', type: 'savings', balance: 5_000 },
      { account_id: 'a5', user_id: 'u5', type: 'savings', balance: 50_000 },
    ],
  },
  events: [
    { user_id: 'u2', event: 'Login', ts: '2026-05-22T08:00:00Z', properties: {} },
    // A login before the 60-day window does not count.
    { user_id: 'u1', event: 'Login', ts: '2026-02-01T08:00:00Z', properties: {} },
  ],
  classicAudiences: { 'vip-list': [{ user_id: 'u3' }] },
  expect: { members: ['u1'], excludes: ['u2', 'u3'] },
});

app.synth();
