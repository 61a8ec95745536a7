import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PlanSchema, planJsonSchema } from '../../src/plan/schema.js';
import { renderPlanJson } from '../../src/plan/planfile.js';
import { renderPlanMarkdown } from '../../src/plan/render-markdown.js';
import { diagnosticLine, renderPlanText } from '../../src/plan/render-text.js';
import { makePlan } from '../../src/plan/make.js';
import { conditionGoldenPlan, goldenPlan } from './golden-plan.js';
import { renderDiagnosticSummary } from '../../src/plan/render-diagnostics.js';
import { loggedChange } from '../../src/plan/apply.js';
import { renderAuditText } from '../../src/cli/commands/audit.js';
import type { ApplyLogEntry } from '../../src/state/apply/apply-log.js';
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
    expect(renderPlanText(bad)).toMatch(/^Error \[ENTITY_MISSING\]: Entity missing from Data Graph: card\n[\s\S]*This plan has 1 error and cannot be applied: ENTITY_MISSING\.\n$/);
    expect(renderPlanMarkdown(bad)).toContain('**This plan has 1 error and cannot be applied: ENTITY_MISSING.**');
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
    // Where each change is declared; a deleted resource is declared nowhere any more.
    expect(json.changes[0].constructPath).toBeUndefined();
    expect(json.changes.find((c: { address: string }) => c.address === 'audience.vip')).toMatchObject({ constructPath: 'marketing/audiences/vip' });
    expect(renderPlanText(p)).toContain('  # audience.aud-2 will be destroyed\n');
    // A field renamed or removed breaks consumers: the schema rejects it.
    const { summary: _s, ...withoutSummary } = json;
    expect(PlanSchema.safeParse(withoutSummary).success).toBe(false);
    const schema = planJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['formatVersion', 'changes', 'stateHash', 'planHash']));
    // Plans saved before linked recorded the synth they were made from are still plans of format 1.
    expect(schema.required).not.toContain('manifestHash');
  });
});

/** An apply-log entry of a plan's changes, as `linked audit` reads it back. */
function auditEntry(plan: ReturnType<typeof conditionGoldenPlan>): ApplyLogEntry {
  return {
    id: 'apply-1', appliedAt: '2026-03-01T10:05:00.000Z', appliedBy: 'ci', author: 'ana', commitSha: 'c0ffee0000000000', dirty: false, branch: 'main', prNumber: 42,
    repository: null, runUrl: null, stack: plan.stack, planHash: plan.planHash, stateHashBefore: null, stateHashAfter: null, metadata: {},
    changes: JSON.parse(JSON.stringify(plan.changes.filter((c) => c.action !== 'no-op').map(loggedChange))),
  };
}

describe('conditions in a plan', () => {
  it('a nested condition change reads as the condition tree, in the terminal (golden)', () => {
    const text = renderPlanText(conditionGoldenPlan());
    expectGolden('plan-condition.txt', text);
    expect(text).not.toContain('condition.conditions[');
    expect(text).toContain('~ balance >= 30 -> 1000');
  });

  it('the same tree in markdown, its markers in column 0 for GitHub’s diff colours (golden)', () => {
    const md = renderPlanMarkdown(conditionGoldenPlan());
    expectGolden('plan-condition.md', md);
    expect(md).toMatch(/^!\s+~?\s*balance >= 30 -> 1000$/m);
  });

  it('JSON keeps the structured diff, valid against the published schema (golden)', () => {
    const plan = conditionGoldenPlan();
    const json = renderPlanJson(plan);
    expectGolden('plan-condition.json', json);
    const parsed = PlanSchema.parse(JSON.parse(json));
    const changed = parsed.changes.find((c) => c.key === 'aud-0')!;
    expect(changed.conditionDiff).toMatchObject({ action: 'change', after: 'all of' });
    // The attribute paths stay alongside, for tools that read them.
    expect(changed.attributes.map((a) => a.path)).toContain('condition.conditions[1].where.conditions[1].where.conditions[1].value.literal');
    expect(planJsonSchema()).toMatchObject({ properties: { changes: { items: { properties: { conditionDiff: expect.anything() } } } } });
  });

  it('linked audit renders the logged change with the same tree (golden)', () => {
    const entry = auditEntry(conditionGoldenPlan());
    expect(entry.changes.every((c) => c.kind !== 'audience' || c.conditionDiff)).toBe(true);
    expectGolden('audit-condition.txt', renderAuditText([entry]));
    // An entry logged before conditions were diffed still renders, by attribute path.
    const old = { ...entry, changes: entry.changes.map(({ conditionDiff: _d, ...c }) => c) };
    const flat = renderAuditText([old]);
    expect(flat).toContain('+ condition.conditions[1].count.value = 1');
    expect(flat).not.toContain('condition {');
  });
});

describe('diagnostic summary', () => {
  const diagnostics = [
    { severity: 'warning' as const, code: 'COLUMN_TYPE', message: 'Column plan of main.profiles is not a string', resource: 'data_graph.graph' },
    { severity: 'error' as const, code: 'ENTITY_MISSING', message: 'Entity missing from Data Graph: card', resource: 'audience.aud-0', attribute: 'condition.conditions[2]' },
    { severity: 'error' as const, code: 'PREVENT_DESTROY', message: 'audience.aud-2 has preventDestroy set', resource: 'audience.aud-2', hint: 'Set preventDestroy: false first.' },
  ];

  it('counts errors and warnings, lists errors first with their construct path, and names what blocks the apply', () => {
    const paths = new Map([['audience.aud-0', 'marketing/premium'], ['data_graph.graph', 'marketing/graph']]);
    expect(renderDiagnosticSummary({ diagnostics, applicable: false }, { constructPaths: paths })).toBe(
      [
        'Diagnostics: 2 errors, 1 warning',
        '  Error [ENTITY_MISSING] audience.aud-0, construct marketing/premium, at condition.conditions[2]: Entity missing from Data Graph: card',
        '  Error [PREVENT_DESTROY] audience.aud-2: audience.aud-2 has preventDestroy set Set preventDestroy: false first.',
        '  Warning [COLUMN_TYPE] data_graph.graph, construct marketing/graph: Column plan of main.profiles is not a string',
        'This plan has 2 errors and cannot be applied: ENTITY_MISSING (audience.aud-0), PREVENT_DESTROY (audience.aud-2).',
        '',
      ].join('\n'),
    );
  });

  it('writes what a message quotes from the warehouse safe for a terminal, in the summary, the plan text and the drift line', () => {
    const quoted = { severity: 'warning' as const, code: 'DRIFT_COLUMN_MISSING', message: 'Column "pl\u001b[2Jan\u202e" of main.profiles is gone\r', resource: 'data_graph.graph' };
    const plan = makePlan(desired(rawDesired(':memory:', 0)), [], { diagnostics: [quoted] });
    for (const text of [renderDiagnosticSummary({ diagnostics: [quoted], applicable: true }), renderPlanText(plan), renderPlanText(plan, { color: true }), diagnosticLine(quoted)]) {
      expect(text).not.toMatch(/\u001b\[2J|\u202e|\r/);
      expect(text).toContain('pl\\u001b[2Jan\\u202e');
    }
  });

  it('is silent without diagnostics, and has no verdict line when only warnings', () => {
    expect(renderDiagnosticSummary({ diagnostics: [], applicable: true })).toBe('');
    expect(renderDiagnosticSummary({ diagnostics: [diagnostics[0]], applicable: true })).toBe(
      'Diagnostics: 1 warning\n  Warning [COLUMN_TYPE] data_graph.graph: Column plan of main.profiles is not a string\n',
    );
  });
});
