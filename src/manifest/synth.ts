import { spawn, type SpawnOptionsWithStdioTuple } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LinkedError } from '../model/errors.js';

/*
 * `linked synth`: run the user's app as its cdktf.json says, the way `cdktn synth` does, so a
 * project needs no other CLI. cdktn's App writes to $CDKTF_OUTDIR when the app does not set an
 * outdir itself.
 */

/**
 * The `.bin` folder beside the `tsx` this package depends on: it provides `tsx` to apps that use
 * it even when the project did not install tsx itself. Found through module resolution, which
 * holds whether this code runs from src/ or from a bundled chunk of dist/.
 */
function tsxBinDir(): string | undefined {
  const ours = tsxFrom(import.meta.url);
  return ours && join(dirname(ours.dir), '.bin');
}

export interface CdktfJson {
  /** The command that runs the app, e.g. `tsx main.ts`. */
  app: string;
  /** Output directory, relative to the project; default `cdktf.out`. */
  output?: string;
}

export function readCdktfJson(projectDir: string): CdktfJson {
  const file = join(projectDir, 'cdktf.json');
  if (!existsSync(file)) {
    throw new LinkedError('CDKTF_JSON_MISSING', `No cdktf.json in ${projectDir}: a project declares how to run its app there, e.g. {"app": "tsx main.ts"}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LinkedError('CDKTF_JSON_INVALID', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  const app = (json as { app?: unknown }).app;
  const output = (json as { output?: unknown }).output;
  if (typeof app !== 'string' || app.trim() === '') {
    throw new LinkedError('CDKTF_JSON_INVALID', `${file} has no "app" command, e.g. "app": "tsx main.ts".`);
  }
  if (output !== undefined && typeof output !== 'string') throw new LinkedError('CDKTF_JSON_INVALID', `${file}: "output" must be a directory name.`);
  return { app, output };
}

/** Where a project's app writes its stacks. */
export function outDirOf(projectDir: string): string {
  return resolve(projectDir, readCdktfJson(projectDir).output ?? 'cdktf.out');
}

/**
 * Where every command finds a project's synthesized app, and synthesizes it: `--out-dir` as given
 * (a path on the command line, so from the working directory), else cdktf.json's "output" (from
 * the project), else <dir>/cdktf.out. A cdktf.json that cannot be read counts as none here: a
 * synth reports what is wrong with it, and commands that only read the output still run.
 */
export function synthesizedOutDir(projectDir: string, outDir?: string): string {
  if (outDir !== undefined) return resolve(outDir);
  try {
    return outDirOf(projectDir);
  } catch {
    return resolve(projectDir, 'cdktf.out');
  }
}

export interface SynthOptions {
  /** Do not forward the app's own output (it is still kept for the error message). */
  quiet?: boolean;
  /** Write here instead of cdktf.json's output (e.g. a temporary directory). */
  outDir?: string;
}

/**
 * Runs the project's app (cwd = the project directory) and returns the output directory. Stale
 * stacks of a previous synth are removed first, so a deleted stack does not linger.
 */
export async function synthApp(projectDir: string, opts: SynthOptions = {}): Promise<string> {
  const dir = resolve(projectDir);
  const config = readCdktfJson(dir);
  const outDir = opts.outDir ? resolve(opts.outDir) : resolve(dir, config.output ?? 'cdktf.out');
  rmSync(join(outDir, 'stacks'), { recursive: true, force: true });
  rmSync(join(outDir, 'manifest.json'), { force: true });
  // cdktn's App makes only the last folder of its output: a nested "output" (build/cdktf.out) failed.
  mkdirSync(outDir, { recursive: true });

  const PATH = [join(dir, 'node_modules', '.bin'), tsxBinDir(), process.env.PATH ?? ''].filter((p) => p !== undefined).join(delimiter);
  const { code, output } = await run(appCommand(config.app, dir), dir, { ...process.env, PATH, CDKTF_OUTDIR: outDir }, opts.quiet ?? false);
  if (code !== 0) {
    throw new LinkedError('SYNTH_FAILED', `The app (${config.app}) failed in ${dir}:\n${explainFailure(output)}`, { exitCode: code });
  }
  if (!existsSync(join(outDir, 'manifest.json'))) {
    throw new LinkedError('SYNTH_EMPTY', `The app (${config.app}) exited without writing ${join(outDir, 'manifest.json')}: does it call app.synth()?`);
  }
  return outDir;
}

/** How the app starts: a shell command line, or a program and its arguments (no shell). */
type AppCommand = { line: string } | { file: string; args: string[]; line: string };

/**
 * An app that is `tsx <file> [args]` (or `npx tsx ...`), in plain words a shell would pass on as
 * they are, runs as `node --import <tsx's loader> <file> [args]`: what tsx's own CLI starts,
 * without the shell, the CLI's process and (for npx) npm in front of it, which cost a synth about
 * a fifth of its CPU. The project's own tsx is used when it has one, as the shell's PATH would
 * find it first. Anything else runs through the shell.
 */
export function appCommand(app: string, projectDir: string): AppCommand {
  const words = app.trim().split(/\s+/);
  if (words[0] === 'npx') words.shift();
  if (words[0] !== 'tsx' || words.length < 2 || words[1]!.startsWith('-') || !words.every((w) => /^[\w./@%+,:=-]+$/.test(w))) return { line: app };
  const projects = tsxFrom(join(projectDir, 'package.json'));
  // Before tsx 4, tsx was a --loader hook that `--import` does not start: its own CLI runs it.
  if (projects && projects.major < 4) return { line: app };
  const loader = (projects ?? tsxFrom(import.meta.url))?.loader;
  return loader ? { file: process.execPath, args: ['--import', pathToFileURL(loader).href, ...words.slice(1)], line: app } : { line: app };
}

/** The tsx that `from` resolves: its package folder, loader module and major version; undefined when there is none. */
function tsxFrom(from: string): { dir: string; loader: string; major: number } | undefined {
  try {
    const require = createRequire(from);
    const manifest = require.resolve('tsx/package.json');
    const { version } = require(manifest) as { version: string };
    return { dir: dirname(manifest), loader: require.resolve('tsx'), major: Number.parseInt(version, 10) };
  } catch {
    return undefined;
  }
}

function run(command: AppCommand, cwd: string, env: NodeJS.ProcessEnv, quiet: boolean): Promise<{ code: number; output: string }> {
  return new Promise((ok, fail) => {
    const options: SpawnOptionsWithStdioTuple<'ignore', 'pipe', 'pipe'> = { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] };
    const child = 'file' in command ? spawn(command.file, command.args, options) : spawn(command.line, { ...options, shell: true });
    const output: string[] = [];
    const errors: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      // What the app prints goes to our stderr: stdout stays clean for --json.
      if (!quiet) process.stderr.write(chunk);
    });
    // The app's stderr is held back: on failure it feeds the one error message (no echo twice),
    // on success its warnings are shown.
    child.stderr.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      errors.push(chunk.toString());
    });
    child.on('error', (e) => fail(new LinkedError('SYNTH_FAILED', `Cannot run the app (${command.line}): ${e.message}`)));
    child.on('close', (code, signal) => {
      const status = code ?? (signal ? 128 : 1);
      if (status === 0 && !quiet && errors.length > 0) process.stderr.write(errors.join(''));
      ok({ code: status, output: output.join('') });
    });
  });
}

/**
 * The lines that matter: cdktn's validation list ("[path] message") when there is one, else the
 * error line and what follows it, capped.
 */
export function explainFailure(output: string): string {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /Validation failed with the following errors:/.test(l));
  if (start >= 0) {
    const list = lines.slice(start + 1).filter((l) => /^\s+\[/.test(l));
    if (list.length > 0) return `Validation failed:\n${list.map((l) => `  ${l.trim()}`).join('\n')}`;
  }
  // Stack frames inside installed packages and Node itself (tsx's and esbuild's, for a syntax
  // error) say nothing about the app, and this message is shown in a sync status and a pull
  // request: only the app's own frames stay.
  const kept = lines.filter((l) => !/^\s+at .*(node_modules[\\/]|node:internal|\(node:)/.test(l));
  const errorLine = kept.findIndex((l) => /(^|\s)(\w*Error|error)[:[]/.test(l));
  const tail = errorLine >= 0 ? kept.slice(errorLine, errorLine + 12) : kept.slice(-15);
  return tail.join('\n').trimEnd();
}
