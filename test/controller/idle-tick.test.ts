import { expect, it } from 'vitest';
import { Controller } from '../../src/controller/controller.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { SCHEMA } from '../compute/helpers.js';
import { recordingWarehouse, type RecordedStatement } from '../support/recording-warehouse.js';
import { twoAudiences } from './two-audiences.js';

/*
 * A serving controller ticks every few seconds for months, mostly with nothing due. On Snowflake
 * each statement of such a tick is a round trip, and each write keeps the warehouse running, so an
 * idle tick reads what it must once and writes only its heartbeat.
 */
it('a tick with nothing due: no DDL, the statuses read once, the heartbeat its only write', async () => {
  const path = await twoAudiences(['a', 'b']);

  let statements: RecordedStatement[] = [];
  const controller = new Controller({
    schema: SCHEMA,
    open: async () => {
      const recorded = recordingWarehouse(await openDuckDb(path));
      statements = recorded.statements;
      return recorded.wh;
    },
  });
  expect((await controller.tick()).runs.map((r) => r.audienceKey).sort()).toEqual(['a', 'b']);

  expect((await controller.tick()).due).toEqual([]);
  const sql = statements.map((s) => s.sql.replace(/\s+/g, ' '));
  expect(sql.filter((s) => /^(CREATE|ALTER|DROP)\b/i.test(s))).toEqual([]);
  expect(sql.filter((s) => /FROM "LINKED_AUDIENCES"\."audience_status"/.test(s))).toHaveLength(1);
  expect(sql.filter((s) => /^(INSERT|UPDATE|DELETE|MERGE)\b/i.test(s)).map((s) => s.slice(0, 40))).toEqual(['UPDATE "LINKED_AUDIENCES"."controllers" ']);
});
