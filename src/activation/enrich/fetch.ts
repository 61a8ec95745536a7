import type { Select } from '../../dialect/ast.js';
import { systemName } from '../../dialect/dialect.js';
import type { DataGraph } from '../../model/graph.js';
import type { SourceRow } from '../../state/delivery/types.js';
import { execute } from '../../warehouse/execute.js';
import type { Row, Warehouse } from '../../warehouse/types.js';
import { valuesKeys, type PageKeys } from './keys.js';
import type { EnrichmentPlan, OtherEntity } from './plan.js';
import { chainColumn, chainLinkColumn, ENTITY_ID, EnrichmentQueries, ID, otherColumn, otherLinkColumn, type MatchedEntity } from './queries.js';
import { SharedTraitReads } from './shared-traits.js';

/** Enrichment of one page of rows, keyed for lookup while building events. */
export interface EnrichmentData {
  traits: Map<string, Record<string, unknown>>;
  /** Key `profileId \0 entityId`: one record per chain level, profile side first. */
  chains: Map<string, Record<string, unknown>[]>;
  /** Per relationship: anchor id (profile id or trigger entity id) -> rows. */
  others: Map<string, Map<string, Record<string, unknown>[]>>;
  /**
   * Key `profileId \0 entityId`: every junction row linking the trigger entity to the profile's
   * rows of its parent, in the order of the junction's key (when the emitter selects junction columns).
   */
  links: Map<string, Record<string, unknown>[]>;
}

/** Where a record (a chain level, an entity row) keeps the junction row it was reached through. */
export const LINK = '__junction';

export const chainKey = (profileId: string, entityId: string) => `${profileId}\u0000${entityId}`;

export const emptyEnrichment = (): EnrichmentData => ({ traits: new Map(), chains: new Map(), others: new Map(), links: new Map() });

/** Reads an output column of ours: the warehouse spells it as an unquoted name resolves. */
type ColumnName = (name: string) => string;

/**
 * Fetches the enrichment of one page of rows, set-based: one query for the profile traits (shared
 * with other pages waiting for it at the same time, through `traitReads`), one for the trigger
 * chains, one per other relationship, whatever the number of rows (never one query per event).
 */
export async function fetchEnrichment(
  wh: Warehouse,
  graph: DataGraph,
  plan: EnrichmentPlan,
  rows: readonly SourceRow[],
  keys: PageKeys = valuesKeys(rows),
  matched?: MatchedEntity,
  traitReads: SharedTraitReads = new SharedTraitReads(),
): Promise<EnrichmentData> {
  const out = emptyEnrichment();
  if (rows.length === 0) return out;
  const queries = new EnrichmentQueries(wh.dialect, graph, plan, keys, matched);
  const name: ColumnName = (n) => systemName(wh.dialect, n);
  const fetch = async (query: Select): Promise<Row[]> => (await execute(wh, query)).rows;
  const hasEntities = rows.some((r) => r.entityId !== null);

  // Every query is asked for before any answer is used: they queue together on the connection,
  // instead of each waiting for the JavaScript that the answers to the others set off (on a
  // shared connection, the events of every page that shared the trait read).
  const traits = plan.traits.length > 0 ? traitReads.read(wh, plan, keys, rows) : undefined;
  const chain = plan.chain && hasEntities ? fetch(queries.chain()) : undefined;
  const others = plan.others
    .filter((other) => other.anchor !== 'chain' && (other.anchor !== 'trigger' || hasEntities))
    .map((other) => ({ other, rows: fetch(queries.other(other)) }));
  // Failures surface from the awaits below, in order; none is unhandled meanwhile.
  for (const p of [traits, chain, ...others.map((o) => o.rows)]) p?.catch(() => undefined);
  if (traits) out.traits = await traits;
  if (chain) ({ chains: out.chains, links: out.links } = chainsByKey(plan, await chain, name));
  for (const { other, rows: found } of others) out.others.set(other.relationship, rowsByAnchor(other, await found, name));
  return out;
}

function chainsByKey(plan: EnrichmentPlan, found: Row[], name: ColumnName): Pick<EnrichmentData, 'chains' | 'links'> {
  const chain = plan.chain!;
  const [id, entityId] = [name(ID), name(ENTITY_ID)];
  const columns = chain.map((level, i) => level.columns.map((_, j) => name(chainColumn(i, j))));
  const linkColumns = chain.map((level, i) => level.junction?.columns.map((_, j) => name(chainLinkColumn(i, j))));
  const link = (r: Row, i: number) => Object.fromEntries(chain[i].junction!.columns.map((c, j) => [c, r[linkColumns[i]![j]] ?? null]));
  const chains: EnrichmentData['chains'] = new Map();
  const trigger = chain.length - 1;
  const links = new Map<string, Map<string, Record<string, unknown>>>();
  for (const r of found) {
    const key = chainKey(String(r[id]), String(r[entityId]));
    // One trigger entity may hang from several parent rows (a product on several orders): each link counts once.
    if (chain[trigger].junction) {
      const l = link(r, trigger);
      const byKey = links.get(key) ?? links.set(key, new Map()).get(key)!;
      byKey.set(JSON.stringify(chain[trigger].junction!.key.map((c) => String(l[c]))), l);
    }
    // Many-to-many paths may reach one entity along several chains: the first one is kept.
    if (chains.has(key)) continue;
    chains.set(
      key,
      chain.map((level, i) => {
        const record: Record<string, unknown> = Object.fromEntries(level.columns.map((c, j) => [c, r[columns[i][j]] ?? null]));
        if (level.junction) record[LINK] = link(r, i);
        return record;
      }),
    );
  }
  const sorted = new Map([...links].map(([key, byKey]) => [key, [...byKey.values()].sort(byLinkKey(chain[trigger].junction?.key ?? []))]));
  return { chains, links: sorted };
}

/** Orders links by the junction's key, numbers as numbers: the same list on every send. */
function byLinkKey(key: readonly string[]): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  return (a, b) => {
    for (const c of key) {
      const [x, y] = [a[c], b[c]];
      const d = typeof x === 'number' && typeof y === 'number' ? x - y : typeof x === 'bigint' && typeof y === 'bigint' ? Number(x - y) : String(x).localeCompare(String(y));
      if (d !== 0) return d;
    }
    return 0;
  };
}

function rowsByAnchor(other: OtherEntity, found: Row[], name: ColumnName): Map<string, Record<string, unknown>[]> {
  const id = name(ID);
  const columns = other.columns.map((_, j) => name(otherColumn(j)));
  const linkColumns = other.junction?.columns.map((_, j) => name(otherLinkColumn(j)));
  const out = new Map<string, Record<string, unknown>[]>();
  for (const r of found) {
    const anchor = String(r[id]);
    const item: Record<string, unknown> = Object.fromEntries(other.columns.map((c, j) => [c, r[columns[j]] ?? null]));
    // Each row came through one junction row: the item carries that link.
    if (linkColumns) item[LINK] = Object.fromEntries(other.junction!.columns.map((c, j) => [c, r[linkColumns[j]] ?? null]));
    const list = out.get(anchor);
    if (list) list.push(item);
    else out.set(anchor, [item]);
  }
  return out;
}
