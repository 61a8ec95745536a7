import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteStateTable } from '../../src/dialect/identifiers.js';
import { STATE_TABLES, stateTables, type StateTableKey } from '../../src/state/tables.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';
import type { Warehouse } from '../../src/warehouse/types.js';

export const SCHEMA = 'LINKED_AUDIENCES';

/** The state tables' quoted names, for the tests' own statements. */
export function computeTables(wh: Warehouse, schema = SCHEMA): Record<StateTableKey, string> {
  const t = stateTables(schema);
  return Object.fromEntries(STATE_TABLES.map((k) => [k, quoteStateTable(wh.dialect, t[k])])) as Record<StateTableKey, string>;
}

/** A fresh DuckDB file in its own temp dir, with the state schema migrated. */
export async function freshWarehouse(): Promise<{ wh: Warehouse; path: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'linked-compute-'));
  const path = join(dir, 'warehouse.duckdb');
  const wh = await openMigratedDuckDb(path, SCHEMA);
  return { wh, path, dir };
}

export interface OutboxRow {
  id: number;
  audience_key: string;
  run_id: string;
  kind: string;
  profile_id: string;
  entity_path: string | null;
  entity_id: string | null;
  baseline: boolean;
}

export async function outboxRows(wh: Warehouse, where = '1 = 1', params: unknown[] = []): Promise<OutboxRow[]> {
  const t = computeTables(wh, SCHEMA);
  return (await wh.query<OutboxRow>(`SELECT * FROM ${t.outbox} WHERE ${where} ORDER BY id`, params)).rows;
}

/**
 * The invariant of DESIGN D6: replaying the outbox in id order gives exactly the snapshot,
 * for membership and for entity matches. Returns the differences (empty when in step).
 */
export async function replayMismatches(wh: Warehouse): Promise<string[]> {
  const t = computeTables(wh, SCHEMA);
  const members = new Set<string>();
  const entities = new Set<string>();
  const problems: string[] = [];
  for (const r of await outboxRows(wh)) {
    const m = `${r.audience_key}|${r.profile_id}`;
    const e = `${r.audience_key}|${r.entity_path}|${r.profile_id}|${r.entity_id}`;
    if (r.kind === 'entered') (members.has(m) ? problems.push(`entered twice ${m}`) : members.add(m));
    if (r.kind === 'exited') (members.delete(m) ? null : problems.push(`exited while out ${m}`));
    if (r.kind === 'entity_added') (entities.has(e) ? problems.push(`added twice ${e}`) : entities.add(e));
    if (r.kind === 'entity_removed') (entities.delete(e) ? null : problems.push(`removed while absent ${e}`));
  }
  const snapM = new Set((await wh.query<{ k: string }>(`SELECT audience_key || '|' || profile_id AS k FROM ${t.membership}`)).rows.map((r) => r.k));
  const snapE = new Set(
    (await wh.query<{ k: string }>(`SELECT audience_key || '|' || entity_path || '|' || profile_id || '|' || entity_id AS k FROM ${t.entity_matches}`)).rows.map(
      (r) => r.k,
    ),
  );
  for (const k of members) if (!snapM.has(k)) problems.push(`replayed member missing from snapshot ${k}`);
  for (const k of snapM) if (!members.has(k)) problems.push(`snapshot member not in replay ${k}`);
  for (const k of entities) if (!snapE.has(k)) problems.push(`replayed entity missing from snapshot ${k}`);
  for (const k of snapE) if (!entities.has(k)) problems.push(`snapshot entity not in replay ${k}`);
  const ids = (await outboxRows(wh)).map((r) => r.id);
  for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1]! + 1) problems.push(`outbox id gap ${ids[i - 1]} -> ${ids[i]}`);
  return problems;
}
