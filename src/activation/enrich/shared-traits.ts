import { systemName } from '../../dialect/dialect.js';
import type { DataGraph } from '../../model/graph.js';
import type { SourceRow } from '../../state/delivery/types.js';
import { execute } from '../../warehouse/execute.js';
import type { Row, Warehouse } from '../../warehouse/types.js';
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
  resolve: (traits: TraitsByProfile) => void;
  reject: (e: unknown) => void;
}

/** The requests one read serves: every page waiting for the traits of one profile table. */
interface Batch {
  profile: DataGraph['profile'];
  /** The id columns its requests' plans say are text (whether the profile id is among them is part of the batch's key). */
  textKeys: readonly string[];
  requests: Request[];
}

/**
 * Profile-trait reads shared by the pages waiting for them at the same time. Each read of traits
 * scans the user's whole profile table, however few profiles the page holds (a warehouse table
 * has no index to seek with), so the pages of several emitters (or several pages of one) that are
 * waiting together are served by one read of the union of their keys and traits, and each gets
 * its own profiles' traits back. A request joins the batch of its table that has not been sent
 * yet; the batch is sent when the warehouse is free for it (`whenFree`: on the daemon's shared
 * DuckDB file, behind the statements queued before it), or at once where statements do not queue.
 * One emitter's bad trait must not fail the others: a shared read that fails is retried apart.
 */
export class SharedTraitReads {
  private readonly open = new Map<string, Batch>();
  /** Reads sent, and the page requests they served (for the daemon's numbers and the tests). */
  reads = 0;
  requests = 0;

  /** The traits `plan` selects of `rows`' profiles (the rows `keys` selects), from a read shared with the pages waiting now. */
  read(wh: Warehouse, plan: Pick<EnrichmentPlan, 'profile' | 'traits' | 'textKeys'>, keys: PageKeys, rows: readonly SourceRow[]): Promise<TraitsByProfile> {
    const { profile, traits } = plan;
    const profileIds = [...new Set(rows.map((r) => r.profileId))];
    return new Promise<TraitsByProfile>((resolve, reject) => {
      const idIsText = plan.textKeys.includes(tableKey(profile.table, profile.id));
      const batchKey = `${profile.table}\u0000${profile.id}\u0000${idIsText}`;
      let batch = this.open.get(batchKey);
      if (!batch) {
        const created: Batch = { profile, textKeys: plan.textKeys, requests: [] };
        this.open.set(batchKey, created);
        // Its turn has come: the pages whose requests are on their way (their page read just
        // answered, the rest is computation) still join in one turn of the event loop; from the
        // sending on, later requests start the next batch.
        const send = async (w: Warehouse) => {
          await new Promise((resolve) => setImmediate(resolve));
          this.open.delete(batchKey);
          return this.send(w, created);
        };
        // A warehouse that never ran it (closed meanwhile) fails the batch; later requests start anew.
        void (wh.whenFree ? wh.whenFree(send) : Promise.resolve().then(() => send(wh))).catch((e: unknown) => {
          if (this.open.get(batchKey) === created) this.open.delete(batchKey);
          for (const r of created.requests) r.reject(e);
        });
        batch = created;
      }
      batch.requests.push({ traits, keys, profileIds, resolve, reject });
    });
  }

  private async send(wh: Warehouse, { profile, textKeys, requests }: Batch): Promise<void> {
    this.reads++;
    this.requests += requests.length;
    try {
      const answers = await readTraits(wh, profile, textKeys, [...new Set(requests.flatMap((r) => r.traits))], requests.map((r) => r.keys), requests);
      requests.forEach((r, i) => r.resolve(answers[i]));
    } catch (e) {
      if (requests.length === 1) return requests[0].reject(e);
      // Which page's traits failed it is unknown: each page reads alone and gets its own answer.
      for (const r of requests) await readTraits(wh, profile, textKeys, r.traits, [r.keys], [r]).then((a) => r.resolve(a[0]), r.reject);
    }
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
