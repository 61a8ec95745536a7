import { resolve } from 'node:path';
import type { Diagnostic } from '../model/diagnostics.js';
import type { Desired } from '../model/desired.js';
import { LinkedError } from '../model/errors.js';
import type { WarehouseConfig } from '../model/warehouse.js';

/*
 * Stacks of one app that keep their state in one schema (one DuckDB file, one Snowflake database,
 * one stateSchema) share its keys: a key names one resource there, whatever the stack. Two stacks
 * that declare one key pass each stack's own checks, and the second to apply fails with
 * STATE_KEY_CONFLICT; found here, the clash shows when the app is checked, before either applies.
 */

/** A key that more than one stack declares in one state schema. */
export interface SharedStateKey {
  address: string;
  stacks: string[];
  /** Where that state is, as people name it: `LINKED_AUDIENCES in warehouse.duckdb`. */
  state: string;
}

/** The state a stack writes to, or undefined when it is its own (an in-memory DuckDB). */
function stateOf(w: WarehouseConfig, projectDir: string): { id: string; label: string } | undefined {
  const schema = w.stateSchema.toUpperCase();
  if (w.type === 'duckdb') {
    if (w.path === ':memory:') return undefined;
    return { id: `duckdb:${resolve(projectDir, w.path)}:${schema}`, label: `${w.stateSchema} in ${w.path}` };
  }
  return { id: `snowflake:${w.account.toLowerCase()}:${w.database.toUpperCase()}:${schema}`, label: `${w.stateSchema} in ${w.account}/${w.database}` };
}

const addressesOf = (d: Desired): string[] => [
  `data_graph.${d.graph.key}`,
  ...d.classicAudiences.map((r) => `classic_audience.${r.key}`),
  ...d.audiences.map((r) => `audience.${r.key}`),
  ...d.destinations.map((r) => `destination.${r.key}`),
  ...d.emitters.map((r) => `event_emitter.${r.key}`),
];

/** Every key declared by more than one of `stacks` in one state schema. */
export function sharedStateKeys(stacks: readonly Desired[], projectDir: string): SharedStateKey[] {
  const byAddress = new Map<string, SharedStateKey>();
  for (const d of stacks) {
    const state = stateOf(d.warehouse, projectDir);
    if (!state) continue;
    for (const address of addressesOf(d)) {
      const at = `${state.id}\u0000${address}`;
      const found = byAddress.get(at) ?? { address, stacks: [], state: state.label };
      found.stacks.push(d.stack);
      byAddress.set(at, found);
    }
  }
  return [...byAddress.values()].filter((k) => k.stacks.length > 1);
}

/** What to do about a shared key: the same two ways out as an applied one. */
export function sharedKeyMessage(k: SharedStateKey): string {
  const names = k.stacks.map((s) => `"${s}"`).join(' and ');
  return (
    `${k.address} is declared by stacks ${names}, which keep their state in one schema (${k.state}): keys are unique in a state schema, ` +
    `so the second to apply would fail with STATE_KEY_CONFLICT. Give one of them another key (its construct id, or \`key\` of a DataGraph), ` +
    `or give one stack a state schema of its own (\`stateSchema\` of its Warehouse).`
  );
}

/** For `linked validate` and `linked check`, which look at the whole app: a shared key is an error. */
export function assertNoSharedStateKeys(stacks: readonly Desired[], projectDir: string): void {
  const shared = sharedStateKeys(stacks, projectDir);
  if (shared.length === 0) return;
  throw new LinkedError('STATE_KEY_CONFLICT', shared.map(sharedKeyMessage).join('\n'), { resources: shared.map((k) => k.address) });
}

/**
 * For `linked plan` of one stack: a warning for each of its keys another stack of the app declares
 * in the same state schema (`siblings`: the app's other stacks that loaded). A warning, not an
 * error: the stack that applied the key first keeps planning; the other's plan fails on it.
 */
export function sharedKeyWarnings(desired: Desired, siblings: readonly Desired[], projectDir: string): Diagnostic[] {
  return sharedStateKeys([desired, ...siblings.filter((s) => s.stack !== desired.stack)], projectDir)
    .filter((k) => k.stacks.includes(desired.stack))
    .map((k) => ({ severity: 'warning' as const, code: 'STATE_KEY_SHARED', message: sharedKeyMessage(k), resource: k.address }));
}
