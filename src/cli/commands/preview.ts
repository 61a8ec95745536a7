import type { Command } from 'commander';
import { formatCount } from '../../model/count.js';
import { resolve } from 'node:path';
import { listStacks, loadDesired, synthesizedOutDir } from '../../manifest/index.js';
import { ensureFreshSynth, type SynthFlags } from '../synth-freshness.js';
import type { Audience } from '../../model/audience.js';
import type { Desired } from '../../model/desired.js';
import { LinkedError } from '../../model/errors.js';
import { parseNow } from '../command-options.js';
import type { Dialect } from '../../dialect/dialect.js';
import type { CompiledQuery } from '../../dialect/printer.js';
import {
  DEFAULT_SAMPLE,
  MAX_SAMPLE,
  checkPreviewCatalog,
  compilePreview,
  formatDiagnostics,
  previewAudience,
  previewedAudience,
  type AudiencePreview,
} from '../../preview/preview.js';
import { openWarehouse } from '../../warehouse/index.js';
import { commandTag } from '../../warehouse/tagged.js';
import { printJson } from '../run.js';
import { printable } from '../../model/printable.js';

/*
 * `linked preview <audience>`: the arguments and the output of src/preview on the synthesized app
 * (nothing is applied, no state is written).
 */

/** The project's model, synthesized first when its sources changed since the last synth. */
async function loadProject(flags: PreviewFlags): Promise<{ dir: string; desired: Desired }> {
  const dir = resolve(flags.dir ?? process.cwd());
  const outDir = synthesizedOutDir(dir, flags.outDir);
  await ensureFreshSynth(flags, { refuseStale: false });
  if (listStacks(outDir).size === 0) {
    throw new LinkedError('MANIFEST_MISSING', `No synthesized stacks in ${outDir} and no cdktf.json in ${dir} to synthesize from.`);
  }
  return { dir, desired: await loadDesired(outDir, flags.stack) };
}

interface PreviewFlags extends SynthFlags {
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
  const now = flags.now ? parseNow(flags.now) : new Date();
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
  const lines = [`Audience ${p.audience} (${p.name}): ${formatCount(p.members)} member${p.members === 1 ? '' : 's'}  [${p.dialect}, ${seconds.toFixed(2)}s]`];
  if (p.entityTriggers.length > 0) {
    lines.push('Entities per trigger:');
    for (const e of p.entityTriggers) lines.push(`  ${e.path}  ${formatCount(e.entities)}  (${e.emitters.map((x) => `${x.trigger}: ${x.key}`).join('; ')})`);
  }
  const rows = p.sample.rows;
  if (rows.length > 0) {
    const columns = Object.keys(rows[0]);
    const show = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
    const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => show(r[c]).length)));
    lines.push(`Sample (${formatCount(rows.length)} of ${formatCount(p.members)}):`);
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
    .option('--out-dir <dir>', "synthesized output directory (default: cdktf.json's output, or <dir>/cdktf.out)")
    .option('--stack <stack>', 'stack to act on (needed when cdktf.out holds several)')
    .option('--limit <n>', `members to list (0 to ${MAX_SAMPLE})`, String(DEFAULT_SAMPLE))
    .option('--traits <list>', 'comma-separated profile traits to show beside each member (default: the identifiers)')
    .option('--sql', 'print the compiled SQL instead of running it')
    .option('--dialect <dialect>', 'dialect for --sql: duckdb or snowflake (default: the stack warehouse)')
    .option('--now <iso>', 'reference time for relative windows (default: now)')
    .option('--key-check', 'also scan keyed tables for duplicate primary keys (a full aggregate per table: slow on large tables)')
    .option('--json', 'machine-readable output')
    .option('--synth', 'synthesize the app first, even if cdktf.out looks current')
    .option('--no-synth', 'never synthesize; warn when cdktf.out is older than the sources')
    .action(async (key: string, flags: PreviewFlags) => {
      const { limit, traits, now } = parseFlags(flags);
      const { dir, desired } = await loadProject(flags);
      const audience = previewedAudience(desired, key);
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
      const wh = await openWarehouse(desired.warehouse, dir, { readOnly: true, tag: commandTag('preview', desired.stack) });
      try {
        const diagnostics = await checkPreviewCatalog(desired, wh, audience.key, { duplicateKeys: flags.keyCheck === true });
        const preview = await previewAudience(desired, wh, audience.key, { limit, traits, now });
        if (flags.json) printJson({ ...preview, warnings: diagnostics });
        else {
          if (diagnostics.length > 0) process.stderr.write(formatDiagnostics(diagnostics) + '\n');
          process.stdout.write(printable(renderText(preview, (Date.now() - started) / 1000)));
        }
      } finally {
        await wh.close();
      }
    });
}
