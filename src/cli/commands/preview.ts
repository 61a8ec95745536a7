import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkCatalog } from '../../graph/catalog.js';
import { referencedAudiences } from '../../model/condition-references.js';
import { listStacks, loadDesired, outDirOf, synthApp } from '../../manifest/index.js';
import type { Audience } from '../../model/audience.js';
import type { Desired } from '../../model/desired.js';
import { hasErrors, type Diagnostic } from '../../model/diagnostics.js';
import { ENTITY_TRIGGERS, type Trigger } from '../../model/emitter.js';
import { LinkedError } from '../../model/errors.js';
import { compileCount, compileEntityMatches, compileMembership, type CompileContext, type CompiledQuery } from '../../sql/index.js';
import { quoteIdent, quoteTable } from '../../dialect/identifiers.js';
import { systemName } from '../../dialect/dialect.js';
import { openWarehouse } from '../../warehouse/index.js';
import type { Dialect } from '../../dialect/dialect.js';
import type { Warehouse } from '../../warehouse/types.js';
import { printJson } from '../run.js';

/*
 * `linked preview <audience>`: what the seed's builder shows before saving (member count, a sample
 * of members) plus the entity count behind each entity trigger of the audience's emitters. It reads
 * the synthesized app and the warehouse only: nothing is applied, no state is written.
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
  emitters: { key: string; trigger: Trigger }[];
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
export function previewContext(desired: Desired, dialect: Dialect, now: Date): CompileContext {
  return {
    dialect,
    graph: desired.graph,
    classicAudiences: desired.classicAudiences,
    now,
    linkedAudience(key) {
      const a = desired.audiences.find((x) => x.key === key);
      if (!a) throw new LinkedError('AUDIENCE_UNKNOWN', `Unknown linked audience "${key}" in a part-of-audience condition`);
      return { kind: 'inline', condition: a.condition };
    },
  };
}

export function findAudience(desired: Desired, key: string): Audience {
  const a = desired.audiences.find((x) => x.key === key);
  if (!a) {
    const known = desired.audiences.map((x) => x.key).join(', ') || '(none)';
    throw new LinkedError('AUDIENCE_UNKNOWN', `No audience "${key}" in stack ${desired.stack}; audiences: ${known}`);
  }
  return a;
}

/** Entity paths used by the audience's emitters, each with the emitters that need it. */
export function entityTriggerPaths(desired: Desired, audienceKey: string): Map<string, { path: string[]; emitters: { key: string; trigger: Trigger }[] }> {
  const out = new Map<string, { path: string[]; emitters: { key: string; trigger: Trigger }[] }>();
  for (const e of desired.emitters) {
    if (e.audience !== audienceKey || !ENTITY_TRIGGERS.includes(e.trigger) || !e.entityPath?.length) continue;
    const id = e.entityPath.join('.');
    const entry = out.get(id) ?? { path: e.entityPath, emitters: [] };
    entry.emitters.push({ key: e.key, trigger: e.trigger });
    out.set(id, entry);
  }
  return out;
}

/** The compiled statements of a preview, without running them (`--sql`). */
export function compilePreview(desired: Desired, audience: Audience, dialect: Dialect, now: Date) {
  const ctx = previewContext(desired, dialect, now);
  const membership = compileMembership(audience.condition, ctx);
  const entityMatches = [...entityTriggerPaths(desired, audience.key).entries()].map(([path, e]) => ({
    path,
    emitters: e.emitters,
    query: compileEntityMatches(audience.condition, e.path, ctx),
  }));
  return { membership, count: compileCount(membership, ctx), entityMatches };
}

/** First value of the first row: counts come back as `n` (DuckDB) or `N` (Snowflake). */
const firstValue = (rows: Record<string, unknown>[]) => Number(Object.values(rows[0] ?? {})[0] ?? 0);

/**
 * Count and sample in one pass over the membership: the window count rides along with the first
 * `limit` members (ordered by id), whose traits are then joined from the profile table. The
 * membership query runs once, so a preview costs about one count.
 */
function countAndSampleQuery(desired: Desired, membership: CompiledQuery, dialect: Dialect, traits: string[], limit: number): CompiledQuery {
  const p = desired.graph.profile;
  const q = (s: string) => quoteIdent(dialect, s);
  const member = q(systemName(dialect, 'profile_id'));
  const total = q(systemName(dialect, 'members_total'));
  const columns = [`s.${member} AS ${q(p.id)}`, ...traits.filter((t) => t !== p.id).map((t) => `pr.${q(t)} AS ${q(t)}`), `s.${total} AS ${total}`];
  // LIMIT takes a constant on every warehouse (Snowflake does not promise a bind there); `limit`
  // is a checked whole number, printed by us, never user text.
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SAMPLE) throw new LinkedError('INVALID_ARGUMENT', `invalid sample size ${limit}`);
  return {
    sql:
      `SELECT ${columns.join(', ')}\nFROM (\n` +
      `SELECT m.${member}, COUNT(*) OVER () AS ${total}\nFROM (\n${membership.sql}\n) AS m\nORDER BY m.${member}\nLIMIT ${limit}\n) AS s\n` +
      `LEFT JOIN ${quoteTable(dialect, p.table)} AS pr ON CAST(pr.${q(p.id)} AS VARCHAR) = s.${member}\n` +
      `ORDER BY s.${member}`,
    params: [...membership.params],
  };
}

function checkTraits(desired: Desired, traits: string[]): void {
  const p = desired.graph.profile;
  const known = new Set([p.id, ...p.traits, ...p.identifiers]);
  const unknown = traits.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new LinkedError('TRAIT_UNKNOWN', `Unknown trait${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: the profile declares ${[...known].join(', ')}`);
  }
}

/** Runs the preview of one audience against an open warehouse (no catalog check: the caller decides). */
export async function previewAudience(desired: Desired, wh: Warehouse, key: string, options: PreviewOptions = {}): Promise<AudiencePreview> {
  const audience = findAudience(desired, key);
  const limit = options.limit ?? DEFAULT_SAMPLE;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_SAMPLE) {
    throw new LinkedError('INVALID_ARGUMENT', `--limit must be a whole number from 0 to ${MAX_SAMPLE}, got ${limit}`);
  }
  const traits = options.traits ?? desired.graph.profile.identifiers.filter((t) => t !== desired.graph.profile.id);
  checkTraits(desired, traits);
  const now = options.now ?? new Date();
  const compiled = compilePreview(desired, audience, wh.dialect, now);
  const tag = { tag: `linked-audiences:preview:${audience.key}` };
  let members: number;
  let sample: Record<string, unknown>[] = [];
  if (limit === 0) {
    members = firstValue((await wh.query(compiled.count.sql, compiled.count.params, tag)).rows);
  } else {
    const q = countAndSampleQuery(desired, compiled.membership, wh.dialect, traits, limit);
    sample = (await wh.query(q.sql, q.params, tag)).rows;
    // No row means no member (LIMIT >= 1 returns one whenever the membership has one).
    const total = systemName(wh.dialect, 'members_total');
    members = sample.length === 0 ? 0 : Number(sample[0][total] ?? sample[0][total.toLowerCase()]);
  }
  const entityTriggers: EntityTriggerCount[] = [];
  for (const e of compiled.entityMatches) {
    const count = compileCount(e.query, { dialect: wh.dialect });
    entityTriggers.push({ path: e.path, emitters: e.emitters, entities: firstValue((await wh.query(count.sql, count.params, tag)).rows) });
  }
  return {
    audience: audience.key,
    name: audience.name,
    dialect: wh.dialect,
    now: now.toISOString(),
    members,
    sample: { traits, rows: sample.map((r) => normaliseKeys(r, desired, traits)) },
    entityTriggers,
  };
}

/** Snowflake returns upper-case keys for our lower-case aliases when unquoted; keep the user's names. */
function normaliseKeys(row: Record<string, unknown>, desired: Desired, traits: string[]): Record<string, unknown> {
  const names = [desired.graph.profile.id, ...traits.filter((t) => t !== desired.graph.profile.id)];
  const out: Record<string, unknown> = {};
  for (const n of names) out[n] = n in row ? row[n] : row[n.toUpperCase()];
  return out;
}

/** The project's model: synthesized first when cdktf.out holds no stack yet. */
async function loadProject(flags: PreviewFlags): Promise<{ dir: string; desired: Desired }> {
  const dir = resolve(flags.dir ?? process.cwd());
  const outDir = flags.outDir ? resolve(dir, flags.outDir) : existsSync(join(dir, 'cdktf.json')) ? outDirOf(dir) : join(dir, 'cdktf.out');
  if (listStacks(outDir).size === 0) {
    if (!existsSync(join(dir, 'cdktf.json'))) {
      throw new LinkedError('MANIFEST_MISSING', `No synthesized stacks in ${outDir} and no cdktf.json in ${dir} to synthesize from.`);
    }
    await synthApp(dir, { quiet: !!flags.json, outDir });
  }
  return { dir, desired: await loadDesired(outDir, flags.stack) };
}

/** The audience and every linked audience its conditions reach ("part of"), which the preview compiles inline. */
export function withLinkedDependencies(desired: Desired, key: string): string[] {
  const seen = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k)) return;
    seen.add(k);
    const a = desired.audiences.find((x) => x.key === k);
    if (a) referencedAudiences(a.condition).forEach(visit);
  };
  visit(key);
  return [...seen];
}

function formatDiagnostics(ds: Diagnostic[]): string {
  return ds.map((d) => `  ${d.severity}: ${d.message}${d.resource ? ` (${d.resource}${d.attribute ? ` ${d.attribute}` : ''})` : ''}`).join('\n');
}

interface PreviewFlags {
  dir?: string;
  outDir?: string;
  stack?: string;
  json?: boolean;
  limit: string;
  traits?: string;
  sql?: boolean;
  dialect?: string;
  now?: string;
  keyCheck?: boolean;
}

function parseFlags(flags: PreviewFlags): { limit: number; traits?: string[]; now: Date } {
  if (!/^\d+$/.test(flags.limit)) throw new LinkedError('INVALID_ARGUMENT', `--limit must be a whole number from 0 to ${MAX_SAMPLE}, got "${flags.limit}"`);
  const limit = Number(flags.limit);
  if (limit > MAX_SAMPLE) throw new LinkedError('INVALID_ARGUMENT', `--limit must be a whole number from 0 to ${MAX_SAMPLE}, got ${limit}`);
  const traits = flags.traits === undefined ? undefined : flags.traits.split(',').map((t) => t.trim()).filter(Boolean);
  const now = flags.now ? new Date(flags.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new LinkedError('INVALID_ARGUMENT', `--now must be an ISO-8601 date or timestamp, got "${flags.now}"`);
  return { limit, traits, now };
}

function renderSql(audience: Audience, dialect: Dialect, compiled: ReturnType<typeof compilePreview>): string {
  const block = (title: string, q: CompiledQuery) => `-- ${title}\n${q.sql};\n-- params: ${JSON.stringify(q.params)}\n`;
  return [
    block(`membership of ${audience.key} (${dialect})`, compiled.membership),
    ...compiled.entityMatches.map((e) => block(`entity matches ${e.path} (${e.emitters.map((x) => `${x.trigger}: ${x.key}`).join(', ')})`, e.query)),
  ].join('\n');
}

function renderText(p: AudiencePreview, seconds: number): string {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const lines = [`Audience ${p.audience} (${p.name}): ${fmt(p.members)} member${p.members === 1 ? '' : 's'}  [${p.dialect}, ${seconds.toFixed(2)}s]`];
  if (p.entityTriggers.length > 0) {
    lines.push('Entities per trigger:');
    for (const e of p.entityTriggers) lines.push(`  ${e.path}  ${fmt(e.entities)}  (${e.emitters.map((x) => `${x.trigger}: ${x.key}`).join('; ')})`);
  }
  const rows = p.sample.rows;
  if (rows.length > 0) {
    const columns = Object.keys(rows[0]);
    const show = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
    const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => show(r[c]).length)));
    lines.push(`Sample (${fmt(rows.length)} of ${fmt(p.members)}):`);
    lines.push('  ' + columns.map((c, i) => c.padEnd(widths[i])).join('  '));
    for (const r of rows) lines.push('  ' + columns.map((c, i) => show(r[c]).padEnd(widths[i])).join('  ').trimEnd());
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command): void {
  program
    .command('preview <audience>')
    .description('count an audience, list a sample of its members and the entities behind its entity triggers (before any apply)')
    .option('--dir <dir>', 'project directory (holds cdktf.json and cdktf.out)', process.cwd())
    .option('--out-dir <dir>', 'synthesized output directory (default: cdktf.json output)')
    .option('--stack <stack>', 'stack to act on (needed when cdktf.out holds several)')
    .option('--limit <n>', `members to list (0 to ${MAX_SAMPLE})`, String(DEFAULT_SAMPLE))
    .option('--traits <list>', 'comma-separated profile traits to show beside each member (default: the identifiers)')
    .option('--sql', 'print the compiled SQL instead of running it')
    .option('--dialect <dialect>', 'dialect for --sql: duckdb or snowflake (default: the stack warehouse)')
    .option('--now <iso>', 'reference time for relative windows (default: now)')
    .option('--key-check', 'also scan keyed tables for duplicate primary keys (a full aggregate per table: slow on large tables)')
    .option('--json', 'machine-readable output')
    .action(async (key: string, flags: PreviewFlags) => {
      const { limit, traits, now } = parseFlags(flags);
      const { dir, desired } = await loadProject(flags);
      const audience = findAudience(desired, key);
      if (flags.sql) {
        const dialect = (flags.dialect ?? desired.warehouse.type) as Dialect;
        if (dialect !== 'duckdb' && dialect !== 'snowflake') throw new LinkedError('INVALID_ARGUMENT', `--dialect must be duckdb or snowflake, got "${flags.dialect}"`);
        const compiled = compilePreview(desired, audience, dialect, now);
        if (flags.json) {
          printJson({ audience: audience.key, dialect, now: now.toISOString(), membership: compiled.membership, entityMatches: compiled.entityMatches.map((e) => ({ path: e.path, emitters: e.emitters, ...e.query })) });
        } else {
          process.stdout.write(renderSql(audience, dialect, compiled));
        }
        return;
      }
      if (flags.dialect) throw new LinkedError('INVALID_ARGUMENT', '--dialect applies to --sql only: a preview runs on the stack’s own warehouse');
      const started = Date.now();
      const wh = await openWarehouse(desired.warehouse, dir, { readOnly: true });
      try {
        const diagnostics = await checkCatalog(desired, wh, { audiences: withLinkedDependencies(desired, audience.key), duplicateKeys: flags.keyCheck === true });
        if (hasErrors(diagnostics)) {
          const errors = diagnostics.filter((d) => d.severity === 'error');
          throw new LinkedError('CATALOG_INVALID', `Audience ${audience.key} cannot be previewed: the warehouse does not match the Data Graph.\n${formatDiagnostics(errors)}`, {
            diagnostics: errors,
          });
        }
        const preview = await previewAudience(desired, wh, audience.key, { limit, traits, now });
        if (flags.json) printJson({ ...preview, warnings: diagnostics });
        else {
          if (diagnostics.length > 0) process.stderr.write(formatDiagnostics(diagnostics) + '\n');
          process.stdout.write(renderText(preview, (Date.now() - started) / 1000));
        }
      } finally {
        await wh.close();
      }
    });
}
