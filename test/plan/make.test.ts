import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildPlan } from '../../src/plan/build.js';
import { makePlan } from '../../src/plan/make.js';
import { readAppliedResources } from '../../src/state/apply/resources.js';
import type { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { desired, rawDesired, tempDir } from './fixtures.js';
import { planAndApply } from './helpers.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

const SCHEMA = 'LINKED_AUDIENCES';

describe('plan diff', () => {
  let wh: DuckDbWarehouse;
  beforeEach(async () => {
    wh = await openMigratedDuckDb(join(tempDir(), 'w.duckdb'), SCHEMA);
  });
  afterEach(async () => wh.close());

  it('plans creates in dependency order against an empty state', () => {
    const p = makePlan(desired(rawDesired(':memory:', 2)), []);
    expect(p.changes.map((c) => `${c.action} ${c.address}`)).toEqual([
      'create data_graph.graph',
      'create audience.aud-0',
      'create audience.aud-1',
      'create destination.hook',
      'create event_emitter.entered-hook',
    ]);
    expect(p.summary).toEqual({ create: 5, update: 0, replace: 0, delete: 0, noop: 0 });
    expect(p.hasChanges).toBe(true);
    expect(p.applicable).toBe(true);
    expect(p.changes[1].notes).toEqual(['created disabled: set enabled: true to compute it']);
  });

  it('plan -> apply -> plan gives no changes', async () => {
    const d = desired(rawDesired(':memory:', 3));
    const { applyId } = await planAndApply(wh, d);
    expect(applyId).toBeTruthy();
    const again = await buildPlan(wh, d);
    expect(again.hasChanges).toBe(false);
    expect(again.summary).toEqual({ create: 0, update: 0, replace: 0, delete: 0, noop: 6 });
    expect(again.changes.every((c) => c.action === 'no-op')).toBe(true);
  });

  it('updates attribute by attribute; a condition change is an update for the next compute', async () => {
    const raw = rawDesired(':memory:', 2);
    await planAndApply(wh, desired(raw));
    raw.audiences[0].enabled = true;
    raw.audiences[0].condition.value.literal = 'gold';
    raw.audiences[1].name = 'Renamed';
    const p = await buildPlan(wh, desired(raw));
    const a0 = p.changes.find((c) => c.address === 'audience.aud-0')!;
    expect(a0.action).toBe('update');
    expect(a0.attributes).toEqual([
      { path: 'condition.value.literal', action: 'change', before: 'premium', after: 'gold', sensitive: false, forcesReplacement: false },
      { path: 'enabled', action: 'change', before: false, after: true, sensitive: false, forcesReplacement: false },
    ]);
    expect(a0.notes).toEqual(['condition change takes effect at the next compute (`linked compute aud-0` computes it now)', 'enabled: computes at the next tick']);
    const a1 = p.changes.find((c) => c.address === 'audience.aud-1')!;
    expect(a0.conditionDiff).toEqual({ action: 'change', before: 'trait plan = "premium"', after: 'trait plan = "gold"', path: 'condition', children: [] });
    expect(a1.attributes.map((a) => a.path)).toEqual(['name']);
    expect(a1.conditionDiff).toBeUndefined();
    expect(p.summary).toMatchObject({ update: 2, noop: 3 });

    await planAndApply(wh, desired(raw));
    const rows = await readAppliedResources(wh, SCHEMA);
    expect(rows.find((r) => r.key === 'aud-0')).toMatchObject({ version: 2, spec: expect.objectContaining({ enabled: true }) });
    expect((await buildPlan(wh, desired(raw))).hasChanges).toBe(false);
  });

  it('a new emitter sending for current members or entities says when they are sent', async () => {
    const raw = rawDesired(':memory:', 1);
    raw.emitters[0].sendForCurrent = true;
    raw.emitters.push({ key: 'card-added', audience: 'aud-0', destination: 'hook', trigger: 'entity_added', entityPath: ['accounts', 'cards'], sendForCurrent: true });
    raw.audiences[0].condition = { kind: 'entity', relationship: 'accounts', count: { op: 'at_least', value: 1 }, where: { kind: 'entity', relationship: 'cards', count: { op: 'at_least', value: 1 } } };
    const notes = (key: string) => p.changes.find((c) => c.key === key)!.notes;
    const p = await buildPlan(wh, desired(raw));
    expect(notes('entered-hook')).toEqual(['sends events for current members at its first delivery']);
    expect(notes('card-added')).toEqual(['sends events for the entities matched now at its first delivery (for an entity path new to the audience: after its next compute)']);
  });

  it('replaces on a type change or a graph key change, keeps the row history', async () => {
    const raw = rawDesired(':memory:', 1);
    await planAndApply(wh, desired(raw));
    raw.destinations[0] = { key: 'hook', type: 'segment', settings: { writeKey: { secret: 'SEGMENT_WRITE_KEY' } } };
    raw.graph.key = 'graph2';
    const p = await buildPlan(wh, desired(raw));
    const dest = p.changes.find((c) => c.address === 'destination.hook')!;
    expect(dest.action).toBe('replace');
    expect(dest.attributes.find((a) => a.path === 'type')).toMatchObject({ before: 'webhook', after: 'segment', forcesReplacement: true });
    expect(dest.attributes.find((a) => a.path === 'settings.writeKey')).toMatchObject({ action: 'add', sensitive: true });
    const graph = p.changes.find((c) => c.kind === 'data_graph')!;
    expect(graph).toMatchObject({ action: 'replace', address: 'data_graph.graph2', replaces: 'graph' });
    expect(p.summary).toMatchObject({ replace: 2, delete: 0, create: 0 });

    await planAndApply(wh, desired(raw));
    const all = await readAppliedResources(wh, SCHEMA, { includeDeleted: true });
    expect(all.find((r) => r.key === 'graph')!.deletedAt).not.toBeNull();
    expect(all.find((r) => r.key === 'graph2')!.deletedAt).toBeNull();
    const hook = all.find((r) => r.key === 'hook')!;
    expect(hook).toMatchObject({ version: 2, spec: expect.objectContaining({ type: 'segment' }) });
    expect(hook.createdAt).toBe(hook.appliedAt);
    expect((await buildPlan(wh, desired(raw))).hasChanges).toBe(false);
  });

  it('deletes in reverse dependency order and marks rows deleted', async () => {
    const raw = rawDesired(':memory:', 2);
    await planAndApply(wh, desired(raw));
    raw.audiences = raw.audiences.slice(1);
    raw.emitters = [];
    raw.destinations = [];
    const p = await buildPlan(wh, desired(raw));
    expect(p.changes.filter((c) => c.action === 'delete').map((c) => c.address)).toEqual([
      'event_emitter.entered-hook',
      'destination.hook',
      'audience.aud-0',
    ]);
    expect(p.changes.find((c) => c.address === 'destination.hook')!.notes).toEqual(['delivery to this destination stops']);
    await planAndApply(wh, desired(raw));
    const active = await readAppliedResources(wh, SCHEMA);
    expect(active.map((r) => `${r.kind}.${r.key}`)).toEqual(['data_graph.graph', 'audience.aud-1']);
    const deleted = (await readAppliedResources(wh, SCHEMA, { includeDeleted: true })).filter((r) => r.deletedAt);
    expect(deleted.map((r) => r.key).sort()).toEqual(['aud-0', 'entered-hook', 'hook']);
    // Declaring it again re-creates it, as the next version of the same row.
    const back = rawDesired(':memory:', 2);
    const p2 = await buildPlan(wh, desired(back));
    expect(p2.changes.find((c) => c.address === 'audience.aud-0')!.action).toBe('create');
    await planAndApply(wh, desired(back));
    expect((await readAppliedResources(wh, SCHEMA)).find((r) => r.key === 'aud-0')!.version).toBe(3);
  });

  it('preventDestroy makes a plan that deletes or replaces the resource fail', async () => {
    const raw = rawDesired(':memory:', 2);
    raw.audiences[1].preventDestroy = true;
    raw.destinations[0].preventDestroy = true;
    await planAndApply(wh, desired(raw));
    raw.audiences = raw.audiences.slice(0, 1);
    raw.destinations[0] = { key: 'hook', type: 'segment', preventDestroy: true, settings: { writeKey: { secret: 'K' } } };
    const p = await buildPlan(wh, desired(raw));
    expect(p.applicable).toBe(false);
    expect(p.diagnostics.map((d) => `${d.code} ${d.resource}`).sort()).toEqual(['PREVENT_DESTROY audience.aud-1', 'PREVENT_DESTROY destination.hook']);
    await expect(planAndApply(wh, desired(raw))).rejects.toMatchObject({ code: 'PLAN_HAS_ERRORS' });
    expect((await readAppliedResources(wh, SCHEMA)).map((r) => r.key)).toContain('aud-1');
  });

  it('a key applied by another stack is a conflict; other stacks are never deleted', async () => {
    await planAndApply(wh, desired(rawDesired(':memory:', 1)));
    const other = rawDesired(':memory:', 0);
    other.stack = 'sales';
    other.graph.key = 'sales-graph';
    other.destinations = [];
    other.emitters = [];
    other.classicAudiences = [{ key: 'vip', table: 'main.vips', profileIdColumn: 'user_id' }];
    const p = await buildPlan(wh, desired(other));
    expect(p.changes.map((c) => `${c.action} ${c.address}`)).toEqual(['create data_graph.sales-graph', 'create classic_audience.vip']);
    other.destinations = [{ key: 'hook', type: 'webhook', settings: { url: 'https://x.test/' } }];
    const conflict = await buildPlan(wh, desired(other));
    expect(conflict.diagnostics).toEqual([expect.objectContaining({ code: 'STATE_KEY_CONFLICT', resource: 'destination.hook' })]);
    expect(conflict.applicable).toBe(false);
  });
  it('an applied spec that cannot be read is written again from code (an update, even under a matching hash), or deleted when the code dropped it', async () => {
    const raw = rawDesired(':memory:', 3);
    raw.audiences[2].preventDestroy = true;
    await planAndApply(wh, desired(raw));
    // aud-0 damaged with its hash left as it was; aud-1 in a shape of another version; aud-2 protected.
    await wh.query(`UPDATE "${SCHEMA}"."resources" SET spec = '{"key":"aud-0"' WHERE key = 'aud-0'`);
    await wh.query(`UPDATE "${SCHEMA}"."resources" SET spec = replace(spec, '"kind":"trait"', '"kind":"profile_trait"') WHERE key IN ('aud-1', 'aud-2')`);
    const p = await buildPlan(wh, desired(raw));
    expect(p.changes.filter((c) => c.action !== 'no-op').map((c) => `${c.action} ${c.address}`)).toEqual(['update audience.aud-0', 'update audience.aud-1', 'update audience.aud-2']);
    const a0 = p.changes.find((c) => c.address === 'audience.aud-0')!;
    expect(a0).toMatchObject({ before: null, after: desired(raw).audiences[0] });
    expect(a0.notes[0]).toBe('its applied spec cannot be read (it is not JSON: it breaks at character 14): written again from code');
    expect(a0.attributes.every((a) => a.action === 'add')).toBe(true);

    // Dropped from code: deleted, unless its stored JSON still says preventDestroy.
    const dropped = rawDesired(':memory:', 1);
    const refused = await buildPlan(wh, desired(dropped));
    expect(refused.changes.filter((c) => c.action === 'delete').map((c) => c.address)).toEqual(['audience.aud-1', 'audience.aud-2']);
    expect(refused.diagnostics.map((d) => `${d.code} ${d.resource}`)).toEqual(['PREVENT_DESTROY audience.aud-2']);

    // Applied: every row reads again, and the next plan has nothing to do.
    await planAndApply(wh, desired(raw));
    expect((await buildPlan(wh, desired(raw))).hasChanges).toBe(false);
    expect((await readAppliedResources(wh, SCHEMA)).find((r) => r.key === 'aud-0')).toMatchObject({ version: 2, spec: desired(raw).audiences[0] });
  });
});
