import { performance } from 'node:perf_hooks';
import { castJoins } from '../graph/catalog.js';
import { fixtureTables, typeProblems, type AudienceTestSpec, type FixtureType, type SourceLocation } from '../model/audience-test.js';
import type { Desired } from '../model/desired.js';
import { LinkedError, isLinkedError } from '../model/errors.js';
import { printSql } from '../dialect/printer.js';
import { previewContext, previewedAudience } from '../preview/preview.js';
import { entityMatchesQuery, membershipQuery } from '../sql/index.js';
import { execute } from '../warehouse/execute.js';
import { FixtureDuckDb, columnTypes } from './fixture-db.js';
import { impliedColumnTypes } from './implied-types.js';

/*
 * One audience test: the fixtures become an in-memory DuckDB shaped like the Data Graph, the
 * audience is compiled by the same compiler a compute uses (linked audiences it reaches through
 * "part of" inline, as in preview), and what it selects is compared with what the test expects.
 */

/** Something the audience selected that the test did not expect, or the reverse. */
export type TestFailure =
  | { kind: 'members'; expected: string[]; actual: string[]; missing: string[]; unexpected: string[] }
  | { kind: 'includes'; missing: string[] }
  | { kind: 'excludes'; unexpected: string[] }
  | { kind: 'entityMatches'; path: string; missing: EntityPair[]; unexpected: EntityPair[] };

export interface EntityPair {
  profile: string;
  entity: string;
}

export interface TestResult {
  stack: string;
  name: string;
  audience: string;
  source?: SourceLocation;
  /** `error`: the test could not run (fixtures that do not fit the graph, a query that fails). */
  status: 'passed' | 'failed' | 'error';
  durationMs: number;
  /** The reference time the audience was computed at. */
  now: string;
  failures: TestFailure[];
  error?: { code: string; message: string };
  /** What the audience selected, sorted. */
  actual?: { members: string[]; entityMatches: { path: string; matches: EntityPair[] }[] };
  /** The membership statement as it ran, with its bound values (`--sql`, and always in JSON). */
  sql?: { text: string; params: unknown[] };
}

export interface RunTestOptions {
  /** The reference time of tests that set none; default the moment they run. */
  now?: Date;
  /** The DuckDB a run shares between its tests; default one for this test alone. */
  db?: FixtureDuckDb;
}

/** Runs one test against the stack it was declared in. Never throws for a test's own problem: it becomes an `error` result. */
export async function runAudienceTest(desired: Desired, spec: AudienceTestSpec, options: RunTestOptions = {}): Promise<TestResult> {
  const started = performance.now();
  const now = spec.now ? referenceTime(spec.now) : (options.now ?? new Date());
  const base = { stack: desired.stack, name: spec.name, audience: spec.audience, source: spec.source, now: now.toISOString() };
  try {
    const outcome = await evaluate(desired, spec, now, options.db);
    const failures = compare(spec, outcome.actual);
    return { ...base, status: failures.length === 0 ? 'passed' : 'failed', durationMs: performance.now() - started, failures, ...outcome };
  } catch (e) {
    const error = isLinkedError(e) ? { code: e.code, message: e.message } : { code: 'TEST_ERROR', message: String((e as Error)?.message ?? e) };
    return { ...base, status: 'error', durationMs: performance.now() - started, failures: [], error };
  }
}

async function evaluate(desired: Desired, spec: AudienceTestSpec, now: Date, shared: FixtureDuckDb | undefined) {
  const audience = previewedAudience(desired, spec.audience);
  const fixtures = fixtureTables(desired.graph, desired.classicAudiences, spec.fixtures);
  const { tables } = fixtures;
  const problems = [...fixtures.problems, ...typeProblems(tables, spec.types)];
  if (problems.length > 0) {
    const n = problems.length;
    throw new LinkedError('FIXTURE_INVALID', `${n} fixture problem${n === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p.at}: ${p.message}`).join('\n')}`, { problems });
  }
  const compared = impliedColumnTypes(desired, audience.key);
  const typed = tables.map((t) => ({ t, types: columnTypes(t, declaredTypes(spec.types, t.table), compared.get(t.table.toLowerCase())) }));
  const types = new Map(typed.map(({ t, types }) => [t.table.toLowerCase(), types]));
  const typeOf = (table: string, column: string): FixtureType | undefined => {
    const byColumn = types.get(table.toLowerCase());
    return byColumn?.get(column) ?? [...(byColumn ?? [])].find(([c]) => c.toLowerCase() === column.toLowerCase())?.[1];
  };
  // Keys of different kinds (an integer id joined to a text one) join as they would in production: on a cast.
  const ctx = previewContext(desired, 'duckdb', now, castJoins(desired.graph, typeOf));
  const db = shared ?? (await FixtureDuckDb.open());
  try {
    return await db.with(typed, async (wh) => {
      const membership = membershipQuery(audience.condition, ctx);
      const printed = printSql('duckdb', membership);
      const members = (await execute<{ profile_id: string }>(wh, membership)).rows.map((r) => String(r.profile_id)).sort();
      const entityMatches = [];
      for (const e of spec.expect.entityMatches) {
        const rows = (await execute<{ profile_id: string; entity_id: string }>(wh, entityMatchesQuery(audience.condition, e.path, ctx))).rows;
        const matches = rows.map((r) => ({ profile: String(r.profile_id), entity: String(r.entity_id) })).sort(byPair);
        entityMatches.push({ path: e.path.join('.'), matches });
      }
      return { actual: { members, entityMatches }, sql: { text: printed.sql, params: printed.params } };
    });
  } finally {
    if (!shared) await db.close();
  }
}

/** A test's `now`: a date is its midnight, and a time without an offset is UTC, as warehouse timestamps are. */
function referenceTime(iso: string): Date {
  const text = iso.length === 10 ? `${iso}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`;
  return new Date(text.replace(' ', 'T'));
}

const declaredTypes = (declared: AudienceTestSpec['types'], table: string) =>
  Object.entries(declared).find(([name]) => name.toLowerCase() === table.toLowerCase())?.[1];

const byPair = (a: EntityPair, b: EntityPair) => a.profile.localeCompare(b.profile) || a.entity.localeCompare(b.entity);
const sorted = (ids: readonly string[]) => [...new Set(ids)].sort();

/** Every way the selection differs from the expectation; none when the test passes. */
export function compare(spec: AudienceTestSpec, actual: NonNullable<TestResult['actual']>): TestFailure[] {
  const out: TestFailure[] = [];
  const selected = new Set(actual.members);
  const e = spec.expect;
  if (e.members !== undefined) {
    const expected = sorted(e.members);
    const missing = expected.filter((id) => !selected.has(id));
    const unexpected = actual.members.filter((id) => !expected.includes(id));
    if (missing.length + unexpected.length > 0) out.push({ kind: 'members', expected, actual: actual.members, missing, unexpected });
  }
  const notIn = sorted(e.includes).filter((id) => !selected.has(id));
  if (notIn.length > 0) out.push({ kind: 'includes', missing: notIn });
  const wronglyIn = sorted(e.excludes).filter((id) => selected.has(id));
  if (wronglyIn.length > 0) out.push({ kind: 'excludes', unexpected: wronglyIn });
  for (const expectation of e.entityMatches) {
    const path = expectation.path.join('.');
    const expected = Object.entries(expectation.matches)
      .flatMap(([profile, entities]) => entities.map((entity) => ({ profile, entity })))
      .sort(byPair);
    const got = actual.entityMatches.find((m) => m.path === path)?.matches ?? [];
    const key = (p: EntityPair) => `${p.profile}\u0000${p.entity}`;
    const gotKeys = new Set(got.map(key));
    const expectedKeys = new Set(expected.map(key));
    const missing = expected.filter((p) => !gotKeys.has(key(p)));
    const unexpected = got.filter((p) => !expectedKeys.has(key(p)));
    if (missing.length + unexpected.length > 0) out.push({ kind: 'entityMatches', path, missing, unexpected });
  }
  return out;
}
