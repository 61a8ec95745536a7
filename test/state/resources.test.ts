import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { migrateState } from '../../src/state/migrate.js';
import { readAppliedDesired, readAppliedResources, readAppliedRows, unreadableError } from '../../src/state/apply/resources.js';
import { ResourceStore, writeResource, type WriteContext } from '../../src/state/apply/resources.js';
import { specHash } from '../../src/state/canonical.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { desired, rawDesired, tempDir } from '../plan/fixtures.js';

const SCHEMA = 'LINKED_AUDIENCES';
const ctx = (applyId: string): WriteContext => ({ applyId, appliedAt: new Date('2026-01-02T03:04:05Z'), appliedBy: 'ana', commitSha: 'abc123', stack: 'marketing' });

describe('state resources', () => {
  let wh: DuckDbWarehouse;
  beforeEach(async () => {
    wh = await openDuckDb(join(tempDir(), 'w.duckdb'));
    await migrateState(wh, SCHEMA);
  });
  afterEach(async () => wh.close());

  it('creates the core tables, idempotently', async () => {
    const again = await migrateState(wh, SCHEMA);
    expect(again.from).toBe(again.to);
    const { rows } = await wh.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name`,
      [SCHEMA],
    );
    expect(rows.map((r) => r.table_name)).toEqual(expect.arrayContaining(['apply_log', 'locks', 'resources', 'schema_version']));
  });

  it('round-trips specs as model objects, keeps deleted rows as history', async () => {
    const d = desired(rawDesired(':memory:', 2));
    await wh.transaction(async (tx) => {
      await writeResource(tx, SCHEMA, 'data_graph', d.graph.key, d.graph, ctx('a1'), true);
      for (const a of d.audiences) await writeResource(tx, SCHEMA, 'audience', a.key, a, ctx('a1'), true);
      await writeResource(tx, SCHEMA, 'destination', 'hook', d.destinations[0], ctx('a1'), true);
      await writeResource(tx, SCHEMA, 'event_emitter', 'entered-hook', d.emitters[0], ctx('a1'), true);
    });
    await wh.transaction(async (tx) => {
      await writeResource(tx, SCHEMA, 'audience', 'aud-0', { ...d.audiences[0], enabled: true }, ctx('a2'), false);
      await new ResourceStore(tx, SCHEMA).markDeleted('audience', 'aud-1', ctx('a2'));
    });

    const active = await readAppliedResources(wh, SCHEMA);
    expect(active.map((r) => `${r.kind}.${r.key}`)).toEqual(['data_graph.graph', 'audience.aud-0', 'destination.hook', 'event_emitter.entered-hook']);
    const aud0 = active.find((r) => r.key === 'aud-0')!;
    expect(aud0.version).toBe(2);
    expect(aud0.specHash).toBe(specHash({ ...d.audiences[0], enabled: true }));
    expect(aud0).toMatchObject({ appliedBy: 'ana', commitSha: 'abc123', stack: 'marketing', applyId: 'a2', deletedAt: null });
    expect(aud0.appliedAt).toBe('2026-01-02T03:04:05.000Z');

    const all = await readAppliedResources(wh, SCHEMA, { includeDeleted: true });
    const aud1 = all.find((r) => r.key === 'aud-1')!;
    expect(aud1.deletedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(aud1.version).toBe(2);
    expect(aud1.spec).toEqual(d.audiences[1]);

    const applied = await readAppliedDesired(wh, SCHEMA);
    expect(applied.graph).toEqual(d.graph);
    expect(applied.audiences).toEqual([{ ...d.audiences[0], enabled: true }]);
    expect(applied.destinations).toEqual(d.destinations);
    expect(applied.emitters).toEqual(d.emitters);
    expect(applied.classicAudiences).toEqual([]);
  });

  it('a deleted resource written again is active with its history version', async () => {
    const d = desired(rawDesired(':memory:', 1));
    await writeResource(wh, SCHEMA, 'audience', 'aud-0', d.audiences[0], ctx('a1'), true);
    await new ResourceStore(wh, SCHEMA).markDeleted('audience', 'aud-0', ctx('a2'));
    expect(await readAppliedResources(wh, SCHEMA)).toEqual([]);
    await writeResource(wh, SCHEMA, 'audience', 'aud-0', d.audiences[0], ctx('a3'), true);
    const [r] = await readAppliedResources(wh, SCHEMA);
    expect(r).toMatchObject({ key: 'aud-0', version: 3, deletedAt: null, applyId: 'a3' });
  });

  it('reads a spec that no longer parses as unreadable, with why, beside the others', async () => {
    const d = desired(rawDesired(':memory:', 1));
    await writeResource(wh, SCHEMA, 'data_graph', d.graph.key, d.graph, ctx('a1'), true);
    await wh.query(
      `INSERT INTO "LINKED_AUDIENCES"."resources" (kind, key, spec, spec_hash, version, applied_at, stack) VALUES ('audience', 'x', '{"key":"x","preventDestroy":true}', 'h', 1, CURRENT_TIMESTAMP, 'marketing')`,
    );
    const rows = await readAppliedRows(wh, SCHEMA);
    expect(rows.resources.map((r) => `${r.kind}.${r.key}`)).toEqual(['data_graph.graph']);
    expect(rows.unreadable).toMatchObject([
      { kind: 'audience', key: 'x', specHash: 'h', version: 1, stack: 'marketing', deletedAt: null, preventDestroy: true, problem: 'name: is required (expected string); condition: is required (expected object)' },
    ]);
    expect(rows.unreadable[0]).not.toHaveProperty('spec');
    // The readers that act on the model see the others, and the unreadable one apart.
    expect(await readAppliedResources(wh, SCHEMA)).toEqual(rows.resources);
    expect(await readAppliedDesired(wh, SCHEMA)).toMatchObject({ graph: d.graph, audiences: [], unreadable: rows.unreadable });
    // It still counts in the fingerprint an apply checks: a plan made before it broke is stale.
    const hash = await new ResourceStore(wh, SCHEMA).stateHash('marketing');
    await wh.query(`DELETE FROM "LINKED_AUDIENCES"."resources" WHERE key = 'x'`);
    expect(await new ResourceStore(wh, SCHEMA).stateHash('marketing')).not.toBe(hash);
  });

  it('says which attribute of a stored condition no longer parses', async () => {
    const d = desired(rawDesired(':memory:', 1));
    await writeResource(wh, SCHEMA, 'audience', 'aud-0', d.audiences[0], ctx('a1'), true);
    await wh.query(`UPDATE "LINKED_AUDIENCES"."resources" SET spec = replace(spec, '"kind":"trait"', '"kind":"profile_trait"')`);
    const [unreadable] = (await readAppliedRows(wh, SCHEMA)).unreadable;
    expect(unreadable.problem).toMatch(/^condition\.kind: Invalid discriminator value\. Expected 'and' \| /);
    expect(unreadableError(unreadable)).toMatchObject({
      code: 'STATE_INVALID',
      message: `The applied spec of audience.aud-0 cannot be read: ${unreadable.problem}. \`linked plan\` shows it as an update from code, and \`linked apply\` writes it again.`,
    });
  });

  it('a stored spec that is not JSON is named by where it breaks, never by what it holds', async () => {
    await wh.query(
      `INSERT INTO "LINKED_AUDIENCES"."resources" (kind, key, spec, spec_hash, version, applied_at) VALUES ('destination', 'hook', 'xoxb-canary-token-77', 'h', 1, CURRENT_TIMESTAMP)`,
    );
    const [unreadable] = (await readAppliedRows(wh, SCHEMA)).unreadable;
    expect(unreadable.problem).toMatch(/^it is not JSON/);
    expect(JSON.stringify(unreadable)).not.toContain('canary');
  });
});
