import { existsSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { quoteIdent, quoteTable } from '../../src/dialect/identifiers.js';
import { DuckDbWarehouse, duckDbTypeFamily, openDuckDb } from '../../src/warehouse/duckdb.js';
import { WarehouseError } from '../../src/warehouse/errors.js';
import { openWarehouse } from '../../src/warehouse/index.js';
import { tearFile } from '../support/duckdb-kill.js';
import { fixtureArgs } from '../support/fixture-process.js';

const dir = mkdtempSync(join(tmpdir(), 'linked-duckdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let open: DuckDbWarehouse[] = [];
async function memory(): Promise<DuckDbWarehouse> {
  const wh = await openDuckDb(':memory:');
  open.push(wh);
  return wh;
}
afterEach(async () => {
  for (const wh of open) await wh.close();
  open = [];
});

describe('DuckDB adapter', () => {
  it('binds values positionally: quotes, semicolons, comment markers and unicode stay data', async () => {
    const wh = await memory();
    await wh.query('CREATE TABLE t (name VARCHAR, n INTEGER, happened TIMESTAMP)');
    const hostile = ["o'brien", 'x; DROP TABLE t; --', '/* c */ 1=1', 'ünïcødé ☃ 名前', '"quoted"'];
    for (const [i, s] of hostile.entries()) {
      await wh.query('INSERT INTO t VALUES (?, ?, ?::TIMESTAMP)', [s, i, new Date(Date.UTC(2026, 0, i + 1, 12))]);
    }
    const { rows } = await wh.query<{ name: string; n: number; happened: Date }>('SELECT name, n, happened FROM t WHERE name = ? OR n > ? ORDER BY n', [hostile[1], 3]);
    expect(rows).toEqual([
      { name: hostile[1], n: 1, happened: new Date('2026-01-02T12:00:00Z') },
      { name: hostile[4], n: 4, happened: new Date('2026-01-05T12:00:00Z') },
    ]);
    expect((await wh.query<{ c: number }>('SELECT count(*) AS c FROM t')).rows[0].c).toBe(5);
  });

  it('integers keep every digit: past 2^53 as text, whether BIGINT, HUGEINT or DECIMAL(38,0), in range as numbers', async () => {
    const wh = await memory();
    const { rows } = await wh.query(
      `SELECT CAST(9007199254740993 AS BIGINT) AS b, CAST(9007199254740993 AS HUGEINT) AS h, CAST(9007199254740993 AS DECIMAL(38,0)) AS d,
              CAST(7 AS DECIMAL(18,0)) AS small, CAST(1.25 AS DECIMAL(10,2)) AS scaled, [CAST(-9007199254740993 AS DECIMAL(38,0))] AS listed`,
    );
    expect(rows).toEqual([{ b: '9007199254740993', h: '9007199254740993', d: '9007199254740993', small: 7, scaled: 1.25, listed: ['-9007199254740993'] }]);
  });

  it('a stream reads integers as a query does: DECIMAL(38,0) and HUGEINT past 2^53 keep every digit', async () => {
    const wh = await memory();
    await wh.query(`CREATE TABLE ids (d DECIMAL(38,0), h HUGEINT, scaled DECIMAL(10,2))`);
    await wh.query(`INSERT INTO ids VALUES (9007199254740993, 18446744073709551617, 1.25), (-99999999999999999999999999999999999999, -9007199254740993, NULL), (7, 7, 2)`);
    const sql = `SELECT d, h, scaled, [d] AS listed FROM ids ORDER BY h`;
    const streamed: unknown[] = [];
    for await (const page of wh.stream(sql, [], 2)) streamed.push(...page);
    expect(streamed).toEqual([
      { d: '-99999999999999999999999999999999999999', h: '-9007199254740993', scaled: null, listed: ['-99999999999999999999999999999999999999'] },
      { d: 7, h: 7, scaled: 2, listed: [7] },
      { d: '9007199254740993', h: '18446744073709551617', scaled: 1.25, listed: ['9007199254740993'] },
    ]);
    expect(streamed).toEqual((await wh.query(sql)).rows);
  });

  it('quoted identifiers with quotes, semicolons and unicode name real tables and columns', async () => {
    const wh = await memory();
    const schema = 'we"ird;schema';
    const table = `${schema}.tab le; DROP TABLE x --`;
    const col = 'col"umn ☃';
    await wh.query(`CREATE SCHEMA ${quoteIdent('duckdb', schema)}`);
    // quoteTable splits a reference on dots, so the parts themselves carry everything but dots.
    await wh.query(`CREATE TABLE ${quoteIdent('duckdb', schema)}.${quoteIdent('duckdb', 'tab le; DROP TABLE x --')} (${quoteIdent('duckdb', col)} VARCHAR)`);
    await wh.query(`INSERT INTO ${quoteTable('duckdb', table)} VALUES (?)`, ['v']);
    const described = await wh.describeTable(table);
    expect(described?.columns).toEqual([{ name: col, type: 'VARCHAR', family: 'string', nullable: true }]);
    const { rows } = await wh.query(`SELECT ${quoteIdent('duckdb', col)} AS v FROM ${quoteTable('duckdb', table)}`);
    expect(rows).toEqual([{ v: 'v' }]);
  });

  it('describeTable: type families, nullability, case-insensitive names, missing table', async () => {
    const wh = await memory();
    await wh.query(`CREATE TABLE profiles (
      user_id VARCHAR NOT NULL, score INTEGER, balance DOUBLE, amount DECIMAL(12,2), ok BOOLEAN,
      d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, props JSON, tags VARCHAR[], gap INTERVAL, big HUGEINT)`);
    const t = await wh.describeTable('Main.PROFILES');
    expect(t?.name).toBe('Main.PROFILES');
    expect(t?.columns.map((c) => [c.name, c.family])).toEqual([
      ['user_id', 'string'],
      ['score', 'number'],
      ['balance', 'number'],
      ['amount', 'number'],
      ['ok', 'boolean'],
      ['d', 'date'],
      ['ts', 'timestamp'],
      ['tz', 'timestamp'],
      ['props', 'json'],
      ['tags', 'other'],
      ['gap', 'other'],
      ['big', 'number'],
    ]);
    expect(t?.columns[0].nullable).toBe(false);
    expect(t?.columns[1].nullable).toBe(true);
    expect(await wh.describeTable('profiles')).toBeDefined();
    expect(await wh.describeTable('main.nope')).toBeUndefined();
    expect(await wh.describeTable('nope.profiles')).toBeUndefined();
  });

  it('describeTable finds tables of an attached database by two and three part names', async () => {
    const wh = await memory();
    const other = join(dir, 'attached.duckdb');
    await wh.query(`ATTACH ${"'" + other.replace(/'/g, "''") + "'"} AS lake`);
    await wh.query('CREATE TABLE lake.main.orders (id VARCHAR)');
    expect((await wh.describeTable('lake.main.orders'))?.columns.map((c) => c.name)).toEqual(['id']);
    expect((await wh.describeTable('lake.orders'))?.columns.map((c) => c.name)).toEqual(['id']);
    expect(await wh.describeTable('orders')).toBeUndefined();
  });

  it('tableNames: the tables a reference of as many parts can name, as describeTable resolves them', async () => {
    const wh = await memory();
    await wh.query(`ATTACH ${"'" + join(dir, 'names.duckdb').replace(/'/g, "''") + "'"} AS lake`);
    await wh.query('CREATE TABLE lake.main.orders (id VARCHAR)');
    await wh.query('CREATE SCHEMA sales');
    await wh.query('CREATE TABLE sales.invoices (id VARCHAR)');
    await wh.query('CREATE TABLE profiles (id VARCHAR)');
    await wh.query('CREATE VIEW active_profiles AS SELECT * FROM profiles');
    const current = (await wh.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    expect(await wh.tableNames('x')).toEqual(['active_profiles', 'profiles']);
    expect(await wh.tableNames('x.y')).toEqual(['lake.orders', 'main.active_profiles', 'main.profiles', 'sales.invoices', `${current}.active_profiles`, `${current}.profiles`].sort());
    expect(await wh.tableNames('x.y.z')).toEqual(expect.arrayContaining(['lake.main.orders', `${current}.sales.invoices`, `${current}.main.profiles`]));
    // Each name is one describeTable finds.
    for (const name of [...(await wh.tableNames('x')), ...(await wh.tableNames('x.y')), ...(await wh.tableNames('x.y.z'))]) expect(await wh.describeTable(name)).toBeDefined();
  });

  it('streams a large result in pages of the requested size', async () => {
    const wh = await memory();
    const pages: number[] = [];
    let total = 0;
    let last = -1;
    for await (const page of wh.stream<{ i: number }>('SELECT range AS i FROM range(?) ORDER BY i', [25_000], 10_000)) {
      pages.push(page.length);
      for (const r of page) {
        expect(r.i).toBe(last + 1);
        last = r.i;
      }
      total += page.length;
    }
    expect(pages).toEqual([10_000, 10_000, 5_000]);
    expect(total).toBe(25_000);
  });

  it('reads a result of several chunks whole, in order, with two hand-offs to DuckDB for a bound statement and one without', async () => {
    // Each asynchronous call into the driver hands work to DuckDB's threads and waits for a free
    // event loop when it returns: a busy delivery would delay a statement once per such call.
    const calls: string[] = [];
    const traced = <T extends object>(target: T, name: string): T =>
      new Proxy(target, {
        get(t, key, receiver) {
          const value = Reflect.get(t, key, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            const out = value.apply(t, args);
            if (!(out instanceof Promise)) return out;
            calls.push(`${name}.${String(key)}`);
            return out.then((r: unknown) => (r && typeof r === 'object' ? traced(r, r.constructor.name) : r));
          };
        },
      });
    const instance = await DuckDBInstance.create(':memory:');
    const wh = new DuckDbWarehouse(instance, traced(await instance.connect(), 'connection'));
    open.push(wh);
    await wh.query('CREATE TABLE t AS SELECT i AS n, i::VARCHAR AS s, CASE WHEN i % 7 = 0 THEN NULL ELSE TIMESTAMP \'2026-01-01\' + to_seconds(i) END AS seen FROM range(5000) r(i)');
    calls.length = 0;
    const bound = await wh.query<{ n: number; s: string; seen: Date | null }>('SELECT n, s, seen FROM t WHERE n >= ? ORDER BY n', [0]);
    expect(calls).toEqual(['connection.prepare', 'DuckDBPreparedStatement.run']);
    expect(bound.rows).toHaveLength(5000);
    expect(bound.rows.every((r, i) => r.n === i && r.s === String(i))).toBe(true);
    expect(bound.rows[4999]).toEqual({ n: 4999, s: '4999', seen: new Date(Date.UTC(2026, 0, 1) + 4999_000) });
    expect(bound.rows[4998].seen).toBeNull();
    calls.length = 0;
    const plain = await wh.query<{ n: number }>('SELECT n FROM t ORDER BY n DESC');
    expect(calls).toEqual(['connection.run']);
    expect(plain.rows.map((r) => r.n)).toEqual(Array.from({ length: 5000 }, (_, i) => 4999 - i));
  });

  it('reuses the prepared statement of a bound statement run before, until a statement changes the catalog', async () => {
    const calls: string[] = [];
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const prepare = connection.prepare.bind(connection);
    connection.prepare = (sql: string) => (calls.push(sql), prepare(sql));
    const wh = new DuckDbWarehouse(instance, connection);
    open.push(wh);
    await wh.query('CREATE TABLE t (k INTEGER, v VARCHAR)');
    const read = (k: unknown) => wh.query<{ v: string }>('SELECT v FROM t WHERE k = ?', [k]);
    await wh.query('INSERT INTO t VALUES (?, ?)', [1, 'one']);
    await wh.query('INSERT INTO t VALUES (?, ?)', [2, 'two']);
    expect((await read(1)).rows).toEqual([{ v: 'one' }]);
    expect((await read(2)).rows).toEqual([{ v: 'two' }]);
    await wh.transaction(async (tx) => {
      await tx.query('UPDATE t SET v = ? WHERE k = ?', ['uno', 1]);
      expect((await read(1)).rows).toEqual([{ v: 'uno' }]);
    });
    expect(calls).toEqual(['INSERT INTO t VALUES (?, ?)', 'SELECT v FROM t WHERE k = ?', 'UPDATE t SET v = ? WHERE k = ?']);
    // The table again with another key type: a statement kept from before would still bind its
    // value as an INTEGER and fail; it is prepared afresh instead.
    await wh.query('DROP TABLE t');
    await wh.query('CREATE TABLE t (k VARCHAR, v VARCHAR)');
    await wh.query('INSERT INTO t VALUES (?, ?)', ['a', 'letter']);
    expect((await read('a')).rows).toEqual([{ v: 'letter' }]);
    expect(calls.slice(3)).toEqual(['INSERT INTO t VALUES (?, ?)', 'SELECT v FROM t WHERE k = ?']);
  });

  it('transactions commit, roll back on throw, and nested calls join the outer one', async () => {
    const wh = await memory();
    await wh.query('CREATE TABLE t (x INTEGER)');
    await wh.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      await tx.transaction((inner) => inner.query('INSERT INTO t VALUES (2)'));
    });
    await expect(
      wh.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (3)');
        await tx.transaction((inner) => inner.query('INSERT INTO t VALUES (4)'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await wh.query<{ x: number }>('SELECT x FROM t ORDER BY x')).rows.map((r) => r.x)).toEqual([1, 2]);
    // The connection is usable after a rollback.
    await wh.transaction((tx) => tx.query('INSERT INTO t VALUES (5)'));
    expect((await wh.query<{ c: number }>('SELECT count(*) AS c FROM t')).rows[0].c).toBe(3);
  });

  it('concurrent transactions on one connection queue instead of interleaving; inner calls join', async () => {
    const wh = await memory();
    await wh.query('CREATE TABLE t (x INTEGER)');
    const gate: { open?: () => void } = {};
    const opened = new Promise<void>((r) => (gate.open = r));
    const first = wh.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      await opened; // the second flow starts while this transaction is open
      // A call on the warehouse itself, inside this flow, joins rather than deadlocks.
      await wh.transaction((inner) => inner.query('INSERT INTO t VALUES (2)'));
      throw new Error('first fails');
    });
    const second = wh.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (10)');
    });
    gate.open!();
    await expect(first).rejects.toThrow('first fails');
    await second;
    expect((await wh.query<{ x: number }>('SELECT x FROM t ORDER BY x')).rows.map((r) => r.x)).toEqual([10]);
  });

  it('classifies errors: compilation (parser, binder, catalog) vs warehouse errors passed through', async () => {
    const wh = await memory();
    await wh.query('CREATE TABLE t (id VARCHAR PRIMARY KEY)');
    const parse = await wh.query('SELEC 1').catch((e) => e);
    expect(parse).toBeInstanceOf(WarehouseError);
    expect(parse.code).toBe('SQL_COMPILATION');
    expect(parse.message).toMatch(/^SQL compilation error: .*Parser Error/);
    const binder = await wh.query('SELECT missing_column FROM t').catch((e) => e);
    expect(binder.code).toBe('SQL_COMPILATION');
    expect(binder.message).toContain('missing_column');
    const catalog = await wh.query('SELECT * FROM no_such_table').catch((e) => e);
    expect(catalog.code).toBe('SQL_COMPILATION');
    expect(catalog.sql).toBe('SELECT * FROM no_such_table');
    await wh.query("INSERT INTO t VALUES ('a')");
    const constraint = await wh.query("INSERT INTO t VALUES ('a')").catch((e) => e);
    expect(constraint.code).toBe('WAREHOUSE');
    expect(constraint.retryable).toBe(false);
    const inStream = await (async () => {
      for await (const _ of wh.stream('SELECT * FROM no_such_table')) void _;
    })().catch((e) => e);
    expect(inStream.code).toBe('SQL_COMPILATION');
  });

  it('a file warehouse persists across opens; openWarehouse resolves a relative path from the project dir', async () => {
    await (await openDuckDb(join(dir, 'persist.duckdb'))).close();
    const wh = await openWarehouse({ type: 'duckdb', path: 'persist.duckdb', stateSchema: 'LINKED_AUDIENCES' }, dir, { tag: 'linked-audiences:test' });
    await wh.query('CREATE TABLE kept AS SELECT 42 AS v');
    await wh.close();
    await wh.close(); // idempotent
    const again = await openDuckDb(join(dir, 'persist.duckdb'));
    expect((await again.query('SELECT v FROM kept')).rows).toEqual([{ v: 42 }]);
    await again.close();
  });

  it('read-only: reads, refuses writes, and a missing file is reported by openWarehouse', async () => {
    const path = join(dir, 'ro.duckdb');
    const w = await openDuckDb(path);
    await w.query('CREATE TABLE t AS SELECT 1 AS x');
    await w.close();
    const ro = await openDuckDb(path, { readOnly: true });
    try {
      expect((await ro.query('SELECT x FROM t')).rows).toEqual([{ x: 1 }]);
      const err = await ro.query('INSERT INTO t VALUES (2)').catch((e) => e);
      expect(err).toBeInstanceOf(WarehouseError);
      expect(err.message).toMatch(/read-only/i);
    } finally {
      await ro.close();
    }
    const missing = await openWarehouse({ type: 'duckdb', path: 'nope.duckdb', stateSchema: 'LINKED_AUDIENCES' }, dir, { readOnly: true, tag: 'linked-audiences:test' }).catch((e) => e);
    expect(missing.code).toBe('WAREHOUSE_MISSING');
    expect(missing.message).toContain(join(dir, 'nope.duckdb'));
    // A writing open refuses a mistyped path too, and leaves no empty file behind.
    const typo = await openWarehouse({ type: 'duckdb', path: 'bnak.duckdb', stateSchema: 'LINKED_AUDIENCES' }, dir, { tag: 'linked-audiences:test' }).catch((e) => e);
    expect(typo.code).toBe('WAREHOUSE_MISSING');
    expect(existsSync(join(dir, 'bnak.duckdb'))).toBe(false);
  });

  describe('a file held by another process', () => {
    const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hold-lock.ts');
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill();
      child = undefined;
    });

    async function holdLock(path: string, ms: number): Promise<ChildProcess> {
      const c = spawn(process.execPath, [...fixtureArgs(fixture), path, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        c.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
        c.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
      });
      return c;
    }

    it('gives up with a clear WAREHOUSE_BUSY message after the busy timeout', async () => {
      const path = join(dir, 'busy.duckdb');
      child = await holdLock(path, 30_000);
      const err = await openDuckDb(path, { busyTimeoutMs: 300 }).catch((e) => e);
      expect(err.code).toBe('WAREHOUSE_BUSY');
      expect(err.message).toContain('in use by another process');
      expect(err.message).toContain(path);
    });

    it('retries until the other process releases the file', async () => {
      const path = join(dir, 'released.duckdb');
      child = await holdLock(path, 800);
      const wh = await openDuckDb(path, { busyTimeoutMs: 20_000 });
      expect((await wh.query('SELECT count(*) AS c FROM held')).rows).toEqual([{ c: 0 }]);
      await wh.close();
    });

    it('a second open in the same process waits for the first to close, and sees its writes', async () => {
      // Two DuckDB instances on one file in one process would each keep their own state.
      const path = join(dir, 'twice.duckdb');
      const first = await openDuckDb(path);
      await first.query('CREATE TABLE t AS SELECT 1 AS x');
      const err = await openDuckDb(path, { busyTimeoutMs: 200 }).catch((e) => e);
      expect(err.code).toBe('WAREHOUSE_BUSY');
      const second = openDuckDb(join(dir, '.', 'twice.duckdb'), { busyTimeoutMs: 20_000 });
      await new Promise((r) => setTimeout(r, 300));
      await first.query('INSERT INTO t VALUES (2)');
      await first.close();
      const wh = await second;
      expect((await wh.query('SELECT sum(x) AS s FROM t')).rows).toEqual([{ s: 3 }]);
      await wh.close();
    });
  });

  it('a damaged file is a clear, final error that names the likely cause, not a retryable IO error', async () => {
    const file = join(dir, 'damaged.duckdb');
    const wh = await openDuckDb(file);
    await wh.query('CREATE TABLE t AS SELECT range AS x FROM range(100000)');
    await wh.close();
    tearFile(file);
    const error = await openDuckDb(file, { busyTimeoutMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect(error).toMatchObject({ code: 'WAREHOUSE', retryable: false });
    expect((error as Error).message).toMatch(/^IO Error: Corrupt database file: .*\nThe DuckDB file is damaged, most likely by a process killed while DuckDB wrote a checkpoint/s);
  });

  it('LINKED_DUCKDB_THREADS sets the threads of each file opened, one per core without it, and refuses what is not a whole number', async () => {
    const threads = async () => Number((await (await memory()).query<{ t: unknown }>(`SELECT current_setting('threads') AS t`)).rows[0]!.t);
    const saved = process.env.LINKED_DUCKDB_THREADS;
    const plain = await DuckDBInstance.create(':memory:');
    const connection = await plain.connect();
    const perCore = Number((await connection.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0]);
    connection.closeSync();
    plain.closeSync();
    try {
      process.env.LINKED_DUCKDB_THREADS = '3';
      expect(await threads()).toBe(3);
      delete process.env.LINKED_DUCKDB_THREADS;
      expect(await threads()).toBe(perCore);
      process.env.LINKED_DUCKDB_THREADS = 'two';
      await expect(openDuckDb(':memory:')).rejects.toMatchObject({ code: 'INVALID_OPTION', message: 'LINKED_DUCKDB_THREADS must be a whole number from 1 to 9999 (got "two").' });
    } finally {
      if (saved === undefined) delete process.env.LINKED_DUCKDB_THREADS;
      else process.env.LINKED_DUCKDB_THREADS = saved;
    }
  });

  it('type family spellings', () => {
    expect(['VARCHAR', 'INTEGER', 'DECIMAL(18,3)', 'INTERVAL', 'VARCHAR[]', 'STRUCT(a INTEGER)', 'TIMESTAMP WITH TIME ZONE', 'BOOLEAN', 'UUID'].map(duckDbTypeFamily)).toEqual([
      'string',
      'number',
      'number',
      'other',
      'other',
      'other',
      'timestamp',
      'boolean',
      'string',
    ]);
  });
});
