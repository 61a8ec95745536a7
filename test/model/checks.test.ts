import { describe, expect, it } from 'vitest';
import { checkDesired } from '../../src/model/checks.js';
import { cronProblem } from '../../src/model/checks/audience.js';
import { linkedAudiencesUsed, positiveEntityPaths } from '../../src/model/condition-walk.js';
import { Desired } from '../../src/model/desired.js';
import type { Condition } from '../../src/model/condition.js';

/** A valid bank-shaped model; tests change one thing and look at what checkDesired says. */
function bank(overrides: Record<string, unknown> = {}): Desired {
  return Desired.parse({
    stack: 'bank',
    warehouse: { type: 'duckdb', path: 'bank.duckdb' },
    graph: {
      profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan'], identifiers: ['user_id'] },
      events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'properties' },
      entities: [
        { slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'account_id', columns: ['type', 'balance'] },
        { slug: 'credit_card', name: 'Card', table: 'main.credit_cards', primaryKey: 'card_id', columns: ['balance', 'credit_limit'] },
      ],
      relationships: [
        { slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_id', entityColumn: 'user_id' } },
        { slug: 'cards', name: 'Cards', entity: 'credit_card', parent: 'accounts', join: { type: 'entity', parentColumn: 'account_id', entityColumn: 'account_id' } },
      ],
    },
    audiences: [{ key: 'a', name: 'A', condition: cardsOver(1000) }],
    destinations: [{ key: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:1/x' } }],
    ...overrides,
  });
}

function cardsOver(n: number): Condition {
  return {
    kind: 'entity',
    relationship: 'accounts',
    count: { op: 'at_least', value: 1 },
    where: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: n } } },
  };
}

const codes = (d: Desired) => checkDesired(d).map((x) => `${x.code} ${x.resource} ${x.attribute ?? ''}`.trim());

describe('checkDesired', () => {
  it('finds nothing wrong with a valid model', () => {
    expect(checkDesired(bank())).toEqual([]);
  });

  it('reports graph structure problems with the seed words and the attribute', () => {
    const d = bank();
    d.graph.relationships.push(
      { slug: 'loans', name: 'Loans', entity: 'loan', parent: 'accounts', join: { type: 'entity', parentColumn: 'a', entityColumn: 'b' } },
      { slug: 'x', name: 'X', entity: 'account', parent: 'nope', join: { type: 'entity', parentColumn: 'a', entityColumn: 'b' } },
      { slug: 'y', name: 'Y', entity: 'account', parent: null, join: { type: 'entity', parentColumn: 'a', entityColumn: 'b' } },
      { slug: 'z', name: 'Z', entity: 'account', parent: null, join: { type: 'profile', via: 'trait', profileColumn: 'phone', entityColumn: 'phone' } },
    );
    const ds = checkDesired(d);
    expect(ds).toContainEqual({
      severity: 'error',
      code: 'ENTITY_MISSING',
      message: 'Entity missing from Data Graph: loan',
      resource: 'data_graph.graph',
      attribute: 'relationships[2].entity',
      hint: "Declare it among the graph's entities (graph.entity('loan', { table, primaryKey })).",
    });
    expect(ds).toContainEqual(expect.objectContaining({ code: 'RELATIONSHIP_MISSING', message: 'Entity relationship not in Data Graph for relationship: nope', attribute: 'relationships[3].parent' }));
    expect(ds).toContainEqual(expect.objectContaining({ code: 'JOIN_INVALID', attribute: 'relationships[4].join' }));
    // The guide's words alone in the message; what is missing, and the fix, in the hint.
    expect(ds).toContainEqual({
      severity: 'error',
      code: 'JOIN_KEY_MISSING',
      message: 'Join key missing from Data Graph for relation: z',
      resource: 'data_graph.graph',
      attribute: 'relationships[5].join.profileColumn',
      hint: 'The profile declares no trait phone: add it to profile.traits.',
    });
  });

  it('reports a cycle of parents in the graph', () => {
    const d = bank();
    d.graph.relationships[0] = { ...d.graph.relationships[0], parent: 'cards', join: { type: 'entity', parentColumn: 'a', entityColumn: 'b' } };
    expect(codes(d)).toContain('RELATIONSHIP_CYCLE data_graph.graph relationships[0].parent');
  });

  it('checks operands: traits must be declared, relationship operands must be on the branch and in the graph', () => {
    const accountsWhereBalanceLt = (key: string, value: object) => ({
      key,
      name: key,
      condition: { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'lt', value } },
    });
    const d = bank({
      audiences: [
        { key: 'a', name: 'A', condition: { kind: 'trait', trait: 'score', operator: 'gt', value: { trait: 'limit' } } },
        accountsWhereBalanceLt('b', { relationship: 'cards', column: 'credit_limit' }),
        accountsWhereBalanceLt('c', { relationship: 'acounts', column: 'balance' }),
      ],
    });
    expect(codes(d)).toEqual([
      'TRAIT_MISSING audience.a condition.trait',
      'TRAIT_MISSING audience.a condition.value.trait',
      'RELATIONSHIP_NOT_CHILD audience.b condition.where.value.relationship',
      'RELATIONSHIP_MISSING audience.c condition.where.value.relationship',
    ]);
    // A slug the graph lacks is the guide's "for relationship" row, not a relationship hanging elsewhere.
    expect(checkDesired(d).find((x) => x.resource === 'audience.c')).toMatchObject({
      message: 'Entity relationship not in Data Graph for relationship: acounts',
      hint: 'Did you mean "accounts"?',
    });
  });

  it('accepts the primary key and every column when an entity lists none', () => {
    const d = bank();
    d.graph.entities[1].columns = undefined;
    d.audiences[0].condition = cardsOver(1);
    const withPk = bank();
    (withPk.audiences[0].condition as { where: { where: { column: string } } }).where.where.column = 'card_id';
    expect(checkDesired(d)).toEqual([]);
    expect(checkDesired(withPk)).toEqual([]);
  });

  it('checks event windows and the events source', () => {
    const between: Condition = { kind: 'event', name: 'Login', where: [], count: { op: 'at_least', value: 1 }, window: { type: 'between', from: '2026-02-01', to: '2026-01-01' } };
    expect(codes(bank({ audiences: [{ key: 'a', name: 'A', condition: between }] }))).toEqual(['WINDOW_INVALID audience.a condition.window']);
    const d = bank({ audiences: [{ key: 'a', name: 'A', condition: between }] });
    d.graph.events = undefined;
    expect(codes(d)).toContain('EVENTS_MISSING audience.a condition');
  });

  it('emitters: entity path shape, trigger kinds, enrichment', () => {
    const base = { audience: 'a', destination: 'hook' };
    const d = bank({
      emitters: [
        { ...base, key: 'no-path', trigger: 'entity_added' },
        { ...base, key: 'extra-path', trigger: 'audience_entered', entityPath: ['accounts'] },
        { ...base, key: 'broken-path', trigger: 'entity_added', entityPath: ['cards'] },
        { ...base, key: 'ok', trigger: 'entity_added', entityPath: ['accounts', 'cards'], enrich: { traits: ['email'], entities: [{ relationship: 'cards', columns: ['balance'] }] } },
        { ...base, key: 'bad-enrich', trigger: 'audience_entered', enrich: { traits: ['phone'], entities: [{ relationship: 'cards', columns: ['due'] }, { relationship: 'loans', columns: ['x'] }] } },
      ],
    });
    expect(codes(d)).toEqual([
      'ENTITY_PATH_MISSING event_emitter.no-path entityPath',
      'ENTITY_PATH_UNEXPECTED event_emitter.extra-path entityPath',
      'RELATIONSHIP_NOT_CHILD event_emitter.broken-path entityPath[0]',
      'TRAIT_MISSING event_emitter.bad-enrich enrich.traits[0]',
      'COLUMN_MISSING event_emitter.bad-enrich enrich.entities[0].columns[0]',
      'RELATIONSHIP_MISSING event_emitter.bad-enrich enrich.entities[1].relationship',
    ]);
  });
});

describe('positiveEntityPaths', () => {
  const e = (relationship: string, count: [string, number], where?: unknown) => ({ kind: 'entity', relationship, count: { op: count[0], value: count[1] }, ...(where ? { where } : {}) }) as Condition;

  it('collects nested paths under and/or, not under not or a zero count', () => {
    const c: Condition = {
      kind: 'or',
      conditions: [
        e('accounts', ['at_least', 1], e('cards', ['at_most', 2])),
        { kind: 'not', condition: e('loans', ['at_least', 1]) },
        e('savings', ['exactly', 0], e('deposits', ['at_least', 1])),
        e('branches', ['at_most', 0]),
        e('visits', ['exactly', 2], { kind: 'not', condition: e('pages', ['at_least', 1]) }),
      ],
    };
    expect([...positiveEntityPaths(c)].sort()).toEqual(['accounts', 'accounts.cards', 'visits']);
  });
});

describe('helpers', () => {
  it('linkedAudiencesUsed lists linked audiences only, negated ones included', () => {
    const c: Condition = {
      kind: 'and',
      conditions: [
        { kind: 'audience', audience: 'x', source: 'linked', negate: true },
        { kind: 'not', condition: { kind: 'audience', audience: 'y', source: 'linked', negate: false } },
        { kind: 'audience', audience: 'vip', source: 'classic', negate: false },
      ],
    };
    expect(linkedAudiencesUsed(c)).toEqual(['x', 'y']);
  });

  it('cronProblem accepts five-field expressions only', () => {
    expect(cronProblem('0 6 * * *')).toBeUndefined();
    expect(cronProblem('*/15 * * * 1-5')).toBeUndefined();
    expect(cronProblem('0 6 * *')).toMatch(/^Invalid cron expression "0 6 \* \*"/);
    expect(cronProblem('0 0 6 * * *')).toMatch(/expected five fields/);
    expect(cronProblem('61 6 * * *')).toBe('Invalid cron expression "61 6 * * *": minute 61 is out of range (0-59)');
    expect(cronProblem('0 24 * * *')).toMatch(/: hour 24 is out of range \(0-23\)$/);
    expect(cronProblem('0 6 0 * *')).toMatch(/: day-of-month 0 is out of range \(1-31\)$/);
    expect(cronProblem('*/15 * * * *')).toBeUndefined();
    expect(cronProblem('0 6 * * MON-FRI')).toBeUndefined();
    expect(cronProblem('0 6 * * 1-5')).toBeUndefined();
    expect(cronProblem('0 6 * * x')).toMatch(/not a five-field cron expression/);
  });

  it('a duplicated audience key is reported once, not also as a membership cycle', () => {
    const partOf: Condition = { kind: 'audience', audience: 'engaged', source: 'linked', negate: false } as Condition;
    const d = bank({ audiences: [{ key: 'engaged', name: 'A', condition: cardsOver(1) }, { key: 'engaged', name: 'B', condition: partOf }] });
    const found = codes(d);
    expect(found.some((c) => c.startsWith('DUPLICATE'))).toBe(true);
    expect(found.filter((c) => c.startsWith('AUDIENCE_CYCLE'))).toEqual([]);
  });

  it('event property filters compare with literals only', () => {
    const c: Condition = {
      kind: 'event',
      name: 'Order Placed',
      count: { op: 'at_least', value: 1 },
      where: [{ property: 'freight', operator: 'gt', value: { trait: 'plan' } }],
    } as Condition;
    const d = bank({ audiences: [{ key: 'a', name: 'A', condition: c }] });
    expect(checkDesired(d)).toContainEqual(
      expect.objectContaining({
        code: 'PROPERTY_OPERAND',
        message: 'Event property filter on "freight" must compare with a literal value, not a trait or entity column.',
        resource: 'audience.a',
        attribute: 'condition.where[0].value',
      }),
    );
  });
});

describe('"did you mean" hints beside the seed messages', () => {
  it('suggests the close trait, column, relationship, audience and destination, and nothing for a far one', () => {
    const d = bank({
      audiences: [
        { key: 'a', name: 'A', condition: { kind: 'trait', trait: 'plna', operator: 'equals', value: { literal: 'x' } } },
        { key: 'b', name: 'B', condition: { kind: 'entity', relationship: 'acounts', count: { op: 'at_least', value: 1 } } },
        {
          key: 'c',
          name: 'C',
          condition: { kind: 'and', conditions: [{ kind: 'audience', source: 'linked', audience: 'bb' }, { kind: 'trait', trait: 'zzzzzz', operator: 'exists' }] },
        },
        {
          key: 'e',
          name: 'E',
          condition: { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balanse', operator: 'gt', value: { literal: 1 } } },
        },
      ],
      emitters: [{ key: 'em', audience: 'a', destination: 'hok', trigger: 'audience_entered' }],
    });
    const hints = Object.fromEntries(checkDesired(d).map((x) => [`${x.code} ${x.resource}`, x.hint]));
    expect(hints).toMatchObject({
      'TRAIT_MISSING audience.a': 'Did you mean "plan"?',
      'RELATIONSHIP_MISSING audience.b': 'Did you mean "accounts"?',
      'UNKNOWN_AUDIENCE audience.c': 'Did you mean "b"?',
      'TRAIT_MISSING audience.c': undefined,
      'COLUMN_MISSING audience.e': 'Did you mean "balance"?',
      'UNKNOWN_DESTINATION event_emitter.em': 'Did you mean "hook"?',
    });
    // The message itself keeps the product guide's words.
    expect(checkDesired(d).find((x) => x.code === 'TRAIT_MISSING')?.message).toBe('Trait missing from Data Graph profile: plna');
  });

  it('suggests the close trait wherever a trait is named, and the close join key, or what to declare', () => {
    const d = bank({
      audiences: [
        { key: 'a', name: 'A', condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { trait: 'emial' } } },
        { key: 'b', name: 'B', condition: { kind: 'event', name: 'Login', where: [], count: { op: 'at_least', value: 1 } } },
      ],
      emitters: [{ key: 'em', audience: 'a', destination: 'hook', trigger: 'audience_entered', enrich: { traits: ['pln'] } }],
    });
    d.graph.events = undefined;
    d.graph.relationships.push(
      { slug: 'x', name: 'X', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_di', entityColumn: 'user_id' } },
      { slug: 'y', name: 'Y', entity: 'account', parent: null, join: { type: 'profile', via: 'trait', profileColumn: 'phone', entityColumn: 'phone' } },
    );
    const found = checkDesired(d).map((x) => [`${x.code} ${x.resource} ${x.attribute}`, x.hint]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['TRAIT_MISSING audience.a condition.value.trait', 'Did you mean "email"?'],
        ['TRAIT_MISSING event_emitter.em enrich.traits[0]', 'Did you mean "plan"?'],
        ['JOIN_KEY_MISSING data_graph.graph relationships[2].join.profileColumn', 'The profile declares no identifier user_di: add it to profile.identifiers. Did you mean "user_id"?'],
        ['JOIN_KEY_MISSING data_graph.graph relationships[3].join.profileColumn', 'The profile declares no trait phone: add it to profile.traits.'],
        ['EVENTS_MISSING audience.b condition', 'Declare the events table in the Data Graph: events: { table, profileKey, name, timestamp, properties }.'],
      ]),
    );
  });
});

describe('filters on junction columns', () => {
  const withOffers = (filter: Record<string, unknown>, onCards = false) => {
    const d = bank();
    const graph = {
      ...d.graph,
      entities: [...d.graph.entities, { slug: 'offer', name: 'Offer', table: 'main.offers', primaryKey: 'offer_id' }],
      relationships: [
        ...d.graph.relationships,
        {
          slug: 'offers',
          name: 'Offers',
          entity: 'offer',
          parent: 'cards',
          join: { type: 'junction', table: 'main.card_offers', primaryKey: 'id', parentColumn: 'card_id', junctionParentColumn: 'card_id', junctionEntityColumn: 'offer_id', entityColumn: 'offer_id', columns: ['role', 'linked_at'] },
        },
      ],
    };
    const leaf = onCards
      ? { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 }, where: filter }
      : { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 }, where: { kind: 'entity', relationship: 'offers', count: { op: 'at_least', value: 1 }, where: filter } };
    return bank({ graph, audiences: [{ key: 'a', name: 'A', condition: { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: leaf } }] });
  };

  it('accepts a declared junction column and the junction keys', () => {
    expect(checkDesired(withOffers({ kind: 'column', column: 'role', junction: true, operator: 'equals', value: { literal: 'primary' } }))).toEqual([]);
    expect(checkDesired(withOffers({ kind: 'column', column: 'card_id', junction: true, operator: 'exists' }))).toEqual([]);
  });

  it('refuses a column the junction does not expose, with the close one as a hint', () => {
    const [d] = checkDesired(withOffers({ kind: 'column', column: 'rol', junction: true, operator: 'equals', value: { literal: 'primary' } }));
    expect(d).toMatchObject({
      code: 'JUNCTION_COLUMN_MISSING',
      resource: 'audience.a',
      attribute: 'condition.where.where.where.column',
      hint: 'Did you mean "role"?',
    });
    expect(d!.message).toBe('Junction column missing from Data Graph for relationship offers and Column: rol (junction table main.card_offers exposes id, card_id, offer_id, role, linked_at)');
  });

  it('refuses a junction column on a relationship without a junction', () => {
    const [d] = checkDesired(withOffers({ kind: 'column', column: 'balance', junction: true, operator: 'gt', value: { literal: 1 } }, true));
    expect(d).toMatchObject({ code: 'JUNCTION_MISSING', resource: 'audience.a', attribute: 'condition.where.where.junction' });
    expect(d!.message).toContain('relationship cards, which has no junction table');
    expect(d!.message).toContain("col('balance')");
  });
});
