import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linked } from '../plan/cli-project.js';
import { multiStackProject } from './project.js';

// Two stacks of one app in one DuckDB file and one state schema, each keeping the Data Graph's
// default key: the way a team meets it is two saved plans, made before either is applied.
describe('two stacks that declare one key in one state schema', () => {
  it('the second saved plan is refused at apply and the first stack keeps its resources', async () => {
    const dir = await multiStackProject([
      { name: 'marketing', db: 'w.duckdb', prefix: 'mkt', graphKey: 'graph' },
      { name: 'risk', db: 'w.duckdb', prefix: 'risk', graphKey: 'graph' },
    ]);
    for (const stack of ['marketing', 'risk']) {
      const plan = await linked(['plan', '--dir', dir, '--stack', stack, '--out', join(dir, `${stack}.plan`)]);
      expect(plan.status, plan.stderr).toBe(0);
    }
    expect((await linked(['apply', join(dir, 'marketing.plan'), '--dir', dir, '--auto-approve'])).status).toBe(0);

    const second = await linked(['apply', join(dir, 'risk.plan'), '--dir', dir, '--auto-approve']);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain('STATE_KEY_CONFLICT');
    expect(second.stderr).toContain('data_graph.graph is already applied by stack "marketing"');
    expect(second.stderr).toContain('`stateSchema` of its Warehouse');

    const addresses = async (stack: string) =>
      JSON.parse((await linked(['state', 'list', '--dir', dir, '--stack', stack, '--json'])).stdout).resources.map((r: { address: string }) => r.address);
    expect(await addresses('marketing')).toEqual(['data_graph.graph', 'audience.mkt-aud', 'destination.mkt-hook', 'event_emitter.mkt-entered']);
    expect(await addresses('risk')).toEqual([]);
  });

  it('a fresh plan of the second stack names the way out', async () => {
    const dir = await multiStackProject([
      { name: 'marketing', db: 'w.duckdb', prefix: 'mkt', graphKey: 'graph' },
      { name: 'risk', db: 'w.duckdb', prefix: 'risk', graphKey: 'graph' },
    ]);
    expect((await linked(['apply', '--dir', dir, '--stack', 'marketing', '--auto-approve'])).status).toBe(0);
    const plan = await linked(['plan', '--dir', dir, '--stack', 'risk']);
    expect(plan.status).toBe(1);
    expect(plan.stdout + plan.stderr).toContain('Give the resource of stack "risk" another key (its construct id, or `key` of a DataGraph)');
  });

  it('validate finds the shared key before anything is applied, and plan warns of it', async () => {
    const dir = await multiStackProject([
      { name: 'marketing', db: 'w.duckdb', prefix: 'mkt', graphKey: 'graph' },
      { name: 'risk', db: 'w.duckdb', prefix: 'risk', graphKey: 'graph' },
    ]);
    const validate = await linked(['validate', '--dir', dir, '--no-synth']);
    expect(validate.status).toBe(1);
    expect(validate.stderr).toContain('STATE_KEY_CONFLICT');
    expect(validate.stderr).toContain('data_graph.graph is declared by stacks "marketing" and "risk", which keep their state in one schema (LINKED_AUDIENCES in w.duckdb)');
    // One stack alone is valid.
    expect((await linked(['validate', '--dir', dir, '--no-synth', '--stack', 'marketing'])).status).toBe(0);

    const plan = JSON.parse((await linked(['plan', '--dir', dir, '--stack', 'marketing', '--json'])).stdout);
    expect(plan.applicable).toBe(true);
    expect(plan.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', code: 'STATE_KEY_SHARED', resource: 'data_graph.graph' })]);
  });
});

describe('two stacks on different DuckDB files', () => {
  it('may use the same keys', async () => {
    const dir = await multiStackProject([
      { name: 'marketing', db: 'marketing.duckdb', prefix: 'same', graphKey: 'graph' },
      { name: 'risk', db: 'risk.duckdb', prefix: 'same', graphKey: 'graph' },
    ]);
    expect((await linked(['validate', '--dir', dir, '--no-synth'])).status).toBe(0);
    for (const stack of ['marketing', 'risk']) {
      const apply = await linked(['apply', '--dir', dir, '--stack', stack, '--auto-approve', '--json']);
      expect(apply.status, apply.stderr).toBe(0);
      expect(JSON.parse(apply.stdout)).toMatchObject({ applied: true, stack, summary: { create: 4 } });
      expect(JSON.parse(apply.stdout).plan.diagnostics).toEqual([]);
    }
  });
});
