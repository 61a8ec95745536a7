import type { DataGraph } from '../../src/model/graph.js';
import type { Row, World } from './world.js';

/**
 * A small hand-built world for focused tests: four profiles whose values are chosen to sit on the
 * edges (NULLs, equal values, window boundaries), accounts (one-to-many), cards (one-to-many under
 * accounts), offers (many-to-many through a junction) and events with JSON properties.
 * `now` is 2026-11-28 12:00:00 UTC.
 */
export const NOW = new Date('2026-11-28T12:00:00Z');

export function smallWorld(names: { schema?: string; profiles?: string; name?: string } = {}): World {
  const s = names.schema ?? 'main';
  const profiles = `${s}.${names.profiles ?? 'profiles'}`;
  const name = names.name ?? 'name';
  const profileRows: Row[] = [
    { id: 'p1', [name]: 'Alice', score: 10, amount: 1.5, vip: true, born: '2000-01-01', seen: '2026-11-27 12:00:00', other: 'Alice' },
    { id: 'p2', [name]: "O'Brien; --", score: 20, amount: null, vip: false, born: null, seen: '2026-11-28 13:00:00', other: 'x' },
    { id: 'p3', [name]: null, score: null, amount: 3, vip: null, born: '1990-05-05', seen: null, other: null },
    // Seen exactly 30 days before now: on the boundary of "within the last 30 days".
    { id: 'p4', [name]: 'alice', score: 10, amount: 2.5, vip: true, born: '2000-01-01', seen: '2026-10-29 12:00:00', other: 'alice' },
  ];
  const graph: DataGraph = {
    key: 'graph',
    maxDepth: 4,
    preventDestroy: false,
    profile: { table: profiles, id: 'id', traits: [name, 'score', 'amount', 'vip', 'born', 'seen', 'other'], identifiers: [] },
    events: { table: `${s}.events`, profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'props' },
    entities: [
      { slug: 'account', name: 'Account', table: `${s}.accounts`, primaryKey: 'account_id' },
      { slug: 'card', name: 'Card', table: `${s}.cards`, primaryKey: 'card_id' },
      { slug: 'offer', name: 'Offer', table: `${s}.offers`, primaryKey: 'offer_id' },
    ],
    relationships: [
      { slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'id', entityColumn: 'user_id' } },
      { slug: 'cards', name: 'Cards', entity: 'card', parent: 'accounts', join: { type: 'entity', parentColumn: 'account_id', entityColumn: 'account_id' } },
      {
        slug: 'offers',
        name: 'Offers',
        entity: 'offer',
        parent: 'cards',
        join: {
          type: 'junction',
          table: `${s}.card_offers`,
          primaryKey: 'id',
          parentColumn: 'card_id',
          junctionParentColumn: 'card_id',
          junctionEntityColumn: 'offer_id',
          entityColumn: 'offer_id',
        },
      },
    ],
  };
  return {
    graph,
    now: NOW,
    classicAudiences: [{ key: 'vips', name: '', table: `${s}.vips`, profileIdColumn: 'uid', preventDestroy: false }],
    linked: {},
    tables: [
      {
        ref: profiles,
        columns: [
          { name: 'id', type: 'VARCHAR' },
          { name, type: 'VARCHAR' },
          { name: 'score', type: 'INTEGER' },
          { name: 'amount', type: 'DOUBLE' },
          { name: 'vip', type: 'BOOLEAN' },
          { name: 'born', type: 'DATE' },
          { name: 'seen', type: 'TIMESTAMP' },
          { name: 'other', type: 'VARCHAR' },
        ],
        rows: profileRows,
      },
      {
        ref: `${s}.accounts`,
        columns: [
          { name: 'account_id', type: 'VARCHAR' },
          { name: 'user_id', type: 'VARCHAR' },
          { name: 'balance', type: 'DOUBLE' },
          { name: 'limit', type: 'DOUBLE' },
        ],
        rows: [
          { account_id: 'a1', user_id: 'p1', balance: 100, limit: 50 },
          { account_id: 'a2', user_id: 'p1', balance: 5, limit: 50 },
          { account_id: 'a3', user_id: 'p1', balance: null, limit: 50 },
          { account_id: 'a4', user_id: 'p2', balance: 100, limit: 500 },
          { account_id: 'a5', user_id: null, balance: 100, limit: 500 },
        ],
      },
      {
        ref: `${s}.cards`,
        columns: [
          { name: 'card_id', type: 'VARCHAR' },
          { name: 'account_id', type: 'VARCHAR' },
          { name: 'spent', type: 'DOUBLE' },
        ],
        rows: [
          { card_id: 'c1', account_id: 'a1', spent: 70 },
          { card_id: 'c2', account_id: 'a1', spent: 10 },
          { card_id: 'c3', account_id: 'a4', spent: 600 },
        ],
      },
      {
        ref: `${s}.offers`,
        columns: [
          { name: 'offer_id', type: 'VARCHAR' },
          { name: 'category', type: 'VARCHAR' },
        ],
        rows: [
          { offer_id: 'o1', category: 'travel' },
          { offer_id: 'o2', category: 'dining' },
        ],
      },
      {
        ref: `${s}.card_offers`,
        columns: [
          { name: 'id', type: 'VARCHAR' },
          { name: 'card_id', type: 'VARCHAR' },
          { name: 'offer_id', type: 'VARCHAR' },
        ],
        rows: [
          { id: 'x1', card_id: 'c1', offer_id: 'o1' },
          { id: 'x2', card_id: 'c1', offer_id: 'o2' },
          { id: 'x3', card_id: 'c3', offer_id: 'o2' },
        ],
      },
      {
        ref: `${s}.events`,
        columns: [
          { name: 'user_id', type: 'VARCHAR' },
          { name: 'event', type: 'VARCHAR' },
          { name: 'ts', type: 'TIMESTAMP' },
          { name: 'props', type: 'JSON' },
        ],
        rows: [
          { user_id: 'p1', event: 'Payment Made', ts: '2026-11-20 10:00:00', props: '{"amount": 9, "method": "ach", "card": {"tier": "gold"}}' },
          { user_id: 'p1', event: 'Payment Made', ts: '2026-11-21 10:00:00', props: '{"amount": 10, "method": "card"}' },
          { user_id: 'p2', event: 'Payment Made', ts: '2026-09-01 10:00:00', props: '{"amount": 100, "method": "ach"}' },
          { user_id: 'p2', event: 'Login', ts: '2026-11-28 11:59:00', props: '{"device": "ios", "amount": "12"}' },
          { user_id: 'p3', event: 'Login', ts: '2026-10-29 12:00:00', props: null },
        ],
      },
      { ref: `${s}.vips`, columns: [{ name: 'uid', type: 'VARCHAR' }], rows: [{ uid: 'p2' }, { uid: null }, { uid: 'nobody' }] },
    ],
  };
}
