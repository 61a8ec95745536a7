import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProviderSchema, generate, PROVIDER_SOURCE } from '../../scripts/gen.js';
import { cleanup, tempDir } from './helpers.js';

afterEach(cleanup);

const ROOT = join(import.meta.dirname, '..', '..');

function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(relative(dir, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name), 'utf8'));
  }
  return out;
}

describe('provider schema and L1 (npm run gen)', () => {
  it('derives one resource type per model kind, structured fields as JSON strings', () => {
    const schema = buildProviderSchema();
    const provider = schema.provider_schemas[PROVIDER_SOURCE];
    expect(Object.keys(provider.resource_schemas).sort()).toEqual([
      'linkedaudiences_audience',
      'linkedaudiences_classic_audience',
      'linkedaudiences_data_graph',
      'linkedaudiences_destination',
      'linkedaudiences_event_emitter',
    ]);
    const emitter = provider.resource_schemas.linkedaudiences_event_emitter.block.attributes as Record<string, { type: unknown; required?: boolean; optional?: boolean }>;
    expect(emitter.key).toMatchObject({ type: 'string', required: true });
    expect(emitter.entity_path).toMatchObject({ type: ['list', 'string'], optional: true });
    expect(emitter.send_for_current).toMatchObject({ type: 'bool', optional: true });
    expect(emitter.enrich).toMatchObject({ type: 'string', optional: true });
    const audience = provider.resource_schemas.linkedaudiences_audience.block.attributes as Record<string, { type: unknown; required?: boolean }>;
    expect(audience.condition).toMatchObject({ type: 'string', required: true });
    const graph = provider.resource_schemas.linkedaudiences_data_graph.block.attributes as Record<string, { type: unknown }>;
    expect(graph.max_depth.type).toBe('number');
    const warehouse = provider.provider.block.attributes as Record<string, { type: unknown; required?: boolean }>;
    expect(warehouse.type).toMatchObject({ type: 'string', required: true });
    expect(warehouse.auth.type).toBe('string');
    expect(warehouse.state_schema.type).toBe('string');
  });

  it('the committed provider-schema.json and constructs/.gen are what gen produces from src/model', async () => {
    const root = tempDir('la-gen-');
    mkdirSync(join(root, 'constructs'));
    await generate(root);
    expect(readFileSync(join(root, 'provider-schema.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'provider-schema.json'), 'utf8'));
    const fresh = filesUnder(join(root, 'constructs', '.gen'));
    const committed = filesUnder(join(ROOT, 'constructs', '.gen'));
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    for (const [file, text] of fresh) expect(committed.get(file), file).toBe(text);
  });
});
