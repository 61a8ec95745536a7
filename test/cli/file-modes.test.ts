import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../plan/fixtures.js';
import { linked, makeProject } from '../plan/cli-project.js';

/*
 * What linked creates holds the warehouse's rows and the destinations' answers: readable by its
 * owner only. What the user created keeps its mode, and so do the sources of a new project. Run
 * under a umask that would make files readable by all (022), as a shell's default is.
 */

const modeOf = (path: string) => statSync(path).mode & 0o777;

let savedUmask: number | undefined;
afterEach(() => {
  if (savedUmask !== undefined) process.umask(savedUmask);
  savedUmask = undefined;
});

/** The modes `path` had while `during` ran, looked at every millisecond (DuckDB works off the event loop). */
async function modesWhile(path: string, during: () => Promise<unknown>): Promise<Set<number>> {
  const seen = new Set<number>();
  const look = () => {
    try {
      seen.add(modeOf(path));
    } catch {
      // not there at this moment
    }
  };
  const timer = setInterval(look, 1);
  try {
    await during();
  } finally {
    clearInterval(timer);
  }
  return seen;
}

describe("the files linked creates are its owner's only", () => {
  it("a saved plan, an example's DuckDB file and the write-ahead log of the user's DuckDB file are 0600; the user's file and a new project's sources keep the user's mode", async () => {
    savedUmask = process.umask(0o022);
    const { dir } = await makeProject();
    const file = join(dir, 'w.duckdb');
    chmodSync(file, 0o644);

    const plan = await linked(['plan', '--out', join(dir, 'plan.json'), '--dir', dir, '--no-synth']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(modeOf(join(dir, 'plan.json'))).toBe(0o600);

    // The apply writes the state into the user's file: DuckDB logs the writes in w.duckdb.wal first.
    const wal = await modesWhile(`${file}.wal`, async () => {
      const apply = await linked(['apply', join(dir, 'plan.json'), '--dir', dir, '--no-synth']);
      expect(apply.status, apply.stderr).toBe(0);
    });
    expect([...wal]).toEqual([0o600]);
    expect(modeOf(file)).toBe(0o644);

    const example = await linked(['example', 'bank', '--profiles', '20', '--out', join(dir, 'example.duckdb')]);
    expect(example.status, example.stderr).toBe(0);
    expect(modeOf(join(dir, 'example.duckdb'))).toBe(0o600);

    const project = join(tempDir('linked-init-'), 'project');
    const init = await linked(['init', project, '--json', '--package', 'file:../x.tgz']);
    expect(init.status, init.stderr).toBe(0);
    expect(modeOf(join(project, 'main.ts'))).toBe(0o644);

    // Each command put this process's umask back as it found it.
    expect(process.umask(0o022)).toBe(0o022);
  });
});
