import { afterEach, describe, expect, it } from 'vitest';
import { updateStatus } from '../../src/compute/status.js';
import { computeTables } from '../compute/helpers.js';
import { computeNow, requestOutcome } from '../../src/controller/compute-now.js';
import { ComputeRequestStore } from '../../src/state/control/compute-requests.js';
import { ControllerStore } from '../../src/state/control/controllers.js';
import { ApplyLogStore } from '../../src/state/apply/apply-log.js';
import { LeaseStore } from '../../src/state/control/leases.js';
import { Audience, DataGraph } from '../../src/model/index.js';
import { writeResource } from '../../src/state/apply/resources.js';
import type { Warehouse } from '../../src/warehouse/types.js';
import { SCHEMA, freshWarehouse } from '../compute/helpers.js';

const graph = DataGraph.parse({ profile: { table: 'main.profiles', id: 'user_id', traits: ['plan'] } });
const aud = (key: string, enabled: boolean) =>
  Audience.parse({ key, name: key, enabled, condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } } });

let wh: Warehouse;
afterEach(async () => wh?.close());

async function setup() {
  wh = (await freshWarehouse()).wh;
  await wh.query(`CREATE TABLE main.profiles AS SELECT 'u' || i AS user_id, CASE WHEN i % 4 = 0 THEN 'premium' ELSE 'basic' END AS plan FROM range(40) t(i)`);
  const ctx = { applyId: 'a', appliedAt: new Date(), appliedBy: null, commitSha: null, stack: 's' };
  await writeResource(wh, SCHEMA, 'data_graph', 'graph', graph, ctx, true);
  await writeResource(wh, SCHEMA, 'audience', 'on', aud('on', true), ctx, true);
  await writeResource(wh, SCHEMA, 'audience', 'off', aud('off', false), ctx, true);
  return computeTables(wh, SCHEMA);
}

describe('compute now', () => {
  it('computes locally when no controller runs', async () => {
    await setup();
    const r = await computeNow(wh, SCHEMA, 'on');
    expect(r.kind === 'computed' && [r.summary.status, r.summary.members, r.summary.trigger]).toEqual(['Live', 10, 'manual']);
  });

  it('hands the run to a live controller, which records the run that served it', async () => {
    await setup();
    await new ControllerStore(wh, SCHEMA).heartbeat('controller-1');
    const r = await computeNow(wh, SCHEMA, 'on');
    expect(r).toMatchObject({ kind: 'requested', controllers: ['controller-1'] });
    if (r.kind !== 'requested') return;
    expect(await requestOutcome(wh, SCHEMA, r.requestId)).toEqual({ picked: false });
    await new ComputeRequestStore(wh, SCHEMA).pick('on', null);
    await expect(requestOutcome(wh, SCHEMA, r.requestId)).rejects.toMatchObject({ code: 'REQUEST_NOT_SERVED' });
  });

  it('--request records a request even without a controller', async () => {
    await setup();
    expect((await computeNow(wh, SCHEMA, 'on', { request: true })).kind).toBe('requested');
  });

  it('refuses what it must not compute, with actionable errors', async () => {
    const t = await setup();
    await expect(computeNow(wh, SCHEMA, 'nope')).rejects.toMatchObject({ code: 'AUDIENCE_NOT_APPLIED', message: expect.stringContaining('Known: off, on.') });
    await expect(computeNow(wh, SCHEMA, 'onn')).rejects.toMatchObject({ message: expect.stringContaining('Did you mean "on"?') });
    await expect(computeNow(wh, SCHEMA, 'off')).rejects.toMatchObject({ code: 'AUDIENCE_DISABLED' });
    expect(await new LeaseStore(wh, SCHEMA).acquire('on', 'controller-x', 60_000)).toBe(true);
    await expect(computeNow(wh, SCHEMA, 'on')).rejects.toMatchObject({ code: 'AUDIENCE_BUSY', message: expect.stringContaining('controller-x') });
    await updateStatus(wh, SCHEMA, 'on', { paused: true, pausedReason: 'Execution is paused due to an identified operational issue.' });
    await expect(computeNow(wh, SCHEMA, 'on')).rejects.toMatchObject({ code: 'AUDIENCE_PAUSED', message: expect.stringContaining('linked resume on') });
  });

  it('names the apply that deleted an audience', async () => {
    await setup();
    const deletion = { address: 'audience.gone', kind: 'audience', key: 'gone', action: 'delete', attributes: [] };
    await new ApplyLogStore(wh, SCHEMA).append({
      ...{ id: 'apply-7', appliedAt: new Date('2026-12-01T10:00:00Z'), appliedBy: 'ci', commitSha: 'abcdef1234567890', branch: 'main', prNumber: 12 },
      ...{ planHash: 'p', changes: JSON.stringify([deletion]), stack: 's', author: 'Ada', repository: null, runUrl: null },
      ...{ stateHashBefore: 'a', stateHashAfter: 'b', summary: '{}', metadata: '{}' },
    });
    const err = await computeNow(wh, SCHEMA, 'gone').catch((e) => e);
    expect(err.code).toBe('AUDIENCE_DELETED');
    expect(err.message).toContain('apply-7, commit abcdef123456, by Ada');
  });
});
