import { buildProgram } from '../../src/cli/program.js';
import { runCli } from '../../src/cli/run.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  /** Variables set (or, when undefined, removed) for the command's duration. */
  env?: NodeJS.ProcessEnv;
}

let running = false;

/**
 * Runs one `linked` command line inside this process, as bin/linked.js would in a child: the same
 * program, argument parsing, error rendering and exit code, with stdout and stderr captured. It
 * spares a test the start of a Node process and the loading of the CLI's modules for each command
 * (the point of tests that run many short commands); the tests about processes themselves (signals,
 * crashes, the built bin, TTYs) still spawn the real one. Commands run one at a time: the output
 * capture and the environment are the process's own. Give `--dir`: the working directory is this
 * process's.
 */
export async function linkedInProcess(args: readonly string[], options: InProcessOptions = {}): Promise<CliResult> {
  if (running) throw new Error('linkedInProcess: one command at a time (output and environment are process-wide)');
  running = true;
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (into: string[]) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  const env = { NO_COLOR: '1', ...options.env };
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedExitCode = process.exitCode;
  try {
    for (const [k, v] of Object.entries(env)) setEnv(k, v);
    process.exitCode = undefined;
    process.stdout.write = capture(out);
    process.stderr.write = capture(err);
    const program = await buildProgram(args, { exitOverride: true });
    await runCli(program, [process.execPath, 'linked', ...args]);
    return { status: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    process.exitCode = savedExitCode;
    for (const [k, v] of Object.entries(savedEnv)) setEnv(k, v);
    running = false;
  }
}

function setEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
