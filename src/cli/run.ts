import { CommanderError, type Command } from 'commander';
import { isLinkedError } from '../model/errors.js';
import { printableJson } from '../model/printable.js';
import { createOwnerOnlyFiles } from './owner-only-files.js';

/** Exit codes shared by every command (Terraform's, for plan --detailed-exitcode). */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const;

/**
 * Runs the program and turns errors into a one-line message and exit code 1
 * (a stack trace only with --debug).
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  exitQuietlyWhenTheReaderLeaves();
  const restoreUmask = createOwnerOnlyFiles();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    // Thrown only under exitOverride (the program run inside another process): commander has
    // printed the usage error, help or version already.
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    const debug = argv.includes('--debug');
    const json = argv.includes('--json');
    if (json) {
      const err = isLinkedError(e) ? { code: e.code, message: e.message, details: e.details } : { code: 'INTERNAL', message: String((e as Error)?.message ?? e) };
      printJson({ error: err });
    } else {
      const msg = isLinkedError(e) ? `Error [${e.code}]: ${e.message}` : `Error: ${(e as Error)?.message ?? e}`;
      process.stderr.write(msg + '\n');
    }
    if (debug && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
    process.exitCode = EXIT.error;
  } finally {
    restoreUmask();
  }
}

/** Prints a value as JSON on stdout: the `--json` form of every command (what would steer a terminal escaped). */
export function printJson(value: unknown): void {
  process.stdout.write(printableJson(value, 2) + '\n');
}

/** Prints a value as one line of JSON on stdout: the `--json` stream of a daemon (an object per run, pass or sync). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(printableJson(value) + '\n');
}

let watchingReader = false;

/**
 * `linked deliveries | head`: once the reader closes the pipe, the rest of the output has nowhere to
 * go; stop as Unix tools do, without a stack trace.
 */
function exitQuietlyWhenTheReaderLeaves(): void {
  if (watchingReader) return;
  watchingReader = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? EXIT.ok);
  });
}
