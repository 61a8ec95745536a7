import { afterEach, describe, expect, it } from 'vitest';
import {
  App,
  Audience,
  AudienceTest,
  ClassicAudience,
  DataGraph,
  Destination,
  EntityRef,
  EventEmitter,
  JunctionField,
  LinkedAudiencesStack,
  Schedule,
  SnowflakeAuth,
  Trigger,
  Warehouse,
  all,
  col,
  event,
  partOf,
  secret,
  trait,
} from '../../constructs/index.js';
import { bankStack, cleanup, synthError, tempDir } from './helpers.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

afterEach(cleanup);

/** Every validation error is reported by cdktn as "[<construct path>] <message>". */
function expectProblem(message: string, path: string, expected: string): void {
  expect(message).toContain('Validation failed');
  expect(message).toContain(`[${path}] ${expected}`);
}

describe('construct validation names the construct path', () => {
  it('a duplicate audience key, on the construct that reuses it', () => {
    const b = bankStack();
    new Audience(b.stack, 'first', { key: 'dup', where: trait('plan').exists() });
    new Audience(b.stack, 'second', { key: 'dup', where: trait('plan').exists() });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/second', 'Duplicate audience key "dup": keys must be unique in a stack (at key)');
    expect(msg).not.toContain('[bank/first]');
    // Nothing is written when validation fails.
    expect(existsSync(join(b.outdir, 'manifest.json'))).toBe(false);
  });

  it('duplicate entity and relationship slugs in the Data Graph', () => {
    const b = bankStack();
    const again = b.graph.entity('account', { table: 'main.accounts2', primaryKey: 'id' });
    b.graph.profile.relate('accounts', again, { identifier: 'user_id', column: 'user_id' });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/graph', 'Duplicate entity slug "account" in the Data Graph (at entities[4].slug)');
    expectProblem(msg, 'bank/graph', 'Duplicate relationship slug "accounts" in the Data Graph (at relationships[4].slug)');
  });

  it('an entity keyed by several columns: where such a key belongs (a junction), not only the types', () => {
    const b = bankStack();
    // tsx does not check types: an app that runs without `linked check` gets here.
    const line = b.graph.entity('order_line', { table: 'main.order_details', primaryKey: ['order_id', 'product_id'] as unknown as string });
    b.accounts.relate('lines', line, { on: ['account_id', 'order_id'] });
    expectProblem(
      synthError(b.app),
      'bank/graph',
      "entities[4].primaryKey: an entity's primary key is one column. A table keyed by several columns that links two entities (order lines: order_id and product_id) is the junction of a many-to-many relationship: relateThrough(",
    );
  });

  it('a relationship handle of another stack\'s graph', () => {
    const b = bankStack();
    const other = new LinkedAudiencesStack(b.app, 'other', { warehouse: Warehouse.duckdb({ path: 'other.duckdb' }) });
    const otherGraph = new DataGraph(other, 'graph', { profile: { table: 'p', id: 'id', identifiers: ['id'] } });
    const loans = otherGraph.profile.relate('loans', otherGraph.entity('loan', { table: 'loans', primaryKey: 'id' }), { identifier: 'id', column: 'user_id' });
    new Audience(b.stack, 'borrowers', { where: loans.atLeast(1) });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/borrowers', 'uses the relationship loans of other/graph, which another stack declares: a stack resolves the keys and slugs it uses among its own resources only. Declare it in stack bank as well');
    expect(msg).not.toContain('Entity relationship not in Data Graph');
  });

  it('constructs of another stack, even where this stack has a namesake that the key would silently stand for', () => {
    const prod = bankStack('prod');
    const staging = new LinkedAudiencesStack(prod.app, 'staging', { warehouse: Warehouse.duckdb({ path: 'staging.duckdb' }) });
    new DataGraph(staging, 'graph', { profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'], identifiers: ['user_id'] } });
    const prodPremium = new Audience(prod.stack, 'premium', { where: trait('plan').equals('premium') });
    const prodHook = Destination.webhook(prod.stack, 'hook', { url: 'https://example.com/hook' });
    new Audience(staging, 'premium', { where: trait('plan').equals('basic') });
    Destination.webhook(staging, 'hook', { url: 'https://example.com/staging' });
    new EventEmitter(staging, 'entered', { audience: prodPremium, destination: prodHook, trigger: Trigger.audienceEntered() });
    new Audience(staging, 'premium-friends', { where: partOf(prodPremium) });
    new AudienceTest(staging, 'premium-test', { audience: prodPremium, profiles: [{ user_id: 'u1', plan: 'premium' }], expect: { members: ['u1'] } });
    const msg = synthError(prod.app);
    const fix = 'which another stack declares: a stack resolves the keys and slugs it uses among its own resources only. Declare it in stack staging as well';
    expectProblem(msg, 'staging/entered', `uses prod/premium, ${fix}`);
    expectProblem(msg, 'staging/entered', `uses prod/hook, ${fix}`);
    expectProblem(msg, 'staging/premium-friends', `uses prod/premium, ${fix}`);
    expectProblem(msg, 'staging/premium-test', `uses prod/premium, ${fix}`);
    expect(msg).not.toContain('[prod/');
  });

  it('relationship handles of another stack in entity triggers, enrichment, column operands, junction filters and entity expectations, even where this stack has namesakes', () => {
    const prod = bankStack('prod');
    const staging = bankStack('staging', { app: prod.app });
    const withCards = new Audience(staging.stack, 'with-cards', { where: staging.accounts.where(staging.cards.where(staging.offers.atLeast(1))) });
    const hook = Destination.webhook(staging.stack, 'hook', { url: 'https://example.com/staging' });
    new EventEmitter(staging.stack, 'card-added', { audience: withCards, destination: hook, trigger: Trigger.entityAdded(prod.cards) });
    new EventEmitter(staging.stack, 'card-removed', { audience: withCards, destination: hook, trigger: Trigger.entityRemoved(prod.cards) });
    new EventEmitter(staging.stack, 'enriched', {
      audience: withCards,
      destination: hook,
      trigger: Trigger.audienceEntered(),
      enrich: { entities: [prod.cards.columns('balance'), prod.offers.junctionColumns('role')] },
    });
    new Audience(staging.stack, 'over-balance', { where: staging.accounts.where(staging.cards.where(col('balance').gt(prod.accounts.col('balance')))) });
    new Audience(staging.stack, 'primary-offers', { where: staging.accounts.where(staging.cards.where(staging.offers.where(prod.offers.junction('role').equals('primary')))) });
    new AudienceTest(staging.stack, 'card-test', { audience: withCards, expect: { entityMatches: [{ relationship: prod.cards, matches: {} }] } });
    const msg = synthError(prod.app);
    const fix = 'which another stack declares: a stack resolves the keys and slugs it uses among its own resources only. Declare it in stack staging as well';
    expectProblem(msg, 'staging/card-added', `uses the relationship cards of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/card-removed', `uses the relationship cards of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/enriched', `uses the relationship cards of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/enriched', `uses the relationship offers of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/over-balance', `uses the relationship accounts of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/primary-offers', `uses the relationship offers of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/card-test', `uses the relationship cards of prod/graph, ${fix}`);
    expect(msg).not.toContain('[prod/');
    expect(msg).not.toContain('[staging/with-cards]');
  });

  it("trait handles of another stack's graph (a condition, an operand of an entity filter) and its entities in this graph's relationships, even where this stack has namesakes", () => {
    const prod = bankStack('prod');
    const staging = bankStack('staging', { app: prod.app });
    new Audience(staging.stack, 'premium', { where: prod.graph.trait('plan').equals('premium') });
    new Audience(staging.stack, 'over-limit', { where: staging.accounts.where(staging.cards.where(col('balance').gt(prod.graph.trait('credit_limit')))) });
    new Audience(staging.stack, 'own-traits', { where: all(staging.graph.trait('plan').equals('gold'), trait('country').equals('FR')) });
    staging.accounts.relate('old_cards', prod.entities.card, { on: ['account_id', 'account_id'] });
    const msg = synthError(prod.app);
    const fix = 'which another stack declares: a stack resolves the keys and slugs it uses among its own resources only. Declare it in stack staging as well';
    expectProblem(msg, 'staging/premium', `uses the trait plan of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/over-limit', `uses the trait credit_limit of prod/graph, ${fix}`);
    expectProblem(msg, 'staging/graph', `uses the entity credit_card of prod/graph, ${fix}`);
    expect(msg).not.toContain('[staging/own-traits]');
    expect(msg).not.toContain('[prod/');
  });

  it('a relationship handle of another stack in an entity trigger, where this stack has no relationship of its slug', () => {
    const bank = bankStack();
    const other = new LinkedAudiencesStack(bank.app, 'other', { warehouse: Warehouse.duckdb({ path: 'other.duckdb' }) });
    const otherGraph = new DataGraph(other, 'graph', { profile: { table: 'p', id: 'id', identifiers: ['id'] } });
    const loans = otherGraph.profile.relate('loans', otherGraph.entity('loan', { table: 'loans', primaryKey: 'id', columns: ['amount'] }), { identifier: 'id', column: 'user_id' });
    const withCards = new Audience(bank.stack, 'with-cards', { where: bank.accounts.where(bank.cards.atLeast(1)) });
    const hook = Destination.webhook(bank.stack, 'hook', { url: 'https://example.com/hook' });
    new EventEmitter(bank.stack, 'loan-added', { audience: withCards, destination: hook, trigger: Trigger.entityAdded(loans), enrich: { entities: [loans.columns('amount')] } });
    const msg = synthError(bank.app);
    expectProblem(msg, 'bank/loan-added', 'uses the relationship loans of other/graph, which another stack declares: a stack resolves the keys and slugs it uses among its own resources only. Declare it in stack bank as well');
    expect(msg).not.toContain('not in Data Graph');
  });

  it('a relationship used under an entity it is not a child of', () => {
    const b = bankStack();
    // The types refuse this; a cast (or plain JavaScript) gets it past the compiler.
    new Audience(b.stack, 'skips-accounts', { where: b.cards.where(col('balance').gt(0)) as never });
    new Audience(b.stack, 'wrong-parent', { where: b.accounts.where(b.transactions.atLeast(1) as never) });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/skips-accounts', 'Entity relationship not in Data Graph for entity: profile and relationship: cards (at condition.relationship)');
    expectProblem(msg, 'bank/wrong-parent', 'Entity relationship not in Data Graph for entity: account and relationship: transactions (at condition.where.relationship)');
  });

  it('a relationship to an entity the graph does not declare', () => {
    const b = bankStack();
    b.accounts.relate('loans', new EntityRef('loan', { table: 'main.loans', primaryKey: 'loan_id' }), { on: ['account_id', 'account_id'] });
    expectProblem(synthError(b.app), 'bank/graph', 'Entity missing from Data Graph: loan (at relationships[4].entity)');
  });

  it('a column filter on a column the entity does not expose', () => {
    const b = bankStack();
    new Audience(b.stack, 'typo', { where: b.accounts.where(b.cards.where(col('balanse').gt(0))) });
    expectProblem(synthError(b.app), 'bank/typo', 'Entity column missing from Data Graph for Entity credit_card and Column: balanse (at condition.where.where.column)');
  });

  it('a junction column the junction table does not expose, and one on a relationship without a junction', () => {
    const b = bankStack();
    new Audience(b.stack, 'typo', { where: b.accounts.where(b.cards.where(b.offers.where(b.offers.junction('rol').equals('primary')))) });
    new Audience(b.stack, 'nojunction', { where: b.accounts.where(b.cards.where(new JunctionField<'cards'>('tier').equals('gold'))) });
    const message = synthError(b.app);
    expectProblem(message, 'bank/typo', 'Junction column missing from Data Graph for relationship offers and Column: rol (junction table main.card_offers exposes card_offer_id, card_id, offer_id, role, linked_at) (at condition.where.where.where.column)');
    expectProblem(message, 'bank/nojunction', 'Junction column tier filters relationship cards, which has no junction table');
  });

  it('enrichment junction columns: one the junction does not expose (with a did-you-mean), and any on a relationship without a junction', () => {
    const b = bankStack();
    const a = new Audience(b.stack, 'offered', { where: b.accounts.where(b.cards.where(b.offers.atLeast(1))) });
    const d = Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:1/x' });
    new EventEmitter(b.stack, 'typo', { audience: a, destination: d, trigger: Trigger.entityAdded(b.offers), enrich: { entities: [b.offers.junctionColumns('role', 'linkd_at')] } });
    new EventEmitter(b.stack, 'nojunction', {
      audience: a,
      destination: d,
      trigger: Trigger.audienceEntered(),
      enrich: { entities: [{ relationship: 'cards', junctionColumns: ['tier'] }] },
    });
    new EventEmitter(b.stack, 'fine', { audience: a, destination: d, trigger: Trigger.entityAdded(b.offers), enrich: { entities: [b.offers.junctionColumns('role', 'card_offer_id')] } });
    const message = synthError(b.app);
    expectProblem(
      message,
      'bank/typo',
      'Junction column missing from Data Graph for relationship offers and Column: linkd_at (junction table main.card_offers exposes card_offer_id, card_id, offer_id, role, linked_at) (at enrich.entities[0].junctionColumns[1]) Did you mean "linked_at"?',
    );
    expectProblem(message, 'bank/nojunction', 'Junction columns tier enrich relationship cards, which has no junction table: declare it with relateThrough');
    expect(message).not.toContain('[bank/fine]');
    expect(message).not.toContain('role (');
  });

  it('an entity declared with no columns', () => {
    const b = bankStack();
    b.graph.entity('branch', { table: 'main.branches', primaryKey: 'branch_id', columns: [] });
    expectProblem(synthError(b.app), 'bank/graph', 'No columns exist for entity in Data Graph: branch (at entities[4].columns)');
  });

  it('a table reference written with quotes, with the reference to write (every part is quoted for you)', () => {
    const b = bankStack();
    b.graph.entity('branch', { table: '"Crm Data"."Branches"', primaryKey: 'branch_id' });
    new ClassicAudience(b.stack, 'quoted', { table: '"vips"', profileIdColumn: 'user_id' });
    const message = synthError(b.app);
    expectProblem(message, 'bank/graph', 'entities[4].table: is written with quotes: write "Crm Data.Branches" (each part as the warehouse spells it, spaces and case included); every part is quoted for you');
    expectProblem(message, 'bank/quoted', 'table: is written with quotes: write "vips"');
  });

  it('a table reference with half a quoted part (a dot inside the quotes), refused rather than read as names with quotes in them', () => {
    const b = bankStack();
    new ClassicAudience(b.stack, 'halfquoted', { table: '"my.schema".t', profileIdColumn: 'user_id' });
    expectProblem(synthError(b.app), 'bank/halfquoted', 'table: is written with quotes: write each part as the warehouse spells it, without quotes, parts separated by "."; every part is quoted for you');
  });

  it('nesting deeper than the graph allows', () => {
    const b = bankStack('bank', { maxDepth: 3 });
    new Audience(b.stack, 'deep', { where: b.accounts.where(b.cards.where(b.transactions.atLeast(1))) });
    const msg = synthError(b.app);
    expectProblem(
      msg,
      'bank/deep',
      'Nested entity conditions go 4 levels deep (the profile is level 1) at relationship transactions, over the limit of 3 (at condition.where.where)',
    );
    expectProblem(msg, 'bank/graph', "Relationship transactions is at depth 4 (the profile is level 1), over the Data Graph's limit of 3 levels (at relationships[2])");
  });

  it("an entity trigger on a path the audience's conditions do not select", () => {
    const b = bankStack();
    const a = new Audience(b.stack, 'cards', { where: b.accounts.where(b.cards.where(col('balance').gt(0))) });
    const without = new Audience(b.stack, 'no-cards', { where: b.accounts.where(b.cards.none()) });
    const d = Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:1/x' });
    new EventEmitter(b.stack, 'tx-added', { audience: a, destination: d, trigger: Trigger.entityAdded(b.transactions) });
    new EventEmitter(b.stack, 'card-removed', { audience: without, destination: d, trigger: Trigger.entityRemoved(b.cards) });
    new EventEmitter(b.stack, 'card-added', { audience: a, destination: d, trigger: Trigger.entityAdded(b.cards) });
    const msg = synthError(b.app);
    expectProblem(
      msg,
      'bank/tx-added',
      "The entity_added trigger's entity path accounts > cards > transactions is not matched by a positive entity condition of audience cards",
    );
    expectProblem(msg, 'bank/card-removed', "The entity_removed trigger's entity path accounts > cards is not matched by a positive entity condition of audience no-cards");
    expect(msg).not.toContain('[bank/card-added]');
  });

  it('sendForCurrent on an exit trigger', () => {
    const b = bankStack();
    const a = new Audience(b.stack, 'a', { where: trait('plan').exists() });
    const d = Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:1/x' });
    new EventEmitter(b.stack, 'exited', { audience: a, destination: d, trigger: Trigger.audienceExited(), sendForCurrent: true });
    expectProblem(
      synthError(b.app),
      'bank/exited',
      'sendForCurrent is not available for the audience_exited trigger: only entity_added, audience_entered, audience_membership_changed send events for current profiles and entities (at sendForCurrent)',
    );
  });

  it('a cycle of audience membership, on every audience in it', () => {
    const b = bankStack();
    new Audience(b.stack, 'a', { where: partOf({ key: 'b', kind: 'audience' }) });
    const bAud = new Audience(b.stack, 'b', { where: all(trait('plan').exists(), partOf({ key: 'c', kind: 'audience' })) });
    new Audience(b.stack, 'c', { where: partOf({ key: 'a', kind: 'audience' }) });
    new Audience(b.stack, 'outside', { where: partOf(bAud) });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/a', 'Audience membership cycle: a -> b -> c -> a');
    expectProblem(msg, 'bank/b', 'Audience membership cycle: b -> c -> a -> b');
    expectProblem(msg, 'bank/c', 'Audience membership cycle: c -> a -> b -> c');
    expect(msg).not.toContain('[bank/outside]');
  });

  it('unknown audience, classic audience and destination keys', () => {
    const b = bankStack();
    new Audience(b.stack, 'a', { where: partOf({ key: 'vip', kind: 'classic_audience' }) });
    new EventEmitter(b.stack, 'e', { audience: 'nope', destination: 'nowhere', trigger: Trigger.audienceEntered() });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/a', 'Unknown classic audience "vip" in a part-of-audience condition (at condition.audience)');
    expectProblem(msg, 'bank/e', 'Unknown audience "nope" for event emitter e (at audience)');
    expectProblem(msg, 'bank/e', 'Unknown destination "nowhere" for event emitter e (at destination)');
  });

  it('an invalid cron expression', () => {
    const b = bankStack();
    new Audience(b.stack, 'nightly', { schedule: Schedule.cron('0 25 * * *'), where: trait('plan').exists() });
    new Audience(b.stack, 'six-fields', { schedule: Schedule.cron('0 0 6 * * *'), where: trait('plan').exists() });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/nightly', 'Invalid cron expression "0 25 * * *": hour 25 is out of range (0-23) (at schedule.expression)');
    expectProblem(msg, 'bank/six-fields', 'Invalid cron expression "0 0 6 * * *"');
  });

  it('a literal of the wrong type for its operator', () => {
    const b = bankStack();
    new Audience(b.stack, 'bool-gt', { where: trait('credit_score').gt(true as never) });
    new Audience(b.stack, 'text-gt', { where: trait('credit_score').gt('high') });
    new Audience(b.stack, 'num-contains', { where: b.accounts.where(col('type').contains(5 as never)) });
    new Audience(b.stack, 'bad-date', { where: trait('created_at').before('yesterday') });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/bool-gt', 'condition.value.literal: expected number or string, received boolean (for operator "gt")');
    expectProblem(msg, 'bank/text-gt', 'condition.value.literal: expected a number or an ISO-8601 date or timestamp (for operator "gt")');
    expectProblem(msg, 'bank/num-contains', 'condition.where.value.literal: expected string, received number (for operator "contains")');
    expectProblem(msg, 'bank/bad-date', 'condition.value: must be an ISO-8601 date or timestamp (for operator "before_date")');
  });

  it('a date or timestamp that is not in the calendar, named with the part at fault, not rolled over', () => {
    const b = bankStack();
    new Audience(b.stack, 'feb-30', { where: event('Login').between('1997-01-01', '1997-02-30') });
    new Audience(b.stack, 'feb-30-at-ten', { where: event('Login').between('1997-01-01', '1997-02-30T10:00:00Z') });
    new Audience(b.stack, 'month-13', { where: b.accounts.where(col('opened_at').lte('1997-13-45')) });
    new Audience(b.stack, 'hour-24', { where: trait('created_at').after('1997-02-28T24:00:00') });
    new Audience(b.stack, 'leap-day', { where: event('Login').between('1996-02-29', '2000-02-29') });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/feb-30', 'condition.window.to: "1997-02-30" is not a valid date: February 1997 has 28 days');
    expectProblem(msg, 'bank/feb-30-at-ten', 'condition.window.to: "1997-02-30T10:00:00Z" is not a valid date: February 1997 has 28 days');
    expectProblem(msg, 'bank/month-13', 'condition.where.value.literal: "1997-13-45" is not a valid date: months run from 01 to 12 (for operator "lte")');
    expectProblem(msg, 'bank/hour-24', 'condition.value: "1997-02-28T24:00:00" is not a valid time: hours run from 00 to 23 (for operator "after_date")');
    // Leap days exist (1900 was no leap year, 2000 was).
    expect(msg).not.toContain('[bank/leap-day]');
  });

  it('a plain string where a secret reference is required, without echoing the value', () => {
    const b = bankStack();
    const canary = 'sk-live-canary-7f3a9';
    Destination.braze(b.stack, 'braze', { apiKey: canary as never, appId: 'app', endpoint: 'https://rest.iad-01.braze.com' });
    Destination.segment(b.stack, 'segment', { writeKey: secret('not a var name') });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/braze', "settings.apiKey: a secret reference is required, not a plain string: use secret('ENV_VAR_NAME') and set the value in the environment");
    expectProblem(msg, 'bank/segment', 'settings.writeKey.secret: must be an environment variable name');
    expect(msg).not.toContain(canary);
  });

  it('a stack without a Data Graph, and an event condition without an events source', () => {
    const outdir = tempDir();
    const app = new App({ outdir });
    const empty = new LinkedAudiencesStack(app, 'empty', { warehouse: Warehouse.duckdb({ path: 'x.duckdb' }) });
    new ClassicAudience(empty, 'vip', { table: 'vip', profileIdColumn: 'id' });
    const noEvents = new LinkedAudiencesStack(app, 'no-events', { warehouse: Warehouse.duckdb({ path: 'y.duckdb' }) });
    new DataGraph(noEvents, 'graph', { profile: { table: 'p', id: 'id' } });
    new Audience(noEvents, 'logins', { where: event('Login') });
    const msg = synthError(app);
    // cdktn stops at the first invalid stack; check each on its own.
    expect(empty.node.validate()).toEqual(['A LinkedAudiencesStack needs one DataGraph']);
    expect(noEvents.node.findChild('logins').node.validate()).toEqual([
      'The Data Graph declares no events source, so the event condition on "Login" cannot be computed (at condition) Declare the events table in the Data Graph: events: { table, profileKey, name, timestamp, properties }.',
    ]);
    expect(msg).toContain('[empty] A LinkedAudiencesStack needs one DataGraph');
  });

  it('a Snowflake account written as its URL or host is refused at synth: the driver would build a host that does not exist', () => {
    const outdir = tempDir();
    const app = new App({ outdir });
    const props = { username: 'LINKED', database: 'ANALYTICS', warehouse: 'COMPUTE_WH', role: 'LINKED_ROLE', auth: SnowflakeAuth.password(secret('SF_PASSWORD')) };
    const url = new LinkedAudiencesStack(app, 'url', { warehouse: Warehouse.snowflake({ ...props, account: 'https://myorg-myaccount.snowflakecomputing.com' }) });
    const host = new LinkedAudiencesStack(app, 'host', { warehouse: Warehouse.snowflake({ ...props, account: 'myorg-myaccount.snowflakecomputing.com' }) });
    const locator = new LinkedAudiencesStack(app, 'locator', { warehouse: Warehouse.snowflake({ ...props, account: 'xy12345.eu-west-1' }) });
    for (const stack of [url, host, locator]) new DataGraph(stack, 'graph', { profile: { table: 'PROFILES', id: 'ID' } });
    const expected =
      "warehouse.account: must be the account identifier (myorg-myaccount, or a locator with its region such as xy12345.eu-west-1), not a URL or host: drop 'https://' and '.snowflakecomputing.com'; a private link or proxy goes in accessUrl";
    expect(url.node.validate()).toEqual([expected]);
    expect(host.node.validate()).toEqual([expected]);
    expect(locator.node.validate()).toEqual([]);
    expect(synthError(app)).toContain(`[url] ${expected}`);
  });

  it('a Snowflake accessUrl holding a credential is refused at synth: it would be stored and shown in clear', () => {
    const app = new App({ outdir: tempDir() });
    const props = { account: 'myorg-myaccount', username: 'LINKED', database: 'ANALYTICS', warehouse: 'COMPUTE_WH', role: 'LINKED_ROLE', auth: SnowflakeAuth.password(secret('SF_PASSWORD')) };
    const stacks = ['https://svc:pr0xy-s3cr3t@proxy.example.test', 'https://proxy.example.test/?access_token=pr0xy-s3cr3t', 'https://myorg-myaccount.privatelink.snowflakecomputing.com'].map(
      (accessUrl, i) => new LinkedAudiencesStack(app, `s${i}`, { warehouse: Warehouse.snowflake({ ...props, accessUrl }) }),
    );
    for (const stack of stacks) new DataGraph(stack, 'graph', { profile: { table: 'PROFILES', id: 'ID' } });
    const expected = 'warehouse.accessUrl: accessUrl holds a credential (user:password@ or a token query parameter), which would be stored and shown in clear: remove it; the login is auth, given as secret("ENV_VAR")';
    expect(stacks.map((s) => s.node.validate())).toEqual([[expected], [expected], []]);
    expect(JSON.stringify(stacks.map((s) => s.node.validate()))).not.toContain('pr0xy-s3cr3t');
  });

  it('a construct outside a LinkedAudiencesStack is refused at once, naming its path', () => {
    const app = new App({ outdir: tempDir() });
    expect(() => new Audience(app, 'loose', { where: trait('plan').exists() })).toThrow('loose: linked-audiences constructs must be created inside a LinkedAudiencesStack');
  });

  it('an app synthesized twice writes the same resources', () => {
    const b = bankStack();
    new Audience(b.stack, 'ok', { where: trait('plan').exists() });
    b.app.synth();
    const first = readFileSync(join(b.outdir, 'stacks', 'bank', 'cdk.tf.json'), 'utf8');
    b.app.synth();
    expect(readFileSync(join(b.outdir, 'stacks', 'bank', 'cdk.tf.json'), 'utf8')).toBe(first);
  });

  it('a valid stack has no problems and toDesired() returns its model', () => {
    const b = bankStack();
    new Audience(b.stack, 'ok', { where: b.accounts.where(b.cards.where(col('balance').gt(0))) });
    expect(b.stack.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
    expect(b.stack.toDesired().audiences.map((a) => a.key)).toEqual(['ok']);
    expect(synthError(b.app)).toBe('');
  });
});

describe('mistakes a newcomer makes, each refused at synth with its fix', () => {
  it('a construct id in aws-cdk style (PascalCase) as the key', () => {
    const b = bankStack();
    new Audience(b.stack, 'OverdueCards', { where: trait('plan').exists() });
    new Audience(b.stack, 'Cards', { key: 'cards', where: trait('plan').exists() });
    new Audience(b.stack, '2024 Savers', { where: trait('plan').exists() });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/OverdueCards', 'key: must be lowercase letters, digits, "-" or "_", starting with a letter (max 63). The key defaults to the construct id "OverdueCards": pass key: \'overdue-cards\', or make the id a slug');
    expect(msg).toContain('[bank/2024 Savers] key: must be lowercase letters, digits, "-" or "_", starting with a letter (max 63). The key defaults to the construct id "2024 Savers": pass key: \'savers\', or make the id a slug');
    expect(msg).not.toContain('[bank/Cards]');
  });

  it('a webhook URL without its scheme', () => {
    const b = bankStack();
    Destination.webhook(b.stack, 'local', { url: 'localhost:8787/in' });
    Destination.webhook(b.stack, 'ftp', { url: 'ftp://files.example.test/in' });
    Destination.webhook(b.stack, 'plain', { url: 'http://localhost:8787/in' });
    const msg = synthError(b.app);
    expectProblem(msg, 'bank/local', 'settings.url: the URL\'s scheme is "localhost:": events are sent over HTTP, so write it with http:// or https://');
    expectProblem(msg, 'bank/ftp', 'settings.url: the URL\'s scheme is "ftp:"');
    expect(msg).not.toContain('[bank/plain]');
  });
});

describe('credentials as plain text are refused at synth', () => {
  it('a literal Authorization header, a token header and credentials in the URL, each naming the fix', () => {
    const b = bankStack();
    Destination.webhook(b.stack, 'literal-auth', { key: 'literal-auth', url: 'https://hooks.example.test/in', headers: { Authorization: 'Bearer s3cr3t', 'X-Static': 'ok' } });
    Destination.webhook(b.stack, 'literal-token', { key: 'literal-token', url: 'https://hooks.example.test/in', headers: { 'X-Service-Token': 'abc' } });
    Destination.webhook(b.stack, 'userinfo', { key: 'userinfo', url: 'https://ann:pw@hooks.example.test/in' });
    Destination.webhook(b.stack, 'query-key', { key: 'query-key', url: 'https://hooks.example.test/in?api_key=abc&x=1' });
    Destination.webhook(b.stack, 'by-reference', { key: 'by-reference', url: 'https://hooks.example.test/in?x=1', headers: { Authorization: secret('HOOK_TOKEN') } });
    const msg = synthError(b.app);
    expect(msg).toContain('header "Authorization" holds a credential as plain text: give it as secret("ENV_VAR")');
    expect(msg).toContain('header "X-Service-Token" holds a credential as plain text');
    expect(msg).toContain('the URL holds a user name or password');
    expect(msg).toContain('query parameter "api_key" holds a credential');
    expect(msg).not.toContain('[bank/by-reference]');
    // The refused value never reaches the message.
    expect(msg).not.toContain('s3cr3t');
  });

  it('a credential query parameter under any usual name, in a webhook URL or a vendor endpoint', () => {
    const b = bankStack();
    const names = ['auth_token', 'apiToken', 'X-Amz-Signature', 'private_token', 'sessionKey', 'client-secret', 'accessKey', 'api-key', 'PASSWORD', 'sig', 'code'];
    for (const [i, name] of names.entries()) {
      Destination.webhook(b.stack, `q${i}`, { key: `q${i}`, url: `https://hooks.example.test/in?x=1&${name}=q-s3cr3t` });
    }
    Destination.braze(b.stack, 'braze-q', { key: 'braze-q', apiKey: secret('BRAZE_KEY'), appId: 'app', endpoint: 'https://rest.example.test/?auth_token=q-s3cr3t' });
    // Ordinary parameters stay: a key of the data, a monkey, an author.
    Destination.webhook(b.stack, 'plain-q', { key: 'plain-q', url: 'https://hooks.example.test/in?keyword=x&monkey=1&author=ann&source=linked' });
    const msg = synthError(b.app);
    for (const [i, name] of names.entries()) expectProblem(msg, `bank/q${i}`, `settings.url: the URL's query parameter "${name}" holds a credential`);
    expectProblem(msg, 'bank/braze-q', 'settings.endpoint: the URL\'s query parameter "auth_token" holds a credential');
    expect(msg).not.toContain('[bank/plain-q]');
  });

  it('a credential header under any usual name', () => {
    const b = bankStack();
    const names = ['X-Hub-Signature', 'X-Client-Key', 'X-Auth', 'X-Access-Key', 'X-Credentials', 'X-Private-Key', 'Passwd'];
    for (const [i, name] of names.entries()) Destination.webhook(b.stack, `h${i}`, { key: `h${i}`, url: 'https://hooks.example.test/in', headers: { [name]: 'h-s3cr3t' } });
    Destination.webhook(b.stack, 'plain-h', { key: 'plain-h', url: 'https://hooks.example.test/in', headers: { 'X-Team': 'growth', 'X-Author': 'ann', 'Content-Type': 'application/json' } });
    const msg = synthError(b.app);
    for (const [i, name] of names.entries()) expectProblem(msg, `bank/h${i}`, `settings.headers.${name}: header "${name}" holds a credential as plain text`);
    expect(msg).not.toContain('[bank/plain-h]');
    expect(msg).not.toContain('h-s3cr3t');
    // The refused value never reaches the message.
    expect(msg).not.toContain('s3cr3t');
  });
});
