import type { Expr } from '../../dialect/ast.js';
import type { OutboxReader } from '../../state/delivery/outbox-reader.js';
import type { SourceRow } from '../../state/delivery/types.js';
import type { Warehouse } from '../../warehouse/types.js';
import type { EventEmitter } from '../../model/emitter.js';
import type { DataGraph } from '../../model/graph.js';
import { fetchEnrichment, type EnrichmentData } from './fetch.js';
import { valuesKeys, type PageKeys } from './keys.js';
import type { EnrichmentPlan } from './plan.js';
import type { SharedTraitReads } from './shared-traits.js';

/** What the events of one page are built from. */
export interface PageEnrichment {
  data: EnrichmentData;
  /** Current audience membership of the profiles of entity_removed rows (the audience-key property). */
  members: Set<string>;
}

/** The enrichment of a page of an emitter's rows, in a few set-based queries. */
export async function enrichPage(
  wh: Warehouse,
  reader: OutboxReader,
  r: { emitter: EventEmitter; graph: DataGraph; plan: EnrichmentPlan },
  rows: readonly SourceRow[],
  keys: PageKeys = valuesKeys(rows),
  traitReads?: SharedTraitReads,
): Promise<PageEnrichment> {
  // Entity arrays carry the rows that matched the audience, not every related row (as Segment's do).
  const matched = (path: string, entityId: Expr, profileId?: Expr) => reader.matchedEntity(r.emitter.audience, path, entityId, profileId);
  const data = await fetchEnrichment(wh, r.graph, r.plan, rows, keys, matched, traitReads);
  const members = rows.some((row) => row.kind === 'entity_removed') ? await reader.membersAmong(r.emitter.audience, keys) : new Set<string>();
  return { data, members };
}
