import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Audience } from '../../src/model/audience.js';
import { Destination } from '../../src/model/destination.js';
import { EventEmitter } from '../../src/model/emitter.js';
import { DataGraph } from '../../src/model/graph.js';
import type { ResourceKind } from '../../src/model/desired.js';
import { migrateState } from '../../src/state/migrate.js';
import { writeResource } from '../../src/state/apply/resources.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

export const SCHEMA = 'LINKED_AUDIENCES';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'linked-activation-'));
}

/** A small bank: profiles -> accounts -> cards, ids as text. */
export const GRAPH = DataGraph.parse({
  profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'first_name', 'plan'], identifiers: ['email', 'user_id'] },
  entities: [
    { slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'account_id' },
    { slug: 'credit_card', name: 'Credit card', table: 'main.credit_cards', primaryKey: 'card_id' },
  ],
  relationships: [
    { slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'identifier', profileColumn: 'user_id', entityColumn: 'user_id' } },
    { slug: 'cards', name: 'Cards', entity: 'credit_card', parent: 'accounts', join: { type: 'entity', parentColumn: 'account_id', entityColumn: 'account_id' } },
  ],
});

export const AUDIENCE = Audience.parse({
  key: 'overdue-cards',
  name: 'Overdue cards',
  enabled: true,
  condition: {
    kind: 'entity',
    relationship: 'accounts',
    count: { op: 'at_least', value: 1 },
    where: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 }, where: { kind: 'column', column: 'balance', operator: 'gt', value: { literal: 1000 } } },
  },
});

/** A warehouse with the state schema migrated: in memory, or a new file at `path`. */
export async function openState(path = ':memory:'): Promise<Warehouse> {
  if (path !== ':memory:' && !existsSync(path)) return openMigratedDuckDb(path, SCHEMA);
  const wh = await openDuckDb(path);
  await migrateState(wh, SCHEMA);
  return wh;
}

/** `n` profiles u1..un with one account a<i> and one card c<i> each. */
export async function seedBank(wh: Warehouse, n: number): Promise<void> {
  await wh.query(`CREATE TABLE IF NOT EXISTS main.profiles (user_id VARCHAR, email VARCHAR, first_name VARCHAR, plan VARCHAR)`);
  await wh.query(`CREATE TABLE IF NOT EXISTS main.accounts (account_id VARCHAR, user_id VARCHAR, type VARCHAR)`);
  await wh.query(`CREATE TABLE IF NOT EXISTS main.credit_cards (card_id VARCHAR, account_id VARCHAR, balance DOUBLE, due_date DATE)`);
  await wh.query(
    `INSERT INTO main.profiles SELECT 'u' || i, 'u' || i || '@example.com', 'Name' || i, 'premium' FROM range(1, ? + 1) t(i)`,
    [n],
  );
  await wh.query(`INSERT INTO main.accounts SELECT 'a' || i, 'u' || i, 'credit' FROM range(1, ? + 1) t(i)`, [n]);
  await wh.query(`INSERT INTO main.credit_cards SELECT 'c' || i, 'a' || i, 1000 + i, DATE '2026-12-01' FROM range(1, ? + 1) t(i)`, [n]);
}

let applyCount = 0;
/** Applies resources through the state writer, as apply does. */
export async function applyResources(
  wh: Warehouse,
  resources: { graph?: unknown; audiences?: unknown[]; destinations?: unknown[]; emitters?: unknown[] },
  appliedAt = new Date(),
): Promise<void> {
  const ctx = { applyId: `apply-${++applyCount}`, appliedAt, appliedBy: 'test', commitSha: null, stack: 'bank' };
  const write = (kind: ResourceKind, key: string, spec: unknown) => writeResource(wh, SCHEMA, kind, key, spec, ctx, true);
  if (resources.graph) await write('data_graph', 'graph', DataGraph.parse(resources.graph));
  for (const a of resources.audiences ?? []) {
    const p = Audience.parse(a);
    await write('audience', p.key, p);
  }
  for (const d of resources.destinations ?? []) {
    const p = Destination.parse(d);
    await write('destination', p.key, p);
  }
  for (const e of resources.emitters ?? []) {
    const p = EventEmitter.parse(e);
    await write('event_emitter', p.key, p);
  }
}

export interface OutboxInput {
  kind: 'entered' | 'exited' | 'entity_added' | 'entity_removed';
  profileId: string;
  entityPath?: string;
  entityId?: string;
  baseline?: boolean;
  audienceKey?: string;
  createdAt?: Date;
}

/** Inserts outbox rows as compute would (ids continuing the sequence); returns their ids. */
export async function insertOutbox(wh: Warehouse, rows: OutboxInput[], runId = 'run-1'): Promise<number[]> {
  const { rows: m } = await wh.query(`SELECT COALESCE(MAX(id), 0) AS m FROM "${SCHEMA}"."outbox"`);
  // The one column, whatever case the dialect gives its name (Snowflake: M).
  let id = Number(Object.values(m[0]!)[0]);
  const ids: number[] = [];
  const chunk = 500;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const values: unknown[] = [];
    for (const r of part) {
      id += 1;
      ids.push(id);
      values.push(id, r.audienceKey ?? 'overdue-cards', runId, r.kind, r.profileId, r.entityPath ?? null, r.entityId ?? null, r.baseline ?? false, (r.createdAt ?? new Date()).toISOString());
    }
    await wh.query(
      `INSERT INTO "${SCHEMA}"."outbox" (id, audience_key, run_id, kind, profile_id, entity_path, entity_id, baseline, created_at)
       VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP))').join(', ')}`,
      values,
    );
  }
  return ids;
}

/** Inserts outbox rows with a set-based INSERT (for large volumes): entered rows for u1..un. */
export async function insertEnteredRange(wh: Warehouse, n: number, audienceKey = 'overdue-cards', at = new Date()): Promise<void> {
  const { rows: m } = await wh.query<{ m: unknown }>(`SELECT COALESCE(MAX(id), 0) AS m FROM "${SCHEMA}"."outbox"`);
  await wh.query(
    `INSERT INTO "${SCHEMA}"."outbox" (id, audience_key, run_id, kind, profile_id, entity_path, entity_id, baseline, created_at)
     SELECT ? + i, ?, 'run-1', 'entered', 'u' || i, NULL, NULL, FALSE, CAST(? AS TIMESTAMP) FROM range(1, ? + 1) t(i)`,
    [Number(m[0].m), audienceKey, at.toISOString(), n],
  );
}

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  raw: string;
}

export interface TestServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (port 0); `respond` decides each answer (default 200 {}). */
export async function startServer(
  respond: (req: Recorded, n: number, res: http.ServerResponse) => void | Promise<void> = (_r, _n, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  },
): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* not JSON */
      }
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, raw };
      const n = requests.push(rec);
      void respond(rec, n, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
