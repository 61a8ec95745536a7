import { closeSync, copyFileSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';

/**
 * One round of a kill test on a DuckDB file (start, SIGKILL, reopen, check), repeated once from a
 * copy of the file taken before it when the reopen finds the file torn. DuckDB 1.5.6 can tear a
 * metadata block when a process dies during a checkpoint, about one kill in 500
 * (docs/warehouses.md; `scripts/duckdb-sigkill-repro.mjs` reproduces it without our code): such a
 * file says nothing about our writes. Any other failure, and a second torn file, fail the test.
 */
export async function killRoundOnDuckDb<T>(file: string, round: () => Promise<T>): Promise<T> {
  const files = [file, `${file}.wal`];
  const copies = files.map((f) => `${f}.before-kill`);
  files.forEach((f, i) => (existsSync(f) ? copyFileSync(f, copies[i]!) : rmSync(copies[i]!, { force: true })));
  try {
    return await round();
  } catch (e) {
    if (!/Corrupt database file/.test(String((e as Error)?.message))) throw e;
    process.stderr.write(`killRoundOnDuckDb: ${file} was torn by the kill (DuckDB's checkpoint bug); the round runs again from the copy taken before it\n`);
    files.forEach((f, i) => (existsSync(copies[i]!) ? copyFileSync(copies[i]!, f) : rmSync(f, { force: true })));
    return await round();
  } finally {
    copies.forEach((c) => rmSync(c, { force: true }));
  }
}

/** What a kill during DuckDB's checkpoint leaves: the file's first metadata block failing its checksum. */
export function tearFile(file: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(64, 0xab), 0, 64, 3 * 4096 + 100);
  closeSync(fd);
}
