import type { Select } from '../../dialect/ast.js';
import { systemName } from '../../dialect/dialect.js';
import type { DataGraph } from '../../model/graph.js';
import type { SourceRow } from '../../state/delivery/types.js';
import { execute } from '../../warehouse/execute.js';
import type { Row, Warehouse } from '../../warehouse/types.js';
import { valuesKeys, type PageKeys } from './keys.js';
import type { EnrichmentPlan, OtherEntity } from './plan.js';
import { chainColumn, ENTITY_ID, EnrichmentQueries, ID, otherColumn, traitColumn, type MatchedEntity } from './queries.js';

/** Enrichment of one page of rows, keyed for lookup while building events. */
export interface EnrichmentData {
  traits: Map<string, Record<string, unknown>>;
  /** Key `profileId \0 entityId`: one record per chain level, profile side first. */
  chains: Map<string, Record<string, unknown>[]>;
  /** Per relationship: anchor id (profile id or trigger entity id) -> rows. */
  others: Map<string, Map<string, Record<string, unknown>[]>>;
}

export const chainKey = (profileId: string, entityId: string) => `${profileId}\u0000${entityId}`;

export const emptyEnrichment = (): EnrichmentData => ({ traits: new Map(), chains: new Map(), others: new Map() });

/** Reads an output column of ours: the warehouse spells it as an unquoted name resolves. */
type ColumnName = (name: string) => string;

/**
 * Fetches the enrichment of one page of rows, set-based: one query for the profile traits, one for
 * the trigger chains, one per other relationship, whatever the number of rows (never one query
 * per event).
 */
export async function fetchEnrichment(
  wh: Warehouse,
  graph: DataGraph,
  plan: EnrichmentPlan,
  rows: readonly SourceRow[],
  keys: PageKeys = valuesKeys(rows),
  matched?: MatchedEntity,
): Promise<EnrichmentData> {
  const out = emptyEnrichment();
  if (rows.length === 0) return out;
  const queries = new EnrichmentQueries(wh.dialect, graph, plan, keys, matched);
  const name: ColumnName = (n) => systemName(wh.dialect, n);
  const fetch = async (query: Select): Promise<Row[]> => (await execute(wh, query)).rows;
  const hasEntities = rows.some((r) => r.entityId !== null);

  if (plan.traits.length > 0) out.traits = traitsByProfile(plan, await fetch(queries.traits()), name);
  if (plan.chain && hasEntities) out.chains = chainsByKey(plan, await fetch(queries.chain()), name);
  for (const other of plan.others) {
    if (other.anchor === 'chain' || (other.anchor === 'trigger' && !hasEntities)) continue;
    out.others.set(other.relationship, rowsByAnchor(other, await fetch(queries.other(other)), name));
  }
  return out;
}

function traitsByProfile(plan: EnrichmentPlan, found: Row[], name: ColumnName): EnrichmentData['traits'] {
  const id = name(ID);
  const columns = plan.traits.map((_, i) => name(traitColumn(i)));
  const out: EnrichmentData['traits'] = new Map();
  for (const r of found) {
    // One record per profile, built directly: no entry arrays per profile as Object.fromEntries needs.
    const record: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) record[plan.traits[i]] = r[columns[i]] ?? null;
    out.set(String(r[id]), record);
  }
  return out;
}

function chainsByKey(plan: EnrichmentPlan, found: Row[], name: ColumnName): EnrichmentData['chains'] {
  const chain = plan.chain!;
  const [id, entityId] = [name(ID), name(ENTITY_ID)];
  const columns = chain.map((level, i) => level.columns.map((_, j) => name(chainColumn(i, j))));
  const out: EnrichmentData['chains'] = new Map();
  for (const r of found) {
    const key = chainKey(String(r[id]), String(r[entityId]));
    // Many-to-many paths may reach one entity along several chains: the first one is kept.
    if (out.has(key)) continue;
    out.set(
      key,
      chain.map((level, i) => Object.fromEntries(level.columns.map((c, j) => [c, r[columns[i][j]] ?? null]))),
    );
  }
  return out;
}

function rowsByAnchor(other: OtherEntity, found: Row[], name: ColumnName): Map<string, Record<string, unknown>[]> {
  const id = name(ID);
  const columns = other.columns.map((_, j) => name(otherColumn(j)));
  const out = new Map<string, Record<string, unknown>[]>();
  for (const r of found) {
    const anchor = String(r[id]);
    const item = Object.fromEntries(other.columns.map((c, j) => [c, r[columns[j]] ?? null]));
    const list = out.get(anchor);
    if (list) list.push(item);
    else out.set(anchor, [item]);
  }
  return out;
}
