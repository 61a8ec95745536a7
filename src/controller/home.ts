import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../github/git.js';
import { displayUrl } from '../github/redact.js';

/*
 * The home of a `linked run --git` controller (its --dir), which other commands read with the
 * same --dir. Light on purpose: `linked status` reads it without loading the controller.
 */

/** The controller's home holds the last good synth as a project's cdktf.out, for every other command. */
export const lastSynthOf = (dir: string) => join(dir, 'cdktf.out');

/** Where the controller keeps its checkout unless given `--workdir`. */
export const defaultCheckoutOf = (dir: string) => join(dir, '.linked', 'checkout');

/** What the controller's checkout says of its sync: where it pulls from, and the commit it holds. */
export interface CheckoutView {
  checkout: string;
  /** The repository, credentials removed. */
  source: string | null;
  branch: string | null;
  /** Null while the first clone is under way. */
  commit: string | null;
}

/**
 * The checkout of the controller whose home is `dir` (at the default place), if there is one: a
 * home with a checkout and no sync on record is a controller before its first completed sync.
 */
export async function readCheckout(dir: string): Promise<CheckoutView | undefined> {
  const checkout = defaultCheckoutOf(dir);
  if (!existsSync(join(checkout, '.git'))) return undefined;
  const read = (args: string[]) => git(args, { cwd: checkout, timeoutMs: 10_000 }).then((out) => out.trim() || null, () => null);
  const [source, head] = await Promise.all([read(['remote', 'get-url', 'origin']), read(['rev-parse', 'HEAD', '--abbrev-ref', 'HEAD'])]);
  const [commit, branch] = head?.split('\n') ?? [];
  return { checkout, source: source === null ? null : displayUrl(source), branch: branch ?? null, commit: commit ?? null };
}
