import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCatalog } from '../../src/graph/catalog.js';
import { Desired } from '../../src/model/desired.js';
import { snowflakeTypeFamily } from '../../src/warehouse/snowflake.js';
import { emulatedConfig, emulatedSnowflake } from '../support/snowflake-emulator/connect.js';

/*
 * The events timestamp against Snowflake's own type names: the TIMESTAMP variants and DATE are
 * compared with bound timestamps; a VARCHAR of ISO text would fail every compute, so the catalog
 * check refuses it.
 */
describe('the events timestamp type at validate, on emulated Snowflake', () => {
  let env: Awaited<ReturnType<typeof emulatedSnowflake>>;
  beforeAll(async () => {
    env = await emulatedSnowflake();
    await env.wh.query(`CREATE TABLE "main"."profiles" ("user_id" VARCHAR)`);
    await env.wh.query(
      `CREATE TABLE "main"."events" ("user_id" VARCHAR, "event" VARCHAR, "properties" VARIANT, "ntz" TIMESTAMP_NTZ, "ltz" TIMESTAMP_LTZ, "tz" TIMESTAMP_TZ, "day" DATE, "text" VARCHAR)`,
    );
  });
  afterAll(async () => {
    await env?.close();
  });

  const desired = (timestamp: string) =>
    Desired.parse({
      stack: 'bank',
      warehouse: emulatedConfig(env.emulator.url),
      graph: {
        profile: { table: 'main.profiles', id: 'user_id', traits: [], identifiers: ['user_id'] },
        events: { table: 'main.events', profileKey: 'user_id', name: 'event', timestamp, properties: 'properties' },
      },
      audiences: [],
    });

  it('TIMESTAMP_NTZ, TIMESTAMP_LTZ, TIMESTAMP_TZ and DATE pass', async () => {
    for (const column of ['ntz', 'ltz', 'tz', 'day']) expect(await checkCatalog(desired(column), env.wh)).toEqual([]);
    // The emulation reports TIMESTAMP_TZ as TIMESTAMP_LTZ; Snowflake itself names it.
    expect(['TIMESTAMP_NTZ', 'TIMESTAMP_LTZ', 'TIMESTAMP_TZ', 'DATE'].map(snowflakeTypeFamily)).toEqual(['timestamp', 'timestamp', 'timestamp', 'date']);
  });

  it('a VARCHAR timestamp is refused, naming its type', async () => {
    const d = await checkCatalog(desired('text'), env.wh);
    expect(d.map((x) => [x.code, x.attribute])).toEqual([['EVENTS_TIMESTAMP_TYPE', 'events.timestamp']]);
    expect(d[0]!.message).toMatch(/^The events timestamp column text of main\.events \(Data Graph events\) is TEXT, not a date or time/);
  });
});
