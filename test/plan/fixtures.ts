import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { providerAttributes, RESOURCE_ATTRIBUTES, type AttributeSpec } from '../../src/model/attributes.js';
import { Desired, PROVIDER_NAME, terraformType, type ResourceKind } from '../../src/model/desired.js';

/** A fresh temp directory for one test's DuckDB file and project. */
export const tempDir = (prefix = 'linked-plan-') => mkdtempSync(join(tmpdir(), prefix));

/** Raw (pre-zod) desired input: tests edit it, then `desired(raw)` parses it like the loader. */
export function rawDesired(dbPath: string, audiences = 2): Record<string, any> {
  return {
    stack: 'marketing',
    warehouse: { type: 'duckdb', path: dbPath },
    graph: {
      key: 'graph',
      profile: { table: 'main.profiles', id: 'user_id', traits: ['email', 'plan', 'account_id'] },
      entities: [
        { slug: 'account', name: 'Account', table: 'main.accounts', primaryKey: 'id' },
        { slug: 'card', name: 'Card', table: 'main.cards', primaryKey: 'id' },
      ],
      relationships: [
        { slug: 'accounts', name: 'Accounts', entity: 'account', parent: null, join: { type: 'profile', via: 'trait', profileColumn: 'account_id', entityColumn: 'id' } },
        { slug: 'cards', name: 'Cards', entity: 'card', parent: 'accounts', join: { type: 'entity', parentColumn: 'id', entityColumn: 'account_id' } },
      ],
    },
    audiences: Array.from({ length: audiences }, (_, i) => ({
      key: `aud-${i}`,
      name: `Audience ${i}`,
      condition: { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: 'premium' } },
    })),
    destinations: [
      { key: 'hook', type: 'webhook', settings: { url: 'https://example.test/hook', headers: { Authorization: { secret: 'HOOK_TOKEN' } } } },
    ],
    emitters: [{ key: 'entered-hook', audience: 'aud-0', destination: 'hook', trigger: 'audience_entered' }],
  };
}

export const desired = (raw: Record<string, any>): Desired => Desired.parse(structuredClone(raw));

/**
 * Writes `<dir>/cdktf.out/stacks/<stack>/cdk.tf.json` for a desired stack, encoded the way the
 * constructs synthesize it (src/model/attributes.ts), so CLI tests load it through loadDesired.
 */
export function writeManifest(dir: string, d: Desired, options: { constructPaths?: boolean } = {}): void {
  const encode = (specs: readonly AttributeSpec[], value: Record<string, unknown>) => {
    const block: Record<string, unknown> = {};
    for (const s of specs) {
      const v = value[s.field];
      if (v !== undefined) block[s.tfName] = s.encoding === 'json' ? JSON.stringify(v) : v;
    }
    return block;
  };
  const resource: Record<string, Record<string, unknown>> = {};
  const add = (kind: ResourceKind, spec: { key: string }) => {
    const block = encode(RESOURCE_ATTRIBUTES[kind], spec as Record<string, unknown>);
    // cdktn records where each resource was declared; the CLI names the construct in its messages.
    if (options.constructPaths) block['//'] = { metadata: { path: `${d.stack}/${spec.key}/resource` } };
    (resource[terraformType(kind)] ??= {})[spec.key.replace(/-/g, '_')] = block;
  };
  add('data_graph', d.graph);
  d.classicAudiences.forEach((s) => add('classic_audience', s));
  d.audiences.forEach((s) => add('audience', s));
  d.destinations.forEach((s) => add('destination', s));
  d.emitters.forEach((s) => add('event_emitter', s));
  const json = { provider: { [PROVIDER_NAME]: [encode(providerAttributes(), d.warehouse as Record<string, unknown>)] }, resource };
  const stackDir = join(dir, 'cdktf.out', 'stacks', d.stack);
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(join(stackDir, 'cdk.tf.json'), JSON.stringify(json, null, 2));
}
