import { describe, expect, it } from 'vitest';
import { addInterval, and, arith, cast, col, compare, compiled, derived, except, fn, insert, param, ref, select, star, stateTable, sysCol, table, unionAll, update, values, valuesTable } from '../../src/dialect/ast.js';
import { printSql } from '../../src/dialect/printer.js';
import type { Dialect } from '../../src/dialect/dialect.js';

/** The statement with each `?` replaced by its value, as the warehouse binds them. */
function bound(dialect: Dialect, statement: Parameters<typeof printSql>[1]): string {
  const { sql, params } = printSql(dialect, statement);
  let i = 0;
  const text = sql.replace(/\?/g, () => JSON.stringify(params[i++]));
  expect(i).toBe(params.length);
  return text;
}

describe('printer: values follow the printed text', () => {
  const now = '2026-12-05 07:16:15.584';
  const windowed = select([{ expr: col('e', 'ts'), as: 'ts' }], {
    from: table('db.events', 'e'),
    where: and(compare('>=', col('e', 'ts'), addInterval(cast(param(now), 'TIMESTAMP'), param(-7), 'days')), compare('=', col('e', 'name'), param('Paid'))),
  });

  it('Snowflake DATEADD binds the amount, then the timestamp', () => {
    expect(bound('snowflake', windowed)).toContain(`DATEADD(DAY, -7, CAST("${now}" AS TIMESTAMP))`);
  });

  it('DuckDB interval arithmetic binds the timestamp, then the amount', () => {
    expect(bound('duckdb', windowed)).toContain(`(CAST("${now}" AS TIMESTAMP) + to_days(CAST(-7 AS INTEGER)))`);
  });

  it('values after a reordered construct keep their place', () => {
    expect(printSql('snowflake', windowed).params).toEqual([-7, now, 'Paid']);
    expect(printSql('duckdb', windowed).params).toEqual([now, -7, 'Paid']);
  });
});

describe('printer: statements', () => {
  const runs = { schema: 'my "state"', name: 'runs' };

  it('prints state tables quoted as created, their columns as unquoted names resolve', () => {
    const q = select([{ expr: ref('status'), as: 'status' }], { from: stateTable(runs), where: compare('=', ref('audience_key'), param('a')), limit: 3 });
    expect(printSql('snowflake', q).sql).toBe('SELECT "STATUS" AS "STATUS"\nFROM "my ""state"""."runs"\nWHERE "AUDIENCE_KEY" = ?\nLIMIT 3');
    expect(printSql('duckdb', q).sql).toBe('SELECT "status" AS "status"\nFROM "my ""state"""."runs"\nWHERE "audience_key" = ?\nLIMIT 3');
  });

  it('prints INSERT ... VALUES, INSERT ... SELECT and UPDATE with their values in order', () => {
    expect(printSql('duckdb', insert(runs, ['id', 'status'], values([param('r1'), param('Live')])))).toEqual({
      sql: 'INSERT INTO "my ""state"""."runs" ("id", "status")\nVALUES (?, ?)',
      params: ['r1', 'Live'],
    });
    const copy = insert(runs, ['id'], unionAll(select({ id: param('a') }), select({ id: param('b') })));
    expect(printSql('duckdb', copy).params).toEqual(['a', 'b']);
    expect(printSql('duckdb', copy).sql).toContain('UNION ALL');
    expect(printSql('duckdb', update(runs, { status: param('Failed') }, compare('=', ref('id'), param('r1'))))).toEqual({
      sql: 'UPDATE "my ""state"""."runs" SET "status" = ?\nWHERE "id" = ?',
      params: ['Failed', 'r1'],
    });
  });

  it('prints EXCEPT between two selects, values in order', () => {
    expect(printSql('duckdb', except(select({ id: param('a') }), select({ id: param('b') })))).toEqual({
      sql: 'SELECT ? AS "id"\nEXCEPT\nSELECT ? AS "id"',
      params: ['a', 'b'],
    });
  });

  it('indents every select of a union inside a derived table alike', () => {
    const inner = unionAll(select({ id: param('a') }), select({ id: param('b') }));
    expect(printSql('duckdb', select([star()], { from: derived(inner, 'u') })).sql).toBe('SELECT *\nFROM (\n  SELECT ? AS "id"\n  UNION ALL\n  SELECT ? AS "id"\n) AS "u"');
  });

  it('prints CURRENT_DATABASE() as a function without arguments', () => {
    expect(printSql('snowflake', select({ d: fn('CURRENT_DATABASE') })).sql).toBe('SELECT CURRENT_DATABASE() AS "D"');
  });

  it('refuses a limit that is not a whole number', () => {
    expect(() => printSql('duckdb', select({ one: param(1) }, { limit: 1.5 }))).toThrow(/whole number/);
  });

  it('prints rows made in memory as a VALUES table with named columns, and MD5', () => {
    const rows = valuesTable([[param('u1'), param('a1')], [param('u2'), param(null)]], 'v', ['profile_id', 'entity_id']);
    const q = select({ profile_id: sysCol('v', 'profile_id'), h: fn('MD5', arith('||', param('k:'), sysCol('v', 'entity_id'))) }, { from: rows });
    expect(printSql('snowflake', q)).toEqual({
      sql: 'SELECT "V"."PROFILE_ID" AS "PROFILE_ID", MD5(? || "V"."ENTITY_ID") AS "H"\nFROM (VALUES (?, ?), (?, ?)) AS "V"("PROFILE_ID", "ENTITY_ID")',
      params: ['k:', 'u1', 'a1', 'u2', null],
    });
    expect(printSql('duckdb', q).sql).toContain('FROM (VALUES (?, ?), (?, ?)) AS "v"("profile_id", "entity_id")');
  });
});

describe('printer: a printed query embedded as a derived table', () => {
  const stage = { schema: 'S', name: 'membership_stage' };
  const q = { sql: `SELECT "a?b" AS profile_id FROM t WHERE x = ? AND y = 'k?' AND z = ?`, params: [1, 2] };

  it('binds its placeholders after the values printed before it, skipping quoted text', () => {
    const s = insert(stage, ['run_id', 'profile_id'], select([{ expr: param('r1'), as: 'run_id' }, { expr: sysCol('m', 'profile_id'), as: 'profile_id' }], { from: compiled(q, 'm'), where: compare('=', sysCol('m', 'profile_id'), param('p')) }));
    const printed = printSql('duckdb', s);
    expect(printed.params).toEqual(['r1', 1, 2, 'p']);
    expect(printed.sql).toContain(`FROM (\nSELECT "a?b" AS profile_id FROM t WHERE x = ? AND y = 'k?' AND z = ?\n) AS "m"`);
  });

  it('refuses text whose placeholders do not match its values', () => {
    expect(() => printSql('duckdb', select({ x: ref('x') }, { from: compiled({ sql: 'SELECT ? AS x', params: [] }, 'm') }))).toThrow(/placeholders/);
    expect(() => printSql('duckdb', select({ x: ref('x') }, { from: compiled({ sql: 'SELECT 1 AS x', params: [1] }, 'm') }))).toThrow(/does not match/);
    expect(() => printSql('duckdb', select({ x: ref('x') }, { from: compiled({ sql: `SELECT 'x AS x`, params: [] }, 'm') }))).toThrow(/does not match/);
  });
});
