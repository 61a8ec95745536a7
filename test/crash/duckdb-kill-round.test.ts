import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { killRoundOnDuckDb, tearFile } from '../support/duckdb-kill.js';

const dir = mkdtempSync(join(tmpdir(), 'linked-kill-round-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function fileWithRows(name: string): Promise<string> {
  const file = join(dir, name);
  const wh = await openDuckDb(file);
  await wh.query('CREATE TABLE t AS SELECT range AS x FROM range(100000)');
  await wh.close();
  return file;
}

async function count(file: string): Promise<number> {
  const wh = await openDuckDb(file, { busyTimeoutMs: 0 });
  try {
    return Number((await wh.query<{ n: number }>('SELECT count(*) AS n FROM t')).rows[0]!.n);
  } finally {
    await wh.close();
  }
}

describe('a kill round on a DuckDB file (the test helper for DuckDB checkpoint tears)', () => {
  it('repeats a round whose file was torn, from the copy taken before it, and leaves no copy behind', async () => {
    const file = await fileWithRows('torn-once.duckdb');
    let rounds = 0;
    const n = await killRoundOnDuckDb(file, async () => {
      if (++rounds === 1) tearFile(file);
      return count(file);
    });
    expect(rounds).toBe(2);
    expect(n).toBe(100000);
    expect(existsSync(`${file}.before-kill`)).toBe(false);
  });

  it('fails on a second tear and on any other error, without repeating those', async () => {
    const twice = await fileWithRows('torn-twice.duckdb');
    await expect(killRoundOnDuckDb(twice, async () => (tearFile(twice), count(twice)))).rejects.toThrow(/Corrupt database file/);
    const other = await fileWithRows('other.duckdb');
    let rounds = 0;
    await expect(
      killRoundOnDuckDb(other, async () => {
        rounds++;
        throw new Error('replay mismatch');
      }),
    ).rejects.toThrow('replay mismatch');
    expect(rounds).toBe(1);
  });
});
