import { systemName } from '../../dialect/dialect.js';
import type { DataGraph } from '../../model/graph.js';
import type { SourceRow } from '../../state/delivery/types.js';
import { execute } from '../../warehouse/execute.js';
import type { Row, Warehouse } from '../../warehouse/types.js';
import { StatementBatch } from '../../warehouse/statement-batch.js';
import { tableKey } from '../../graph/catalog.js';
import type { PageKeys } from './keys.js';
import type { EnrichmentPlan } from './plan.js';
import { ID, traitColumn, traitsQuery } from './queries.js';

/** Per profile id of a page: its traits, as the page's emitter selects them. */
export type TraitsByProfile = Map<string, Record<string, unknown>>;

interface Request {
  traits: readonly string[];
  keys: PageKeys;
  profileIds: readonly string[];
}

/**
 * Profile-trait reads shared by the pages waiting for them at the same time. Each read of traits
 * scans the user's whole profile table, however few profiles the page holds (a warehouse table
 * has no index to seek with), so the pages of several emitters (or several pages of one) that are
 * waiting together are served by one read of the union of their keys and traits, and each gets
 * its own profiles' traits back: one batch per profile table (and way of comparing its id), sent
 * when the warehouse is free for it (warehouse/statement-batch.ts). One emitter's bad trait must
 * not fail the others: a shared read that fails is made again for each page apart.
 */
export class SharedTraitReads {
  private readonly batches = new Map<string, StatementBatch<Request, TraitsByProfile>>();

  /** Reads sent, and the page requests they served (for the daemon's numbers and the tests). */
  get reads(): number {
    return [...this.batches.values()].reduce((n, b) => n + b.sent, 0);
  }
  get requests(): number {
    return [...this.batches.values()].reduce((n, b) => n + b.served, 0);
  }

  /** The traits `plan` selects of `rows`' profiles (the rows `keys` selects), from a read shared with the pages waiting now. */
  read(wh: Warehouse, plan: Pick<EnrichmentPlan, 'profile' | 'traits' | 'textKeys'>, keys: PageKeys, rows: readonly SourceRow[]): Promise<TraitsByProfile> {
    const { profile, textKeys } = plan;
    const idIsText = textKeys.includes(tableKey(profile.table, profile.id));
    const batchKey = `${profile.table}\u0000${profile.id}\u0000${idIsText}`;
    let batch = this.batches.get(batchKey);
    if (!batch) {
      batch = new StatementBatch((w, requests) => readTraits(w, profile, textKeys, [...new Set(requests.flatMap((r) => r.traits))], requests.map((r) => r.keys), requests));
      this.batches.set(batchKey, batch);
    }
    return batch.request(wh, { traits: plan.traits, keys, profileIds: [...new Set(rows.map((r) => r.profileId))] });
  }
}

/** One read of `traits` for the profiles of `keys`; per request, its profiles with its own traits. */
async function readTraits(
  wh: Warehouse,
  profile: DataGraph['profile'],
  textKeys: readonly string[],
  traits: readonly string[],
  keys: readonly PageKeys[],
  requests: readonly Pick<Request, 'traits' | 'profileIds'>[],
): Promise<TraitsByProfile[]> {
  const found = (await execute(wh, traitsQuery(profile, traits, keys, textKeys))).rows;
  const id = systemName(wh.dialect, ID);
  const byId = new Map<string, Row>();
  for (const row of found) byId.set(String(row[id]), row);
  const columnOf = new Map(traits.map((t, i) => [t, systemName(wh.dialect, traitColumn(i))]));
  return requests.map((r) => {
    const columns = r.traits.map((t) => columnOf.get(t)!);
    const out: TraitsByProfile = new Map();
    for (const profileId of r.profileIds) {
      const row = byId.get(profileId);
      if (!row) continue;
      // One record per profile, built directly: no entry arrays per profile as Object.fromEntries needs.
      const record: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) record[r.traits[i]] = row[columns[i]] ?? null;
      out.set(profileId, record);
    }
    return out;
  });
}
