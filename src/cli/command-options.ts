import type { Command } from 'commander';
import { isoDateProblem } from '../model/common.js';
import { LinkedError } from '../model/errors.js';
import { rememberRedirectedOutput } from './synth-freshness.js';

/** Options every state command shares: where the project is and which stack. */
export interface ProjectFlags {
  dir?: string;
  outDir?: string;
  stack?: string;
  json?: boolean;
  /** The command run (`status`, `state-list`): set by withProjectOptions, not a flag. */
  command: string;
}

export function withProjectOptions(cmd: Command): Command {
  return (
    cmd
      .option('--dir <dir>', 'project directory (holds cdktf.json and cdktf.out)', process.cwd())
      .option('--out-dir <dir>', "synthesized output directory (default: cdktf.json's output, or <dir>/cdktf.out)")
      .option('--stack <stack>', 'stack to act on (needed when cdktf.out holds several)')
      .option('--json', 'machine-readable output')
      // Travels with the flags to the warehouse it opens: the query tag of its statements.
      .hook('preAction', (_, action) => {
        action.setOptionValue('command', commandName(action));
        // `linked status > status.txt` in the project: the file is output, not a source of the app.
        rememberRedirectedOutput(action.opts<ProjectFlags>());
      })
  );
}

/** A command's words after `linked`, joined by hyphens: `state list` is `state-list`. */
function commandName(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join('-');
}

export const projectOptions = (f: ProjectFlags) => ({ dir: f.dir, outDir: f.outDir, stack: f.stack, command: f.command });

/** A flag's value as a whole number of at least 1; anything else (`2.5`, `10k`, `0`) is INVALID_OPTION naming the flag. */
export function positiveInt(value: string, flag: string): number {
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n) || n <= 0 || String(n) !== value.trim()) throw new LinkedError('INVALID_OPTION', `${flag} must be a positive whole number (got "${value}").`);
  return n;
}

/**
 * `--now <iso>`: an ISO-8601 date or timestamp that exists in the calendar, judged as date
 * literals are (JavaScript's Date would roll 1997-02-30 over to March); INVALID_ARGUMENT otherwise.
 */
export function parseNow(value: string): Date {
  const problem = isoDateProblem(value);
  if (problem === 'shape') throw new LinkedError('INVALID_ARGUMENT', `--now must be an ISO-8601 date or timestamp, got "${value}"`);
  if (problem) throw new LinkedError('INVALID_ARGUMENT', `--now "${value}" is not a valid ${problem.invalid}: ${problem.why}`);
  return new Date(value);
}
