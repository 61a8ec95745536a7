import type { Command } from 'commander';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { synthApp, synthesizedOutDir } from '../manifest/index.js';
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
 * Where commands' redirected outputs are remembered: in the synthesized output, which a synth
 * replaces whole, so that only outputs written since the last synth (the only ones that can look
 * newer than it) are listed.
 */
const OUTPUTS_FILE = '.cli-outputs.json';
/** Outputs remembered, the latest kept: more than the steps of a pipeline between two synths. */
const MAX_OUTPUTS = 32;

/** A file by identity and last write. */
interface FileMark {
  dev: number;
  ino: number;
  mtimeMs: number;
}

const sameFile = (a: FileMark, b: Pick<Stats, 'dev' | 'ino'>) => a.dev === b.dev && a.ino === b.ino;

/** The regular files this process's stdout and stderr go to (a shell's `> plan.txt`, `2> err.txt`). */
function redirectedOutputs(): FileMark[] {
  const out: FileMark[] = [];
  for (const fd of [1, 2]) {
    try {
      const s = fstatSync(fd);
      if (s.isFile()) out.push({ dev: s.dev, ino: s.ino, mtimeMs: s.mtimeMs });
    } catch {
      // closed: nothing of ours on disk
    }
  }
  return out;
}

function rememberedOutputs(outDir: string): FileMark[] {
  try {
    const marks = JSON.parse(readFileSync(join(outDir, OUTPUTS_FILE), 'utf8')) as unknown;
    return Array.isArray(marks) ? (marks as FileMark[]) : [];
  } catch {
    return []; // none yet, or unreadable: at worst one synth more
  }
}

let remembering = false;

/**
 * When this command exits, remembers the files its output was redirected to (`linked plan >
 * plan.txt` in the project directory) as they are then: the CLI's output, not the app's sources,
 * they must not make a later command find cdktf.out stale. Edited afterwards, such a file counts
 * as a source again.
 */
export function rememberRedirectedOutput(flags: Pick<SynthFlags, 'dir' | 'outDir'>): void {
  if (remembering) return;
  remembering = true;
  const dir = resolve(flags.dir ?? process.cwd());
  process.on('exit', () => {
    // Read only when there is something to remember: most commands print to a terminal or a pipe.
    const now = redirectedOutputs();
    if (now.length === 0) return;
    try {
      const outDir = synthesizedOutDir(dir, flags.outDir);
      if (!existsSync(join(outDir, 'manifest.json'))) return;
      const kept = rememberedOutputs(outDir).filter((m) => !now.some((n) => sameFile(m, n)));
      writeFileSync(join(outDir, OUTPUTS_FILE), JSON.stringify([...kept, ...now].slice(-MAX_OUTPUTS)));
    } catch {
      // a cdktf.json or an output directory it cannot read or write: a later command may synthesize once more
    }
  });
}

/**
 * The newest source file under the project directory changed after `sinceMs` (default: any), or
 * undefined. Files the CLI itself writes wherever it is told to (a plan of `linked plan --out`,
 * a report of `linked test --junit`) are not sources, whatever their names: they are told apart
 * by their first bytes, read only for the few files newer than the last synth.
 */
export function newestSource(dir: string, outDir: string, sinceMs = -Infinity): SourceFile | undefined {
  // Not sources: what this command's output goes to, and earlier commands' outputs left as they wrote them.
  const writing = redirectedOutputs();
  const written = rememberedOutputs(outDir);
  const isOutput = (s: Stats) => writing.some((o) => sameFile(o, s)) || written.some((o) => sameFile(o, s) && o.mtimeMs === s.mtimeMs);
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
        const stats = statSync(path);
        if (stats.mtimeMs > sinceMs && !isOutput(stats)) changed.push({ path: relative(dir, path), mtimeMs: stats.mtimeMs });
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
  const outDir = synthesizedOutDir(dir, flags.outDir);
  rememberRedirectedOutput(flags);
  const reason = flags.synth === true ? 'asked with --synth' : staleReason(dir, outDir);
  if (!reason) return;
  if (flags.synth === false) {
    const message = `${relative(dir, outDir) || outDir} is out of date (${reason}): run \`linked synth\` first, or drop --no-synth.`;
    if (opts.refuseStale) throw new LinkedError('SYNTH_STALE', message);
    process.stderr.write(`Warning: ${message}\n`);
    return;
  }
  if (!flags.json) process.stderr.write(`Synthesizing (${reason})...\n`);
  await synthApp(dir, { quiet: true, outDir });
}
