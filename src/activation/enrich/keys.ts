import { cast, param, select, sysCol, valuesTable, type Select } from '../../dialect/ast.js';
import type { SourceRow } from '../../state/delivery/types.js';

/**
 * The keys of a page's rows: a query with text columns `profile_id` and `entity_id`. Delivery
 * reads them where the rows live (the outbox range, from the outbox reader), so enrichment joins
 * to them instead of shipping long IN lists; rows built in memory (previews, test events) bind them.
 */
export type PageKeys = Select;

/** The keys of rows built in memory, as bound VALUES, each pair once. */
export function valuesKeys(rows: readonly SourceRow[]): PageKeys {
  const pairs = [...new Map(rows.map((r) => [`${r.profileId}\u0000${r.entityId ?? ''}`, r])).values()];
  return select(
    { profile_id: cast(sysCol('v', 'profile_id'), 'VARCHAR'), entity_id: cast(sysCol('v', 'entity_id'), 'VARCHAR') },
    { from: valuesTable(pairs.map((r) => [param(r.profileId), param(r.entityId)]), 'v', ['profile_id', 'entity_id']) },
  );
}
