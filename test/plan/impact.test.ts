import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildPlan } from '../../src/plan/build.js';
import { renderPlanMarkdown } from '../../src/plan/render-markdown.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import type { DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { desired, rawDesired, tempDir } from './fixtures.js';
import { planAndApply } from './helpers.js';
import { openMigratedDuckDb } from '../support/migrated-file.js';

describe('plan --impact', () => {
  let wh: DuckDbWarehouse;
  beforeEach(async () => {
    wh = await openMigratedDuckDb(join(tempDir(), 'w.duckdb'), 'LINKED_AUDIENCES');
    await wh.query(`CREATE TABLE main.profiles (user_id VARCHAR, email VARCHAR, plan VARCHAR, account_id VARCHAR)`);
    await wh.query(
      `INSERT INTO main.profiles VALUES ('u1', 'a@x', 'premium', NULL), ('u2', 'b@x', 'premium', NULL), ('u3', 'c@x', 'gold', NULL), ('u4', NULL, NULL, NULL)`,
    );
  });
  afterEach(async () => wh.close());

  /** The stack's audiences enabled: computed once applied, so their counts are movement the apply causes. */
  const enabled = (raw: Record<string, any>) => ({ ...raw, audiences: raw.audiences.map((a: object) => ({ ...a, enabled: true })) });

  it('counts current, new, entering and exiting in the warehouse without applying', async () => {
    const raw = rawDesired(':memory:', 2);
    await planAndApply(wh, desired(enabled(raw)));
    raw.audiences[0].condition = { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['gold', 'premium'] };
    raw.audiences[1].condition = { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'gold' } };
    raw.audiences.push({ key: 'with-email', name: 'With email', condition: { kind: 'trait', trait: 'email', operator: 'exists' } });
    raw.audiences.push({ ...raw.audiences[0], key: 'unchanged-new-name' });
    const plan = await buildPlan(wh, desired(enabled(raw)), { impact: true });
    expect(plan.impact).toEqual([
      { key: 'aud-0', currentSize: 2, newSize: 3, entering: 1, exiting: 0 },
      { key: 'aud-1', currentSize: 2, newSize: 1, entering: 1, exiting: 2 },
      { key: 'unchanged-new-name', currentSize: null, newSize: 3, entering: 3, exiting: 0 },
      { key: 'with-email', currentSize: null, newSize: 3, entering: 3, exiting: 0 },
    ]);
    // Nothing was applied: the next plan still shows the same changes.
    expect((await buildPlan(wh, desired(enabled(raw)))).summary).toMatchObject({ create: 2, update: 2 });
  });

  it('reports an audience the warehouse cannot count without hiding the others', async () => {
    const raw = rawDesired(':memory:', 1);
    raw.audiences.push({ key: 'broken', name: 'Broken', condition: { kind: 'trait', trait: 'no_such_column', operator: 'exists' } });
    const plan = await buildPlan(wh, desired(enabled(raw)), { impact: true });
    expect(plan.impact![0]).toEqual({ key: 'aud-0', currentSize: null, newSize: 2, entering: 2, exiting: 0 });
    expect(plan.impact![1]).toMatchObject({ key: 'broken', error: expect.stringMatching(/no_such_column/) });
  });

  it('counts the audiences that read a changed audience ("part of"), saying which change moves them', async () => {
    const raw = rawDesired(':memory:', 1);
    const partOf = (audience: string) => ({ kind: 'audience', audience, source: 'linked', negate: false });
    raw.audiences.push({ key: 'with-email-premium', name: 'Premium with email', condition: { kind: 'and', conditions: [partOf('aud-0'), { kind: 'trait', trait: 'email', operator: 'exists' }] } });
    raw.audiences.push({ key: 'of-those', name: 'Read through another', condition: partOf('with-email-premium') });
    raw.audiences.push({ key: 'unrelated', name: 'Unrelated', condition: { kind: 'trait', trait: 'email', operator: 'exists' } });
    await planAndApply(wh, desired(enabled(raw)));
    // u3 (gold, with an email) enters aud-0, and through it both audiences that read it.
    raw.audiences[0].condition = { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['gold', 'premium'] };
    const plan = await buildPlan(wh, desired(enabled(raw)), { impact: true });
    expect(plan.impact).toEqual([
      { key: 'aud-0', currentSize: 2, newSize: 3, entering: 1, exiting: 0 },
      { key: 'of-those', currentSize: 2, newSize: 3, entering: 1, exiting: 0, through: ['aud-0'] },
      { key: 'with-email-premium', currentSize: 2, newSize: 3, entering: 1, exiting: 0, through: ['aud-0'] },
    ]);
    expect(renderPlanText(plan)).toMatch(/^  with-email-premium \(through aud-0\) +2 +3 +\+1 +-0$/m);
    expect(renderPlanMarkdown(plan)).toContain('| `of-those` (through `aud-0`) | 2 | 3 | +1 | -0 |');
  });

  it('marks a disabled audience, changed or read through "part of": not computed until enabled, so nobody enters or exits it on apply', async () => {
    const raw = rawDesired(':memory:', 2);
    const partOf = (audience: string) => ({ kind: 'audience', audience, source: 'linked', negate: false });
    raw.audiences[0].enabled = true;
    // aud-1 stays disabled; a disabled audience reads the enabled aud-0, an enabled one reads the disabled aud-1 (its condition, in place).
    raw.audiences.push({ key: 'idle-reader', name: 'Idle reader', condition: partOf('aud-0') });
    raw.audiences.push({ key: 'live-reader', name: 'Live reader', enabled: true, condition: partOf('aud-1') });
    await planAndApply(wh, desired(raw));
    raw.audiences[0].condition = { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['gold', 'premium'] };
    raw.audiences[1].condition = { kind: 'trait', trait: 'plan', operator: 'one_of', value: ['gold', 'premium'] };
    const plan = await buildPlan(wh, desired(raw), { impact: true });
    expect(plan.impact).toEqual([
      { key: 'aud-0', currentSize: 2, newSize: 3, entering: 1, exiting: 0 },
      { key: 'aud-1', currentSize: 2, newSize: 3, entering: 1, exiting: 0, disabled: true },
      { key: 'idle-reader', currentSize: 2, newSize: 3, entering: 1, exiting: 0, through: ['aud-0'], disabled: true },
      { key: 'live-reader', currentSize: 2, newSize: 3, entering: 1, exiting: 0, through: ['aud-1'] },
    ]);
    const text = renderPlanText(plan);
    expect(text).toMatch(/^  aud-1 \(disabled\) +2 +3 +\+1 +-0$/m);
    expect(text).toMatch(/^  idle-reader \(through aud-0; disabled\) +2 +3 +\+1 +-0$/m);
    expect(text).toMatch(/^  live-reader \(through aud-1\) +2 +3 +\+1 +-0$/m);
    expect(text).toContain('  Disabled (aud-1, idle-reader): not computed until enabled, so nobody enters or exits them on apply; their counts are what their conditions hold now.\n');
    const md = renderPlanMarkdown(plan);
    expect(md).toContain('| `aud-1` (disabled) | 2 | 3 | +1 | -0 |');
    expect(md).toContain('| `idle-reader` (through `aud-0`; disabled) | 2 | 3 | +1 | -0 |');
    expect(md).toContain('Disabled (`aud-1`, `idle-reader`): not computed until enabled, so nobody enters or exits them on apply; their counts are what their conditions hold now.');
  });
});
