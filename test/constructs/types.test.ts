import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  Audience,
  AudienceTest,
  ClassicAudience,
  Destination,
  EventEmitter,
  Trigger,
  all,
  notPartOf,
  partOf,
  col,
  event,
  prop,
  trait,
  type BrazeProps,
  type CustomerIoProps,
  type DestinationCommonProps,
  type DuckDbProps,
  type EnrichmentProps,
  type IterableProps,
  type ProfileProps,
  type SegmentProps,
  type SnowflakeProps,
  type WebhookProps,
} from '../../constructs/index.js';
import type { BrazeSettings, CustomerIoSettings, IterableSettings, SegmentSettings, WebhookSettings } from '../../src/model/destination.js';
import type { Enrichment } from '../../src/model/emitter.js';
import type { Profile } from '../../src/model/graph.js';
import type { DuckDbWarehouse, SnowflakeWarehouse } from '../../src/model/warehouse.js';
import { bankStack, cleanup } from './helpers.js';

afterEach(cleanup);

/*
 * The builder's types decide where a condition may go. `npm test` type-checks this file: each
 * @ts-expect-error line must be a compile error, or the type check fails.
 */
describe('condition builder types', () => {
  it('accepts conditions at their level and refuses them elsewhere', () => {
    const b = bankStack();
    const ok = [
      b.accounts.where(col('type').equals('credit'), b.cards.where(col('balance').lt(col('credit_limit'))).atLeast(1)),
      b.accounts.where(b.cards.where(b.transactions.where(col('amount').gt(b.cards.col('credit_limit'))))),
      all(trait('credit_score').gte(trait('credit_limit')), event('Payment Made').where(prop('amount').gt(trait('credit_limit')))),
    ];
    const linked = b.accounts.where(b.cards.where(b.offers.where(b.offers.junction('role').equals('primary'), col('offer_id').exists())));
    expect(linked.toModel()).toMatchObject({ where: { where: { where: { kind: 'and', conditions: [{ kind: 'column', column: 'role', junction: true }, { kind: 'column', column: 'offer_id' }] } } } });
    // @ts-expect-error a junction column filters only its own relationship's rows
    b.accounts.where(b.cards.where(b.offers.junction('role').equals('primary')));
    expect([b.offers.columns('name'), b.offers.junctionColumns('role', 'linked_at')]).toEqual([
      { relationship: 'offers', columns: ['name'], handle: b.offers },
      { relationship: 'offers', columns: [], junctionColumns: ['role', 'linked_at'], handle: b.offers },
    ]);
    // @ts-expect-error only a many-to-many relationship has junction columns to enrich with
    void b.cards.junctionColumns;
    // @ts-expect-error at least one junction column
    b.offers.junctionColumns();
    // @ts-expect-error cards is not a relationship of the profile
    new Audience(b.stack, 'skips', { where: b.cards.where(col('balance').gt(0)) });
    // @ts-expect-error transactions hang from cards, not accounts
    b.accounts.where(b.transactions.atLeast(1));
    // @ts-expect-error a column filter is not a profile-level condition
    new Audience(b.stack, 'column', { where: col('balance').gt(0) });
    // @ts-expect-error a trait condition does not go inside an entity filter
    b.accounts.where(trait('plan').equals('premium'));
    // @ts-expect-error a column operand needs an entity row
    trait('credit_score').gt(col('credit_limit'));
    // @ts-expect-error an event property filter compares with literals and traits only
    prop('amount').gt(b.cards.col('credit_limit'));
    // Declared, never called: only their types matter.
    const wrongKinds = () => {
      const audience = new Audience(b.stack, 'a', { where: trait('plan').exists() });
      const vip = new ClassicAudience(b.stack, 'vip', { table: 'main.vip', profileIdColumn: 'user_id' });
      const hook = Destination.webhook(b.stack, 'hook', { url: 'https://example.com' });
      new EventEmitter(b.stack, 'ok', { audience, destination: hook, trigger: Trigger.audienceEntered() });
      new EventEmitter(b.stack, 'by-key', { audience: 'a', destination: 'hook', trigger: Trigger.audienceEntered() });
      new Audience(b.stack, 'both', { where: all(partOf(audience), notPartOf(vip)) });
      // @ts-expect-error a destination is not an audience to be part of
      partOf(hook);
      // @ts-expect-error the audience and the destination swapped
      new EventEmitter(b.stack, 'swapped', { audience: hook, destination: audience, trigger: Trigger.audienceEntered() });
      // @ts-expect-error an emitter sends a linked audience's changes, not a classic audience's
      new EventEmitter(b.stack, 'classic', { audience: vip, destination: hook, trigger: Trigger.audienceEntered() });
      // @ts-expect-error an audience test tests an audience
      new AudienceTest(b.stack, 'test', { audience: hook, expect: { members: [] } });
    };
    void wrongKinds;
    const plainSecret = () =>
      // @ts-expect-error secrets are references: a plain string does not type-check
      Destination.segment(b.stack, 's', { writeKey: 'plain' });
    void plainSecret;
    expect(ok.map((c) => c.toModel().kind)).toEqual(['entity', 'entity', 'and']);
  });
});

describe('names the Data Graph declares', () => {
  it('are checked by the compiler where the graph is at hand', () => {
    const b = bankStack();
    expect(all(b.graph.trait('plan').equals('premium'), b.graph.trait('user_id').exists()).toModel()).toEqual(all(trait('plan').equals('premium'), trait('user_id').exists()).toModel());
    expect(b.cards.columns('balance', 'card_id')).toEqual({ relationship: 'cards', columns: ['balance', 'card_id'], handle: b.cards });
    // Declared, never called: only their types matter.
    const misspelt = () => {
      // @ts-expect-error a trait the profile does not declare
      b.graph.trait('plann');
      // @ts-expect-error a profile relationship joins on a declared identifier (email is a trait here)
      b.graph.profile.relate('loans', b.entities.account, { identifier: 'email', column: 'user_id' });
      // @ts-expect-error nor on an undeclared trait
      b.graph.profile.relate('loans', b.entities.account, { trait: 'emial', column: 'user_id' });
      // @ts-expect-error enrichment names the entity's declared columns
      b.cards.columns('balanse');
      // @ts-expect-error so does an ancestor's column as an operand
      b.cards.where(b.transactions.where(col('amount').gt(b.cards.col('credit_limt'))));
    };
    void misspelt;
    // An entity that declares no columns may name any column of its table.
    expect(b.offers.columns('anything')).toEqual({ relationship: 'offers', columns: ['anything'], handle: b.offers });
  });
});

/*
 * The props interfaces are written out to document each optional prop's default; these lines
 * keep them equal to the model's input shapes, both ways.
 */
describe('props follow the model', () => {
  type Settings<P> = Omit<P, keyof DestinationCommonProps>;
  it('warehouse props are the warehouse configuration without its type', () => {
    expectTypeOf<DuckDbProps>().toExtend<Omit<z.input<typeof DuckDbWarehouse>, 'type'>>();
    expectTypeOf<Omit<z.input<typeof DuckDbWarehouse>, 'type'>>().toExtend<DuckDbProps>();
    expectTypeOf<SnowflakeProps>().toExtend<Omit<z.input<typeof SnowflakeWarehouse>, 'type'>>();
    expectTypeOf<Omit<z.input<typeof SnowflakeWarehouse>, 'type'>>().toExtend<SnowflakeProps>();
  });
  it('profile and enrichment props are the model\'s', () => {
    expectTypeOf<ProfileProps>().toExtend<z.input<typeof Profile>>();
    expectTypeOf<z.input<typeof Profile>>().toExtend<ProfileProps>();
    expectTypeOf<EnrichmentProps>().toExtend<z.input<typeof Enrichment>>();
    expectTypeOf<z.input<typeof Enrichment>>().toExtend<EnrichmentProps>();
  });
  it('destination props are the common props and the type\'s settings', () => {
    expectTypeOf<Settings<WebhookProps>>().toExtend<z.input<typeof WebhookSettings>>();
    expectTypeOf<z.input<typeof WebhookSettings>>().toExtend<Settings<WebhookProps>>();
    expectTypeOf<Settings<BrazeProps>>().toExtend<z.input<typeof BrazeSettings>>();
    expectTypeOf<z.input<typeof BrazeSettings>>().toExtend<Settings<BrazeProps>>();
    expectTypeOf<Settings<IterableProps>>().toExtend<z.input<typeof IterableSettings>>();
    expectTypeOf<z.input<typeof IterableSettings>>().toExtend<Settings<IterableProps>>();
    expectTypeOf<Settings<CustomerIoProps>>().toExtend<z.input<typeof CustomerIoSettings>>();
    expectTypeOf<z.input<typeof CustomerIoSettings>>().toExtend<Settings<CustomerIoProps>>();
    expectTypeOf<Settings<SegmentProps>>().toExtend<z.input<typeof SegmentSettings>>();
    expectTypeOf<z.input<typeof SegmentSettings>>().toExtend<Settings<SegmentProps>>();
  });
});

/*
 * aws-cdk's convention: every prop says what it is, and an optional one what it defaults to
 * (`@default`), so an editor's hover answers both.
 */
describe('props documentation', () => {
  it('every prop of an exported props interface has a doc comment, and every optional one a @default', () => {
    const dir = join(import.meta.dirname, '..', '..', 'constructs');
    const missing: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = ts.createSourceFile(file, readFileSync(join(dir, file), 'utf8'), ts.ScriptTarget.Latest, true);
      for (const node of source.statements) {
        if (!ts.isInterfaceDeclaration(node) || !/(Props|Expectation)$/.test(node.name.text)) continue;
        if (!node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
        for (const member of node.members) {
          if (!ts.isPropertySignature(member)) continue;
          const name = `${file}: ${node.name.text}.${member.name.getText(source)}`;
          const docs = ts.getJSDocCommentsAndTags(member);
          if (docs.length === 0) missing.push(`${name}: no doc comment`);
          else if (member.questionToken && !ts.getJSDocTags(member).some((t) => t.tagName.text === 'default')) missing.push(`${name}: optional without @default`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
