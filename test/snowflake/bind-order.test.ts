import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addInterval, cast, param, select } from '../../src/dialect/ast.js';
import { SnowflakePrinter, printSql } from '../../src/dialect/printer.js';
import type { SnowflakeWarehouse } from '../../src/warehouse/snowflake.js';
import { emulatedSnowflake } from '../support/snowflake-emulator/connect.js';

/*
 * The emulation catches what a parse cannot: a printer that binds values in the order it visits
 * the AST instead of the order the text places them (Snowflake's DATEADD writes the amount before
 * the timestamp). The same statement printed by such a printer fails on the emulation as it would
 * on an account; printed by the project's printer it runs and answers right.
 */
class VisitOrderPrinter extends SnowflakePrinter {
  private visited: unknown[] = [];
  protected override param(value: unknown): string {
    this.visited.push(value);
    return super.param(value);
  }
  override print(statement: Parameters<typeof printSql>[1]) {
    this.visited = [];
    const { sql } = super.print(statement);
    return { sql, params: this.visited };
  }
}

describe('values are bound in the order the Snowflake text places them', () => {
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  let wh: SnowflakeWarehouse;
  beforeAll(async () => {
    env = await emulatedSnowflake();
    wh = env.wh;
  });
  afterAll(async () => {
    await env.close();
  });

  const weekBefore = select({ t: addInterval(cast(param('2026-12-05 07:16:15.584'), 'TIMESTAMP'), param(-7), 'days') });

  it('the project printer: DATEADD(DAY, amount, timestamp) with the amount bound first runs', async () => {
    const q = printSql('snowflake', weekBefore);
    expect(q.sql).toMatch(/DATEADD\(DAY, \?, CAST\(\? AS TIMESTAMP\)\)/);
    expect(q.params).toEqual([-7, '2026-12-05 07:16:15.584']);
    const { rows } = await wh.query<{ T: Date }>(q.sql, q.params);
    expect(new Date(rows[0]!.T).toISOString()).toBe('2026-11-28T07:16:15.584Z');
  });

  it('a printer that binds in visit order sends the timestamp as the amount, and Snowflake refuses it', async () => {
    const q = new VisitOrderPrinter().print(weekBefore);
    expect(q.params).toEqual(['2026-12-05 07:16:15.584', -7]);
    await expect(wh.query(q.sql, q.params)).rejects.toThrow(/Numeric value '2026-12-05 07:16:15.584' is not recognized/);
  });
});
