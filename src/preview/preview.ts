import { castJoinsFromSnapshot, checkCatalog, snapshotCatalog } from '../graph/catalog.js';
import { AppliedModel, type EntityTrigger } from '../model/applied-model.js';
import type { Audience } from '../model/audience.js';
import type { Desired } from '../model/desired.js';
import { hasErrors, type Diagnostic } from '../model/diagnostics.js';
import { LinkedError } from '../model/errors.js';
import { cast, col, countStar, eq, over, select, sysCol, table, type Query, type Select } from '../dialect/ast.js';
import { systemName, type Dialect } from '../dialect/dialect.js';
import { printSql } from '../dialect/printer.js';
import { compileContext, countQuery, entityMatchesQuery, membershipQuery, type CompileContext } from '../sql/index.js';
import { execute } from '../warehouse/execute.js';
import type { Row, Warehouse } from '../warehouse/types.js';

/*
 * An audience's preview: what the seed's builder shows before saving (member count, a sample of
 * members) plus the entity count behind each entity trigger of the audience's emitters. It reads
 * a synthesized model and the warehouse only: nothing is applied, no state is written.
 */

export const DEFAULT_SAMPLE = 20;
export const MAX_SAMPLE = 3000;

export interface PreviewOptions {
  /** Members listed; default 20, at most 3,000. */
  limit?: number;
  /** Profile traits shown beside each sampled id; default the profile's identifiers. */
  traits?: string[];
  /** Relative windows count from here; default now. */
  now?: Date;
}

export interface EntityTriggerCount {
  /** Relationship slugs from the profile, joined with ".". */
  path: string;
  /** Emitters of this audience whose entity trigger uses the path, with their triggers. */
  emitters: EntityTrigger['emitters'];
  /** (profile, entity) pairs the trigger sees now. */
  entities: number;
}

export interface AudiencePreview {
  audience: string;
  name: string;
  dialect: Dialect;
  now: string;
  members: number;
  sample: { traits: string[]; rows: Record<string, unknown>[] };
  entityTriggers: EntityTriggerCount[];
}

/** The compile context of a stack: linked audiences referenced by "part of" are compiled inline (no snapshot before apply). */
export function previewContext(desired: Desired, dialect: Dialect, now: Date, castJoins: readonly string[] = []): CompileContext {
  const model = new AppliedModel(desired);
  return compileContext({
    dialect,
    graph: desired.graph,
    classicAudiences: desired.classicAudiences,
    now,
    castJoins,
    audience: (key) => model.audience(key),
    unknownAudience: (key) => new LinkedError('AUDIENCE_UNKNOWN', `Unknown linked audience "${key}" in a part-of-audience condition`),
  });
}

/** The audience to preview; the error lists the stack's audiences. */
export function previewedAudience(desired: Desired, key: string): Audience {
  const a = new AppliedModel(desired).audience(key);
  if (!a) {
    const known = desired.audiences.map((x) => x.key).join(', ') || '(none)';
    throw new LinkedError('AUDIENCE_UNKNOWN', `No audience "${key}" in stack ${desired.stack}; audiences: ${known}`);
  }
  return a;
}

/** The audience and every linked audience its conditions reach ("part of"), which the preview compiles inline. */
export function withLinkedDependencies(desired: Desired, key: string): string[] {
  return new AppliedModel(desired).withLinkedDependencies(key);
}

interface PreviewQueries {
  membership: Select;
  entityMatches: { path: string; emitters: EntityTrigger['emitters']; query: Query }[];
}

function previewQueries(desired: Desired, audience: Audience, dialect: Dialect, now: Date, castJoins: readonly string[] = []): PreviewQueries {
  const ctx = previewContext(desired, dialect, now, castJoins);
  return {
    membership: membershipQuery(audience.condition, ctx),
    entityMatches: new AppliedModel(desired).entityTriggers(audience.key).map((t) => ({
      path: t.path.join('.'),
      emitters: t.emitters,
      query: entityMatchesQuery(audience.condition, t.path, ctx),
    })),
  };
}

/** The compiled statements of a preview, without running them (`--sql`). */
export function compilePreview(desired: Desired, audience: Audience, dialect: Dialect, now: Date) {
  const q = previewQueries(desired, audience, dialect, now);
  return {
    membership: printSql(dialect, q.membership),
    entityMatches: q.entityMatches.map((e) => ({ path: e.path, emitters: e.emitters, query: printSql(dialect, e.query) })),
  };
}

/** First value of the first row: counts come back as `n` (DuckDB) or `N` (Snowflake). */
const firstValue = (rows: Row[]) => Number(Object.values(rows[0] ?? {})[0] ?? 0);

/** Our name for the sample's i-th column (the profile id, then the traits): user names never become aliases. */
const sampleColumn = (i: number) => `c${i}`;

/**
 * Count and sample in one pass over the membership: the window count rides along with the first
 * `limit` members (ordered by id), whose traits are then joined from the profile table. The
 * membership query runs once, so a preview costs about one count.
 */
function countAndSampleQuery(desired: Desired, membership: Select, traits: string[], limit: number): Select {
  const p = desired.graph.profile;
  // `limit` is printed inline (Snowflake promises no bind in LIMIT): a checked whole number.
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SAMPLE) throw new LinkedError('INVALID_ARGUMENT', `invalid sample size ${limit}`);
  const member = sysCol('m', 'profile_id');
  const firstMembers = select([{ expr: member, as: 'profile_id' }, { expr: over(countStar, {}), as: 'members_total' }], {
    from: { kind: 'derived', query: membership, alias: 'm' },
    orderBy: [{ expr: member }],
    limit,
  });
  const id = sysCol('s', 'profile_id');
  const shown = traitsBesideId(desired, traits);
  return select(
    [
      { expr: id, as: sampleColumn(0) },
      ...shown.map((t, i) => ({ expr: col('pr', t), as: sampleColumn(i + 1) })),
      { expr: sysCol('s', 'members_total'), as: 'members_total' },
    ],
    {
      from: { kind: 'derived', query: firstMembers, alias: 's' },
      joins: [{ type: 'left', from: table(p.table, 'pr'), on: eq(cast(col('pr', p.id), 'VARCHAR'), id) }],
      orderBy: [{ expr: id }],
    },
  );
}

const traitsBesideId = (desired: Desired, traits: string[]) => traits.filter((t) => t !== desired.graph.profile.id);

/** A sampled row under the user's names: the profile id, then the traits. */
function sampleRow(row: Row, desired: Desired, traits: string[], dialect: Dialect): Record<string, unknown> {
  const names = [desired.graph.profile.id, ...traitsBesideId(desired, traits)];
  return Object.fromEntries(names.map((n, i) => [n, row[systemName(dialect, sampleColumn(i))]]));
}

function checkTraits(desired: Desired, traits: string[]): void {
  const p = desired.graph.profile;
  const known = new Set([p.id, ...p.traits, ...p.identifiers]);
  const unknown = traits.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new LinkedError('TRAIT_UNKNOWN', `Unknown trait${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the profile declares ${[...known].join(', ')}`);
  }
}

/** The member count and the sample: the count alone when no member is asked for. */
async function membersAndSample(wh: Warehouse, desired: Desired, membership: Select, traits: string[], limit: number, tag: string) {
  if (limit === 0) return { members: firstValue((await execute(wh, countQuery(membership), { tag })).rows), rows: [] };
  const rows = (await execute(wh, countAndSampleQuery(desired, membership, traits, limit), { tag })).rows;
  // No row means no member (LIMIT >= 1 returns one whenever the membership has one).
  const members = rows.length === 0 ? 0 : Number(rows[0][systemName(wh.dialect, 'members_total')]);
  return { members, rows: rows.map((r) => sampleRow(r, desired, traits, wh.dialect)) };
}

/** Runs the preview of one audience against an open warehouse (no catalog check: see checkPreviewCatalog). */
export async function previewAudience(desired: Desired, wh: Warehouse, key: string, options: PreviewOptions = {}): Promise<AudiencePreview> {
  const audience = previewedAudience(desired, key);
  const limit = options.limit ?? DEFAULT_SAMPLE;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_SAMPLE) {
    throw new LinkedError('INVALID_ARGUMENT', `--limit must be a whole number from 0 to ${MAX_SAMPLE}, got ${limit}`);
  }
  const traits = options.traits ?? desired.graph.profile.identifiers.filter((t) => t !== desired.graph.profile.id);
  checkTraits(desired, traits);
  const now = options.now ?? new Date();
  // Nothing is applied yet: the key types come from the warehouse now.
  const castJoins = castJoinsFromSnapshot(desired.graph, await snapshotCatalog(desired.graph, wh, desired.classicAudiences));
  const queries = previewQueries(desired, audience, wh.dialect, now, castJoins);
  const tag = `linked-audiences:preview:${audience.key}`;
  const { members, rows } = await membersAndSample(wh, desired, queries.membership, traits, limit, tag);
  const entityTriggers: EntityTriggerCount[] = [];
  for (const e of queries.entityMatches) {
    entityTriggers.push({ path: e.path, emitters: e.emitters, entities: firstValue((await execute(wh, countQuery(e.query), { tag })).rows) });
  }
  return { audience: audience.key, name: audience.name, dialect: wh.dialect, now: now.toISOString(), members, sample: { traits, rows }, entityTriggers };
}

export function formatDiagnostics(ds: Diagnostic[]): string {
  return ds.map((d) => `  ${d.severity}: ${d.message}${d.resource ? ` (${d.resource}${d.attribute ? ` ${d.attribute}` : ''})` : ''}${d.hint ? ` ${d.hint}` : ''}`).join('\n');
}

/**
 * The catalog check a preview needs (the graph, the audience and the linked audiences it compiles
 * inline): throws CATALOG_INVALID on an error, returns the warnings.
 */
export async function checkPreviewCatalog(desired: Desired, wh: Warehouse, audienceKey: string, options: { duplicateKeys: boolean }): Promise<Diagnostic[]> {
  const diagnostics = await checkCatalog(desired, wh, { audiences: withLinkedDependencies(desired, audienceKey), duplicateKeys: options.duplicateKeys });
  if (hasErrors(diagnostics)) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    throw new LinkedError('CATALOG_INVALID', `Audience ${audienceKey} cannot be previewed: the warehouse does not match the Data Graph.\n${formatDiagnostics(errors)}`, {
      diagnostics: errors,
    });
  }
  return diagnostics;
}
