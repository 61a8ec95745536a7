import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, DataGraph, LinkedAudiencesStack, Warehouse, type Relationship, type ProfileScope } from '../../constructs/index.js';
import { loadDesired } from '../../src/manifest/index.js';
import type { Desired } from '../../src/model/desired.js';

const dirs: string[] = [];

/** A fresh output directory under the OS temp dir; removed by `cleanup()`. */
export function tempDir(prefix = 'la-constructs-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function cleanup(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * A small bank-shaped stack: profile -> accounts -> cards -> transactions, offers through a
 * junction, with declared columns so that column checks apply. In a new app, or in `opts.app`
 * beside its other stacks.
 */
export function bankStack(id = 'bank', opts: { maxDepth?: number; app?: App } = {}) {
  const app = opts.app ?? new App({ outdir: tempDir() });
  const outdir = app.outdir;
  const stack = new LinkedAudiencesStack(app, id, { warehouse: Warehouse.duckdb({ path: 'bank.duckdb' }) });
  const graph = new DataGraph(stack, 'graph', {
    maxDepth: opts.maxDepth,
    profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan', 'country', 'credit_score', 'credit_limit', 'created_at'], identifiers: ['user_id'] },
    events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp: 'ts', properties: 'properties' },
  });
  const account = graph.entity('account', { table: 'main.accounts', primaryKey: 'account_id', columns: ['user_id', 'type', 'balance'] });
  const card = graph.entity('credit_card', {
    table: 'main.credit_cards',
    primaryKey: 'card_id',
    columns: ['account_id', 'balance', 'credit_limit', 'due_date', 'tier'],
  });
  const transaction = graph.entity('transaction', { table: 'main.transactions', primaryKey: 'transaction_id', columns: ['card_id', 'amount', 'category', 'ts'] });
  const offer = graph.entity('offer', { table: 'main.offers', primaryKey: 'offer_id' });
  const accounts: Relationship<'accounts', ProfileScope> = graph.profile.relate('accounts', account, { identifier: 'user_id', column: 'user_id' });
  const cards = accounts.relate('cards', card, { on: ['account_id', 'account_id'] });
  const transactions = cards.relate('transactions', transaction, { on: ['card_id', 'card_id'] });
  const offers = cards.relateThrough('offers', offer, {
    junction: { table: 'main.card_offers', primaryKey: 'card_offer_id', columns: ['role', 'linked_at'] },
    parent: ['card_id', 'card_id'],
    entity: ['offer_id', 'offer_id'],
  });
  return { app, stack, graph, outdir, entities: { account, card, transaction, offer }, accounts, cards, transactions, offers };
}

/** Synthesizes the app and loads its (only) stack back through the manifest loader. */
export async function synthAndLoad(app: App, outdir: string): Promise<Desired> {
  app.synth();
  return loadDesired(outdir);
}

/** The message cdktn throws on synth, or '' when it synthesizes. */
export function synthError(app: App): string {
  try {
    app.synth();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}
