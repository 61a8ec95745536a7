import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PlanSchema, planJsonSchema } from '../../src/plan/schema.js';
import { renderPlanJson } from '../../src/plan/planfile.js';
import { renderPlanMarkdown } from '../../src/plan/render-markdown.js';
import { renderPlanText } from '../../src/plan/render-text.js';
import { makePlan } from '../../src/plan/make.js';
import { goldenPlan } from './golden-plan.js';
import { desired, rawDesired } from './fixtures.js';

const golden = (name: string) => fileURLToPath(new URL(`./golden/${name}`, import.meta.url));

/** Compares with the golden file; UPDATE_GOLDEN=1 rewrites it (then review the diff). */
function expectGolden(name: string, actual: string) {
  if (process.env.UPDATE_GOLDEN) writeFileSync(golden(name), actual);
  expect(actual).toBe(readFileSync(golden(name), 'utf8'));
}

describe('plan renderers', () => {
  it('terminal text without colour matches the golden file', () => {
    const text = renderPlanText(goldenPlan(), { color: false });
    expectGolden('plan.txt', text);
    expect(text).not.toMatch(/\u001b\[/);
  });

  it('colours only when asked (a TTY), with the same text underneath', () => {
    const plain = renderPlanText(goldenPlan(), { color: false });
    const coloured = renderPlanText(goldenPlan(), { color: true });
    expect(coloured).toMatch(/\u001b\[32m\+\u001b\[0m/);
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(plain);
  });

  it('markdown for PR comments matches the golden file', () => {
    expectGolden('plan.md', renderPlanMarkdown(goldenPlan()));
  });

  it('never prints a secret reference in text or markdown', () => {
    const p = goldenPlan();
    for (const out of [renderPlanText(p), renderPlanMarkdown(p)]) {
      expect(out).not.toContain('SEGMENT_WRITE_KEY');
      expect(out).not.toContain('HOOK_TOKEN');
      expect(out).toContain('settings.writeKey = (sensitive)');
    }
  });

  it('says so when there are no changes, and when the plan cannot be applied', () => {
    const none = makePlan(desired(rawDesired(':memory:', 0)), []);
    const noChanges = { ...none, changes: [], hasChanges: false, summary: { create: 0, update: 0, replace: 0, delete: 0, noop: 0 } };
    expect(renderPlanText(noChanges)).toBe('No changes. Stack "marketing" matches the applied state.\n');
    expect(renderPlanMarkdown(noChanges)).toContain('No changes: stack `marketing` matches the applied state.');
    const bad = makePlan(desired(rawDesired(':memory:', 0)), [], { diagnostics: [{ severity: 'error', code: 'ENTITY_MISSING', message: 'Entity missing from Data Graph: card' }] });
    expect(renderPlanText(bad)).toMatch(/^Error \[ENTITY_MISSING\]: Entity missing from Data Graph: card\n[\s\S]*This plan has errors and cannot be applied\.\n$/);
    expect(renderPlanMarkdown(bad)).toContain('**This plan has 1 error and cannot be applied.**');
  });

  it('JSON follows the published schema and format version', () => {
    const p = goldenPlan();
    const json = JSON.parse(renderPlanJson(p));
    expect(PlanSchema.parse(json)).toBeTruthy();
    expect(json.formatVersion).toBe(1);
    expect(Object.keys(json).sort()).toEqual(
      ['applicable', 'changes', 'createdAt', 'diagnostics', 'formatVersion', 'hasChanges', 'impact', 'manifestHash', 'planHash', 'stack', 'stateHash', 'stateSchema', 'summary', 'warehouse'].sort(),
    );
    expect(json.changes[0]).toMatchObject({ address: 'audience.aud-2', action: 'delete', kind: 'audience', key: 'aud-2', after: null });
    // A field renamed or removed breaks consumers: the schema rejects it.
    const { summary: _s, ...withoutSummary } = json;
    expect(PlanSchema.safeParse(withoutSummary).success).toBe(false);
    const schema = planJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['formatVersion', 'changes', 'stateHash', 'planHash']));
  });
});
