import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAppliedModel } from '../../src/compute/applied.js';
import { compileAudience } from '../../src/compute/compile.js';
import { Daemon } from '../../src/controller/daemon.js';
import { openDuckDb } from '../../src/warehouse/duckdb.js';
import { applyResources, AUDIENCE, GRAPH, json, SCHEMA, seedBank, startServer, tempDir } from '../activation/helpers.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

/* `run --once` delivers an audience's events while the next audiences compute. */
describe('linked run --once', () => {
  it('starts delivering an audience as soon as its run commits, before the next audience has compiled', async () => {
    let firstRequest!: () => void;
    const requested = new Promise<void>((r) => (firstRequest = r));
    const server = await startServer((_req, _n, res) => {
      firstRequest();
      json(res, 200, {});
    });
    const path = join(tempDir(), 'w.duckdb');
    const setup = await openMigratedDuckDb(path, SCHEMA);
    await seedBank(setup, 4);
    // `later` references `overdue-cards`, so it computes second.
    const later = { key: 'later', name: 'Later', enabled: true, condition: { kind: 'audience', audience: 'overdue-cards', source: 'linked', negate: false } };
    await applyResources(setup, {
      graph: GRAPH,
      audiences: [later, AUDIENCE],
      destinations: [{ key: 'hook', type: 'webhook', settings: { url: `${server.url}/hook` } }],
      emitters: [
        { key: 'overdue-entered', audience: 'overdue-cards', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true },
        { key: 'later-entered', audience: 'later', destination: 'hook', trigger: 'audience_entered', sendForCurrent: true },
      ],
    });
    await setup.close();

    // `later` compiles only once the first audience's events reached the destination, or after
    // 10 s: run one after the other (delivery after the last run), it would wait the 10 s out.
    let deliveredBeforeLater = false;
    const daemon = new Daemon({
      open: () => openDuckDb(path),
      schema: SCHEMA,
      duckDbFile: path,
      loadModel: (wh) => readAppliedModel(wh, SCHEMA),
      compile: async (model, key, _wh, now) => {
        if (key === 'later') {
          deliveredBeforeLater = await Promise.race([requested.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
        }
        return compileAudience(model, key, { dialect: 'duckdb', stateSchema: SCHEMA, now });
      },
    });
    try {
      const report = await daemon.once();
      expect(report.runs.map((r) => [r.audienceKey, r.status, r.entered])).toEqual([
        ['overdue-cards', 'Live', 4],
        ['later', 'Live', 4],
      ]);
      expect(deliveredBeforeLater).toBe(true);
      // Every event delivered once: the early drain and the final one never both send an emitter.
      expect(report.deliveries).toMatchObject([
        { emitterKey: 'later-entered', status: 'delivered', sent: 4 },
        { emitterKey: 'overdue-entered', status: 'delivered', sent: 4 },
      ]);
      expect(server.requests).toHaveLength(8);
    } finally {
      await server.close();
    }
  }, 60_000);
});
