import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linked } from '../plan/cli-project.js';
import { desired, rawDesired, tempDir, writeManifest } from '../plan/fixtures.js';
import { emulatedConfig, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';
import { startSnowflakeEmulator, type SnowflakeEmulator } from '../support/snowflake-emulator/index.js';

/*
 * Every statement a command sends to Snowflake carries a QUERY_TAG naming what runs it, after the
 * team's `queryTag`: the state's migrations, apply's lock and writes (BEGIN and COMMIT included),
 * the reports. The emulation records each statement's parameters as snowflake-sdk sent them.
 */
describe('the query tag of every statement of a command, on the Snowflake emulation', () => {
  let emulator: SnowflakeEmulator;
  let dir: string;
  const env = { SF_EMULATED_PASSWORD: EMULATED_PASSWORD, HOOK_TOKEN: 'canary-hook-token-6d02' };

  beforeAll(async () => {
    emulator = await startSnowflakeEmulator({ password: EMULATED_PASSWORD });
    for (const ddl of [
      `CREATE TABLE "main"."profiles" ("user_id" VARCHAR, "email" VARCHAR, "plan" VARCHAR, "account_id" VARCHAR)`,
      `CREATE TABLE "main"."accounts" ("id" VARCHAR, "balance" FLOAT)`,
      `CREATE TABLE "main"."cards" ("id" VARCHAR, "account_id" VARCHAR)`,
    ]) {
      await emulator.seed(ddl, [], 'ANALYTICS', 'main');
    }
    dir = tempDir('la-sf-tags-');
    const raw = rawDesired('unused', 2);
    // The fixture's tables are named in lower case, so one-part names are not used: no schema.
    raw.warehouse = { ...emulatedConfig(emulator.url, { queryTag: 'team=crm' }), schema: undefined };
    writeManifest(dir, desired(raw));
  });
  afterAll(async () => {
    await emulator?.close();
  });

  /** Runs a command; the QUERY_TAG of each statement it sent, with the statement's first words. */
  const statementsOf = async (...args: string[]) => {
    const before = emulator.queries.length;
    const r = await linked([...args, '--dir', dir], env);
    expect(r.stderr, `linked ${args.join(' ')}`).toBe('');
    expect(r.status, `linked ${args.join(' ')}`).toBe(0);
    return emulator.queries.slice(before).map((q) => ({ tag: String(q.parameters?.QUERY_TAG ?? ''), sql: q.sqlText.split(/\s+/).slice(0, 3).join(' ') }));
  };
  /** The tags a command may give: its own, the migration's, and the catalog check's. */
  const untaggedBy = (statements: { tag: string; sql: string }[], command: string) =>
    statements.filter((s) => !new RegExp(`^team=crm linked-audiences:(command=${command} stack=marketing|migrate|catalog|validate:graph)$`).test(s.tag));

  it('linked apply: the migrations as migrate, the lock, the plan and the writes as apply', async () => {
    const statements = await statementsOf('apply', '--auto-approve', '--no-synth');
    expect(untaggedBy(statements, 'apply')).toEqual([]);
    const tagOf = (sql: string) => [...new Set(statements.filter((s) => s.sql.startsWith(sql)).map((s) => s.tag))];
    expect(tagOf('CREATE TABLE')).toEqual(['team=crm linked-audiences:migrate']);
    expect(tagOf('BEGIN TRANSACTION')).toEqual(['team=crm linked-audiences:command=apply stack=marketing']);
    expect(tagOf('COMMIT')).toEqual(['team=crm linked-audiences:command=apply stack=marketing']);
    expect(tagOf('INSERT INTO "LINKED_AUDIENCES"."apply_log"')).toEqual(['team=crm linked-audiences:command=apply stack=marketing']);
  });

  it('linked status and the other reports: each statement names its command', async () => {
    for (const [command, args] of [
      ['status', ['status']],
      ['runs', ['runs']],
      ['deliveries', ['deliveries']],
      ['state-list', ['state', 'list']],
      ['gc', ['gc', '--dry-run']],
    ] as const) {
      const statements = await statementsOf(...args);
      expect(untaggedBy(statements, command), command).toEqual([]);
      expect(statements.filter((s) => s.tag === `team=crm linked-audiences:command=${command} stack=marketing`).length, command).toBeGreaterThan(0);
    }
  });
});
