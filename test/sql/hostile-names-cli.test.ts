import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent, quoteTable } from '../../src/dialect/identifiers.js';
import type { Dialect } from '../../src/dialect/dialect.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { desired, tempDir, writeManifest } from '../plan/fixtures.js';
import { linked } from '../plan/cli-project.js';
import { startServer, type TestServer } from '../activation/helpers.js';
import { emulatedConfig, emulatedSnowflake, EMULATED_PASSWORD } from '../support/snowflake-emulator/connect.js';
import { STEERS } from '../support/terminal-controls.js';

/*
 * Names and values written to break out of SQL, through the real CLI on DuckDB: a schema, tables and
 * columns with quotes, semicolons, comments, dollar quotes, backslashes and non-ASCII; trait values,
 * event names, property paths and JSON keys alike. Each statement either quotes or binds them, so
 * the audience computes the members the data says, and the canary table the payloads try to drop
 * is still there.
 */

const SCHEMA = `s'c";--`;
const PROFILES = `pro"files $$ ; DROP TABLE canary; --`;
const ID = `us'er"id\\`;
const PLAN = `pl$$an;-- é`;
const EVENTS = `ev'ents`;
const NAME = `na"me`;
const PROPS = `pr'ops`;
const TS = `t;s`;
const UID = `ev"uid`;
const VALUE = `premium'); DROP TABLE canary; --`;
const EVENT = `Payment "Made'; DROP TABLE canary; --`;
const PROPERTY = `a"b'c\\d`;
/**
 * A profile id and a trait value that would move a terminal's cursor, erase a line, write the
 * clipboard, reverse the text, clear the screen (a C1 CSI), and isolate what follows.
 */
const STEERING_ID = 'u4\u001b[1A\u001b[2K';
const STEERING_VALUE = '\u001b]52;c;ZXZpbA==\u0007premium\u202e\u009b2J\u007f\u2066';

/** Every string in a parsed JSON value. */
const stringsIn = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(stringsIn) : []);

describe('hostile identifiers and values, through the CLI', () => {
  let hook: TestServer;
  let base: string;
  beforeAll(async () => {
    hook = await startServer();
    base = hook.url;
  });
  afterAll(() => hook.close());

  /** Creates the hostile tables through `wh`, writes the stack and runs the CLI over it. */
  async function scenario(dialect: Dialect, wh: Pick<Warehouse, 'query'>, warehouse: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
    const dir = tempDir('linked-hostile-');
    const q = (name: string) => quoteIdent(dialect, name);
    const t = (name: string) => quoteTable(dialect, `${SCHEMA}.${name}`);
    const now = dialect === 'duckdb' ? 'now()' : 'CURRENT_TIMESTAMP()';
    await wh.query(`CREATE SCHEMA ${q(SCHEMA)}`);
    await wh.query(`CREATE TABLE ${t('canary')} (x INTEGER)`);
    await wh.query(`CREATE TABLE ${t(PROFILES)} (${q(ID)} VARCHAR, ${q(PLAN)} VARCHAR)`);
    await wh.query(`INSERT INTO ${t(PROFILES)} VALUES (?, ?), (?, ?), (?, ?), (?, ?)`, [`u'1"; --`, VALUE, 'u2', 'premium', `u3\\`, VALUE, STEERING_ID, STEERING_VALUE]);
    await wh.query(`CREATE TABLE ${t(EVENTS)} (${q(UID)} VARCHAR, ${q(NAME)} VARCHAR, ${q(TS)} TIMESTAMP, ${q(PROPS)} VARCHAR)`);
    await wh.query(`INSERT INTO ${t(EVENTS)} VALUES (?, ?, ${now}, ?), (?, ?, ${now}, ?)`, [
      `u'1"; --`,
      EVENT,
      JSON.stringify({ 'a"b\'c\\d': `x'); DROP TABLE canary; --` }),
      `u3\\`,
      EVENT,
      JSON.stringify({ 'a"b\'c\\d': 'other' }),
    ]);
    const raw = {
      stack: 'hostile',
      warehouse,
      graph: {
        key: 'graph',
        profile: { table: `${SCHEMA}.${PROFILES}`, id: ID, traits: [PLAN] },
        entities: [],
        relationships: [],
        events: { table: `${SCHEMA}.${EVENTS}`, profileKey: UID, name: NAME, timestamp: TS, properties: PROPS },
      },
      audiences: [
        {
          key: 'hostile',
          name: `<b>"Hostile"</b>'; --`,
          enabled: true,
          condition: {
            kind: 'and',
            conditions: [
              { kind: 'trait', trait: PLAN, operator: 'equals', value: { literal: VALUE } },
              {
                kind: 'event',
                name: EVENT,
                where: [{ property: PROPERTY, operator: 'equals', value: { literal: `x'); DROP TABLE canary; --` } }],
                count: { op: 'at_least', value: 1 },
              },
            ],
          },
        },
      ],
      destinations: [{ key: 'hook', type: 'webhook', retryBudgetMinutes: 0, settings: { url: `${base}/hook` } }],
      emitters: [{ key: 'entered', audience: 'hostile', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true, enrich: { traits: [PLAN] } }],
    };
    writeManifest(dir, desired(raw));
    const ok = async (args: string[]) => {
      const r = await linked([...args, '--dir', dir, ...(['plan', 'apply'].includes(args[0]!) ? ['--no-synth'] : []), '--json'], env);
      expect(r.stderr, args.join(' ')).not.toMatch(/Error/);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    hook.requests.length = 0;
    await ok(['plan']);
    await ok(['apply', '--auto-approve']);
    const computed = JSON.parse(await ok(['compute', 'hostile']));
    expect(JSON.stringify(computed)).toMatch(/"members":\s*1/);
    await ok(['deliver']);
    expect(hook.requests.flatMap((r) => r.body as unknown[])).toMatchObject([{ userId: `u'1"; --`, event: 'Audience Entered' }]);
    expect(await ok(['preview', 'hostile'])).toContain(`u'1\\"; --`);
    expect(await ok(['why', 'hostile', `u3\\`])).toMatch(/"member":\s*false/);
    // Warehouse data that would steer a terminal is printed as escapes: the id and the value it holds.
    const text = await linked(['why', 'hostile', STEERING_ID, '--dir', dir], env);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('u4\\u001b[1A\\u001b[2K');
    expect(text.stdout).toContain('\\u001b]52;c;ZXZpbA==\\u0007premium\\u202e');
    expect(text.stdout).not.toMatch(STEERS);
    // The event a test-event builds holds the value too: JSON escapes ESC and BEL, not the reversal.
    const shown = await linked(['test-event', 'entered', '--user-id', STEERING_ID, '--no-send', '--dir', dir], env);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('premium\\u202e\\u009b2J\\u007f\\u2066');
    expect(shown.stdout).not.toMatch(STEERS);
    // --json as well, where JSON itself leaves DEL, C1 and the bidi controls as they are: escaped, the value unchanged.
    const asJson = await linked(['test-event', 'entered', '--user-id', STEERING_ID, '--no-send', '--dir', dir, '--json'], env);
    expect(asJson.status, asJson.stderr).toBe(0);
    expect(asJson.stdout).toContain('premium\\u202e\\u009b2J\\u007f\\u2066');
    expect(asJson.stdout).not.toMatch(STEERS);
    expect(stringsIn(JSON.parse(asJson.stdout))).toContain(STEERING_VALUE);
    // And an error's JSON, whose message quotes the id it was given.
    const missing = await linked(['why', 'hostile', 'nobody\u202e\u009b', '--dir', dir, '--json'], env);
    expect(missing.status).toBe(1);
    expect(missing.stdout).not.toMatch(STEERS);
    expect(JSON.parse(missing.stdout).error.message).toContain('"nobody\u202e\u009b"');
    expect((await wh.query(`SELECT count(*) AS n FROM ${t('canary')}`)).rows.map((r) => Number(Object.values(r)[0]))).toEqual([0]);
  }

  it('on DuckDB: computes, delivers, previews and explains the members the data says, and runs nothing injected', async () => {
    const path = join(tempDir('linked-hostile-wh-'), 'w.duckdb');
    // Opened for each statement: the CLI's processes take the file in between.
    const wh: Pick<Warehouse, 'query'> = {
      query: async (sql: string, params?: unknown[]) => {
        const db = await openDuckDb(path);
        try {
          return await db.query(sql, params);
        } finally {
          await db.close();
        }
      },
    } as Pick<Warehouse, 'query'>;
    await scenario('duckdb', wh, { type: 'duckdb', path });
  }, 180_000);

  it('on the Snowflake emulation, through the snowflake-sdk', async () => {
    const env = await emulatedSnowflake();
    try {
      await scenario('snowflake', env.wh, emulatedConfig(env.emulator.url), { SF_EMULATED_PASSWORD: EMULATED_PASSWORD });
    } finally {
      await env.close();
    }
  }, 180_000);
});
