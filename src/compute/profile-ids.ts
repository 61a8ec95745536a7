import { repeatedKeyText } from '../sql/index.js';
import type { Warehouse } from '../warehouse/types.js';
import { DuplicateRecordsError } from './policy.js';
import type { CompiledAudience } from './types.js';

type ProfileIdCheck = NonNullable<CompiledAudience['profileIds']>;

interface Search {
  repeated: unknown;
  queryId?: string;
}

/**
 * The seed's "Duplicate records for ID" for the profile table: the plan refuses a repeated profile
 * id, and this finds one that appeared in the table since. One aggregate over the table's ids costs
 * about as much as an audience's membership query, so the runs of one controller tick share it
 * (`shared`): a table is searched once per tick however many audiences read it. Returns the query
 * id of the search when this run made it.
 */
export async function checkProfileIds(wh: Warehouse, check: CompiledAudience['profileIds'], shared?: ProfileIdChecks): Promise<string | undefined> {
  if (!check) return undefined;
  const { search, made } = shared ? shared.search(wh, check) : { search: searchRepeatedId(wh, check), made: true };
  const { repeated, queryId } = await search;
  if (repeated !== undefined) throw new DuplicateRecordsError(check.column, String(repeated), repeatedKeyText(check.table, [check.column], [repeated]));
  return made ? queryId : undefined;
}

async function searchRepeatedId(wh: Warehouse, check: ProfileIdCheck): Promise<Search> {
  const { rows, queryId } = await wh.query(check.query.sql, check.query.params);
  return { repeated: rows[0] && Object.values(rows[0])[0], queryId };
}

/**
 * The searches for a repeated profile id made during one controller tick, by profile table: the
 * runs of the tick that read the same table take the first one's answer. A search that fails is
 * not kept (the next run searches again).
 */
export class ProfileIdChecks {
  private readonly searches = new Map<string, Promise<Search>>();

  /** The table's search, and whether this call made it (the others share its answer). */
  search(wh: Warehouse, check: ProfileIdCheck): { search: Promise<Search>; made: boolean } {
    const key = `${check.table}\u0000${check.column}`;
    const known = this.searches.get(key);
    if (known) return { search: known, made: false };
    const search = searchRepeatedId(wh, check);
    this.searches.set(key, search);
    search.catch(() => this.searches.delete(key));
    return { search, made: true };
  }
}
