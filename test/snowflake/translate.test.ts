import { describe, expect, it } from 'vitest';
import { translate } from '../support/snowflake-emulator/translate.js';

/* The emulation's translator on its own: what it rewrites, and what it refuses by name. */
const now = new Date('2026-11-28T12:00:00Z');
const sql = (sqlText: string, binds: { type: string; value: unknown }[] = []) => translate({ sqlText, binds, now }).sql;

describe('Snowflake -> DuckDB translation', () => {
  it('resolves names: unquoted to upper case, quoted as written, each encoded for DuckDB', () => {
    expect(sql(`SELECT p.id AS n FROM main.profiles p`)).toBe(`SELECT "^P"."^I^D" AS "^N" FROM "^M^A^I^N"."^P^R^O^F^I^L^E^S" "^P"`);
    expect(sql(`SELECT "P"."id é ""q""" FROM "s^x"."t"`)).toBe(`SELECT "^P"."id é ""q""" FROM "s^^x"."t"`);
  });

  it('inlines binds with the type the driver bound, in text order', () => {
    expect(sql(`SELECT DATEADD(DAY, ?, CAST(? AS TIMESTAMP)) AS t WHERE ? AND x = ?`, [
      { type: 'FIXED', value: '-7' },
      { type: 'TEXT', value: "2026-11-28 o'clock" },
      { type: 'BOOLEAN', value: 'true' },
      { type: 'TEXT', value: null },
    ])).toBe(`SELECT (CAST('2026-11-28 o''clock' AS TIMESTAMP) + to_days(CAST((-7) AS INTEGER))) AS "^T" WHERE TRUE AND "^X" = NULL`);
  });

  it('rewrites the functions the printer uses', () => {
    expect(sql(`SELECT CAST(STRIP_NULL_VALUE(GET_PATH(PARSE_JSON(v), 'a')) AS VARCHAR), TRY_TO_DOUBLE(s), CONTAINS(s, 'x'), IFF(b, 1, 2) FROM t`)).toBe(
      `SELECT sf_variant_text(sf_strip_null(json_extract(CAST(CAST("^V" AS JSON) AS JSON), sf_json_path('a')))), TRY_CAST("^S" AS DOUBLE), contains("^S", 'x'), (CASE WHEN "^B" THEN 1 ELSE 2 END) FROM "^T"`,
    );
    expect(sql(`SELECT x FROM t ORDER BY x DESC`)).toBe(`SELECT "^X" FROM "^T" ORDER BY "^X" DESC NULLS FIRST`);
    expect(sql(`CREATE TABLE t (id VARCHAR(10) NOT NULL PRIMARY KEY, n NUMBER(38,0), a NUMBER(10,2), v VARIANT, UNIQUE (n))`)).toBe(
      `CREATE TABLE "^T" ("^I^D" VARCHAR NOT NULL, "^N" BIGINT, "^A" DECIMAL(10, 2), "^V" JSON)`,
    );
    expect(sql(`SELECT CURRENT_TIMESTAMP()`)).toBe(`SELECT (TIMESTAMPTZ '2026-11-28T12:00:00.000Z')`);
  });

  it('refuses what it does not translate, naming the construct and the statement', () => {
    expect(() => sql(`SELECT ARRAY_AGG(x) FROM t`)).toThrow(/Unsupported feature 'function ARRAY_AGG'.*Statement: SELECT ARRAY_AGG/);
    expect(() => sql(`SELECT v:a FROM t`)).toThrow(/variant path operator :/);
    expect(() => sql(`MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE`)).toThrow(/'MERGE'/);
    expect(() => sql(`CREATE INDEX i ON t (a)`)).toThrow(/'CREATE INDEX'/);
    expect(() => sql(`SELECT 1; SELECT 2`)).toThrow(/statement count 2/);
    expect(() => sql(`SELECT ?`)).toThrow(/Bind variable \? not set/);
  });
});
