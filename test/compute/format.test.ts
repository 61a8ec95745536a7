import { describe, expect, it } from 'vitest';
import { renderRunSummary, renderStatus, statusView } from '../../src/compute/format.js';
import { Audience } from '../../src/model/audience.js';
import type { AudienceStatusRow } from '../../src/compute/status.js';

const audience = (enabled: boolean) =>
  Audience.parse({ key: 'aud', name: 'Aud', enabled, schedule: { type: 'interval', every: '15m' }, condition: { kind: 'trait', trait: 'plan', operator: 'exists' } });
const row = (o: Partial<AudienceStatusRow>): AudienceStatusRow => ({
  audienceKey: 'aud', status: 'Live', paused: false, pausedReason: null, lastRunId: 'r1',
  lastRunAt: new Date('2026-11-28T12:00:00Z'), nextRunAt: new Date('2026-11-28T12:15:00Z'), size: 1234, ...o,
});

describe('status view', () => {
  it('uses exactly the seed statuses: Disabled when disabled, Computing before the first run', () => {
    expect(statusView(audience(false), row({})).status).toBe('Disabled');
    expect(statusView(audience(false), row({})).nextRunAt).toBeNull();
    expect(statusView(audience(true), undefined).status).toBe('Computing');
    expect(statusView(audience(true), row({ status: 'Disabled' })).status).toBe('Computing');
    // Enabled again: due at the controller's next tick, not at the slot it had when disabled.
    expect(statusView(audience(true), row({ status: 'Disabled' })).nextRunAt).toBeNull();
    expect(statusView(audience(true), row({ status: 'Failed' })).status).toBe('Failed');
    expect(statusView(audience(true), row({})).status).toBe('Live');
  });
  it('renders last run, next run, size, and a paused audience with the way out', () => {
    const text = renderStatus([statusView(audience(true), row({}))]);
    expect(text).toMatch(/aud\s+Live\s+2026-11-28T12:00:00Z\s+2026-11-28T12:15:00Z\s+1,234\s+every 15m/);
    const paused = renderStatus([statusView(audience(true), row({ status: 'Failed', paused: true }))]);
    expect(paused).toContain('Failed (paused)');
    expect(paused).toContain('linked resume');
  });
  it('a run summary names the resume command when paused', () => {
    const s = renderRunSummary({
      runId: 'r', audienceKey: 'aud', status: 'Failed', trigger: 'manual', startedAt: new Date(), endedAt: new Date(), durationMs: 5,
      members: null, entered: null, exited: null, entitiesAdded: null, entitiesRemoved: null, baseline: false, paused: true, queryIds: [],
      error: { code: 'LOAD_RESULTS_FAILED', message: 'Execution is paused due to an identified operational issue.', action: 'pause' },
    });
    expect(s).toContain('Failed [LOAD_RESULTS_FAILED] Execution is paused');
    expect(s).toContain('linked resume aud');
  });
});
