import { createInterface } from 'node:readline/promises';
import { LinkedError } from '../model/errors.js';

/** Colour only on a TTY, and never when NO_COLOR is set or --no-color was given. */
export function useColor(stream: NodeJS.WriteStream, flag: boolean | undefined = true): boolean {
  return flag !== false && !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/**
 * `linked apply` without a plan file: asks on a TTY; elsewhere demands --auto-approve. `stop`
 * (a signal to the process) ends the question as a "no".
 */
export async function confirmApply(stack: string, stop?: AbortSignal): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new LinkedError(
      'APPLY_NEEDS_APPROVAL',
      'Not a terminal: cannot ask for confirmation. Pass --auto-approve (pipelines), or apply a saved plan: `linked plan --out plan.json` then `linked apply plan.json`.',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  // Ctrl-C at the prompt is a "no": the caller then releases the state lock instead of leaving it.
  const interrupted = new AbortController();
  rl.on('SIGINT', () => interrupted.abort());
  stop?.addEventListener('abort', () => interrupted.abort(), { once: true });
  try {
    const answer = await rl.question(`\nApply these changes to stack "${stack}"? Only 'yes' will be accepted: `, { signal: interrupted.signal });
    return answer.trim() === 'yes';
  } catch (e) {
    if (interrupted.signal.aborted) return false;
    throw e;
  } finally {
    rl.close();
  }
}

/**
 * A plan's diagnostics once more, on stderr, for when stdout goes elsewhere (a file, a pipe): on a
 * terminal the plan just printed shows them already, and a third copy of each error only buries it.
 */
export function repeatOnStderr(summary: string): void {
  if (!process.stdout.isTTY) process.stderr.write(summary);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `5m`, `500ms`, `1h`, or a bare number of seconds. */
export function parseDuration(text: string, option = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new LinkedError('INVALID_ARGUMENT', `${option} must be a duration such as 30s, 5m or 500ms (got "${text}").`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']);
}
