import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * One temporary folder per run of the suite, which the workers and every process they start use as
 * their TMPDIR, removed when the run ends. Some tests leave their DuckDB files, projects and
 * repositories behind (a killed child, a failure before the cleanup); without this, each run left
 * hundreds of MB in the machine's temp folder, run after run. LINKED_KEEP_TEST_TMP=1 keeps it, to
 * look at what a failed test wrote.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'linked-test-run-'));
  process.env.TMPDIR = dir;
  return () => {
    if (process.env.LINKED_KEEP_TEST_TMP === '1') process.stderr.write(`test files kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
