import type { Command } from 'commander';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { outDirOf, synthApp } from '../manifest/index.js';
import { LinkedError } from '../model/errors.js';
import { isPlanFileHead } from '../plan/planfile.js';
import { isJUnitReportHead } from '../testing/report.js';

/**
 * The commands that read the synthesized app (plan, apply, preview, validate, events, test-event)
 * synthesize it again when its sources changed since the last synth, so a pipeline that forgot
 * `linked synth` never plans or applies a stale cdktf.out.
 */

export interface SynthFlags {
  dir?: string;
  outDir?: string;
  json?: boolean;
  /** true: --synth (always); false: --no-synth (never; stale output is refused or warned about); undefined: when stale. */
  synth?: boolean;
}

export function withSynthOptions(cmd: Command): Command {
  return cmd
    .option('--synth', 'synthesize the app first, even if cdktf.out looks current')
    .option('--no-synth', 'never synthesize (a pipeline that ran `linked synth` in an earlier step); stale output is an error for plan and apply');
}

/** Not sources: the output, dependencies, state and warehouse files, anything hidden. */
const SKIPPED = new Set(['node_modules', 'cdktf.out', 'coverage', 'dist']);
const NOT_SOURCE = /\.(duckdb|duckdb\.wal|wal|log|tmp)$|\.plan\.json$/;
/** `bank.duckdb.requests/`, `bank.duckdb.waiters/`: what commands sharing a DuckDB file leave beside it. */
const NOT_SOURCE_DIR = /\.(requests|waiters)$/;
/** A project far larger than this is not walked whole; the newest file found so far stands. */
const MAX_FILES = 5_000;

interface SourceFile {
  /** Relative to the project directory. */
  path: string;
  mtimeMs: number;
}

/**
 * The newest source file under the project directory changed after `sinceMs` (default: any), or
 * undefined. Files the CLI itself writes wherever it is told to (a plan of `linked plan --out`,
 * a report of `linked test --junit`) are not sources, whatever their names: they are told apart
 * by their first bytes, read only for the few files newer than the last synth.
 */
export function newestSource(dir: string, outDir: string, sinceMs = -Infinity): SourceFile | undefined {
  const changed: SourceFile[] = [];
  let seen = 0;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (seen >= MAX_FILES || entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (resolve(path) !== outDir && !NOT_SOURCE_DIR.test(entry.name)) walk(path);
      } else if (entry.isFile() && !NOT_SOURCE.test(entry.name)) {
        seen++;
        const mtimeMs = statSync(path).mtimeMs;
        if (mtimeMs > sinceMs) changed.push({ path: relative(dir, path), mtimeMs });
      }
    }
  };
  walk(dir);
  return changed.sort((a, b) => b.mtimeMs - a.mtimeMs).find((f) => !isCliOutput(join(dir, f.path)));
}

/** A plan file or a JUnit report this CLI wrote, by its first bytes. */
export function isCliOutput(path: string): boolean {
  const head = Buffer.alloc(256);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8');
    return isPlanFileHead(text) || isJUnitReportHead(text);
  } catch {
    return false; // unreadable: counted as a source, which at worst synthesizes once more
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Why cdktf.out does not describe the sources any more, or undefined when it does. */
export function staleReason(dir: string, outDir: string): string | undefined {
  const manifest = join(outDir, 'manifest.json');
  if (!existsSync(manifest)) return `${relative(dir, outDir) || outDir} holds no synthesized app`;
  const source = newestSource(dir, outDir, statSync(manifest).mtimeMs);
  return source ? `${source.path} changed after the last synth` : undefined;
}

/**
 * Synthesizes when asked or when the output is stale; with --no-synth, a stale output is an error
 * (`refuseStale`: plan, apply) or a warning. Projects without cdktf.json (an output handed over
 * from elsewhere) are read as they are.
 */
export async function ensureFreshSynth(flags: SynthFlags, opts: { refuseStale: boolean }): Promise<void> {
  const dir = resolve(flags.dir ?? process.cwd());
  if (!existsSync(join(dir, 'cdktf.json'))) return;
  const outDir = flags.outDir ? resolve(dir, flags.outDir) : outDirOf(dir);
  const reason = flags.synth === true ? 'asked with --synth' : staleReason(dir, outDir);
  if (!reason) return;
  if (flags.synth === false) {
    const message = `cdktf.out is out of date (${reason}): run \`linked synth\` first, or drop --no-synth.`;
    if (opts.refuseStale) throw new LinkedError('SYNTH_STALE', message);
    process.stderr.write(`Warning: ${message}\n`);
    return;
  }
  if (!flags.json) process.stderr.write(`Synthesizing (${reason})...\n`);
  await synthApp(dir, { quiet: true, outDir });
}
