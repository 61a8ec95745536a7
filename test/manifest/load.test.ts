import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Audience, Destination, EventEmitter, Trigger, col, trait } from '../../constructs/index.js';
import { desiredFromStackJson, loadDesired } from '../../src/manifest/index.js';
import { isLinkedError, type LinkedError } from '../../src/model/errors.js';
import { bankStack, cleanup, tempDir } from '../constructs/helpers.js';

afterEach(cleanup);

type Json = Record<string, any>;

/** A valid synthesized stack as parsed JSON, to break in one place per test. */
function validStackJson(): Json {
  const b = bankStack();
  const a = new Audience(b.stack, 'a', { where: b.accounts.where(b.cards.where(col('balance').gt(1000))) });
  const d = Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:1/x' });
  new EventEmitter(b.stack, 'e', { audience: a, destination: d, trigger: Trigger.entityAdded(b.cards) });
  b.app.synth();
  return JSON.parse(readFileSync(join(b.outdir, 'stacks', 'bank', 'cdk.tf.json'), 'utf8'));
}

function loadError(json: Json): LinkedError {
  try {
    desiredFromStackJson(json, 'bank');
  } catch (e) {
    if (isLinkedError(e)) return e;
    throw e;
  }
  throw new Error('expected the stack to be rejected');
}

describe('desiredFromStackJson', () => {
  it('loads a valid stack', () => {
    const d = desiredFromStackJson(validStackJson(), 'bank');
    expect(d.audiences.map((a) => a.key)).toEqual(['a']);
    expect(d.emitters[0].entityPath).toEqual(['accounts', 'cards']);
  });

  it('ignores resources of other providers', () => {
    const json = validStackJson();
    json.resource.snowflake_grant = { g: { privilege: 'SELECT', on: '${snowflake_table.t.id}' } };
    json.resource.aws_s3_bucket = { b: { bucket: 'x' } };
    json.data = { aws_caller_identity: { me: {} } };
    expect(desiredFromStackJson(json, 'bank').audiences).toHaveLength(1);
  });

  it('rejects ${...} expressions naming the resource and attribute', () => {
    const json = validStackJson();
    json.resource.linkedaudiences_event_emitter.e.audience = '${linkedaudiences_audience.a.key}';
    json.resource.linkedaudiences_audience.a.condition = JSON.stringify({ kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: '${var.plan}' } });
    const e = loadError(json);
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('linkedaudiences_event_emitter.e (bank/e): audience: holds the Terraform expression ${linkedaudiences_audience.a.key}; linked-audiences reads literal values only');
    expect(e.message).toContain('linkedaudiences_audience.a (bank/a): condition: holds the Terraform expression ${var.plan}');
  });

  it('reads the escape $${ as a literal ${, in plain and JSON-encoded attributes, through a real synth', () => {
    const b = bankStack();
    const a = new Audience(b.stack, 'a', { where: trait('plan').equals('$${not an expression}') });
    const d = Destination.webhook(b.stack, 'hook', { url: 'http://127.0.0.1:1/x', headers: { 'X-Template': 'Hello $${name}' } });
    new EventEmitter(b.stack, 'e', { audience: a, destination: d, trigger: Trigger.audienceEntered() });
    b.app.synth();
    const d2 = desiredFromStackJson(JSON.parse(readFileSync(join(b.outdir, 'stacks', 'bank', 'cdk.tf.json'), 'utf8')), 'bank');
    expect(d2.audiences[0].condition).toMatchObject({ kind: 'trait', value: { literal: '${not an expression}' } });
    expect(JSON.stringify(d2.destinations[0])).toContain('Hello ${name}');
  });

  it('says how to write a literal ${ when it finds an expression', () => {
    const json = validStackJson();
    json.resource.linkedaudiences_audience.a.name = 'Cost ${x}';
    expect(loadError(json).message).toContain('for a literal "${" write "$${", as in Terraform');
  });

  it('refuses a resource past 1 MiB, naming its size and what to do instead', () => {
    const json = validStackJson();
    const values = Array.from({ length: 150_000 }, (_, i) => `zip-${i}`);
    json.resource.linkedaudiences_audience.a.condition = JSON.stringify({ kind: 'trait', trait: 'plan', operator: 'one_of', value: { literal: values } });
    const e = loadError(json);
    expect(e.message).toMatch(/linkedaudiences_audience\.a \(bank\/a\): is 2\.\d MiB once synthesized; a resource may be at most 1 MiB: keep long lists of values in a warehouse table/);
  });

  it('rejects unknown linkedaudiences_* resource types and data sources', () => {
    const json = validStackJson();
    json.resource.linkedaudiences_segment = { s: { key: 's' } };
    json.data = { linkedaudiences_audience: { x: {} } };
    const e = loadError(json);
    expect(e.message).toContain('linkedaudiences_segment: unknown resource type; linkedaudiences has linkedaudiences_data_graph, linkedaudiences_classic_audience');
    expect(e.message).toContain('data.linkedaudiences_audience: unknown data source');
  });

  it('reports schema errors with the resource and the attribute path', () => {
    const json = validStackJson();
    json.resource.linkedaudiences_audience.a.condition = JSON.stringify({
      kind: 'and',
      conditions: [
        { kind: 'trait', trait: 'plan', operator: 'exists' },
        { kind: 'trait', trait: 'credit_score', operator: 'gte', value: { literal: false } },
      ],
    });
    json.resource.linkedaudiences_event_emitter.e.entity_path = ['accounts', 'Cards!'];
    json.resource.linkedaudiences_event_emitter.e.send_for_current = 'yes';
    const e = loadError(json);
    expect(e.message).toContain('linkedaudiences_audience.a (bank/a): condition.conditions[1].value.literal: expected number or string, received boolean (for operator "gte")');
    expect(e.message).toContain('linkedaudiences_event_emitter.e (bank/e): entity_path[1]: must be lowercase letters, digits, "-" or "_", starting with a letter (max 63)');
    expect(e.message).toContain('linkedaudiences_event_emitter.e (bank/e): send_for_current: expected boolean, received string');
    expect((e.details?.problems as string[]).length).toBe(3);
  });

  it('reports unknown attributes, attributes that are not JSON, and missing required ones', () => {
    const json = validStackJson();
    json.resource.linkedaudiences_audience.a.colour = 'blue';
    json.resource.linkedaudiences_data_graph.graph.entities = '[{"slug":';
    delete json.resource.linkedaudiences_destination.hook.settings;
    const e = loadError(json);
    expect(e.message).toContain('linkedaudiences_audience.a (bank/a): colour: unknown attribute "colour"');
    expect(e.message).toMatch(/linkedaudiences_data_graph\.graph \(bank\/graph\): entities: is not valid JSON/);
    expect(e.message).toContain('linkedaudiences_destination.hook (bank/hook): settings: is required (expected object)');
  });

  it('requires one provider block (the warehouse) and one Data Graph', () => {
    const json = validStackJson();
    delete json.provider;
    delete json.resource.linkedaudiences_data_graph;
    const e = loadError(json);
    expect(e.message).toContain('provider.linkedaudiences: missing; the provider block holds the warehouse');
    expect(e.message).toContain('No linkedaudiences_data_graph resource: a stack declares one Data Graph.');
  });

  it('validates the warehouse in the provider block', () => {
    const json = validStackJson();
    json.provider.linkedaudiences = [{ type: 'snowflake', account: 'a', username: 'u', database: 'd', warehouse: 'w', role: 'r', auth: JSON.stringify({ type: 'password', password: 'hunter2' }) }];
    const e = loadError(json);
    expect(e.message).toContain("provider.linkedaudiences: auth.password: a secret reference is required, not a plain string: use secret('ENV_VAR_NAME')");
    expect(e.message).not.toContain('hunter2');
  });

  it('runs the static checks and names the resource of each finding', () => {
    const json = validStackJson();
    const condition = JSON.parse(json.resource.linkedaudiences_audience.a.condition);
    condition.where.where.column = 'balanse';
    json.resource.linkedaudiences_audience.a.condition = JSON.stringify(condition);
    json.resource.linkedaudiences_event_emitter.e.trigger = 'audience_exited';
    json.resource.linkedaudiences_event_emitter.e.send_for_current = true;
    const e = loadError(json);
    expect(e.message).toContain(
      'linkedaudiences_audience.a (bank/a): Entity column missing from Data Graph for Entity credit_card and Column: balanse (at condition.where.where.column)',
    );
    expect(e.message).toContain('linkedaudiences_event_emitter.e (bank/e): sendForCurrent is not available for the audience_exited trigger');
    expect(e.message).toContain('linkedaudiences_event_emitter.e (bank/e): The audience_exited trigger is about profiles; entityPath applies only to entity_added and entity_removed');
    expect((e.details?.diagnostics as unknown[]).length).toBe(3);
  });

  it("shows each finding's hint after the guide's words, as synth does", () => {
    const json = validStackJson();
    const graph = Object.values(json.resource.linkedaudiences_data_graph)[0] as Json;
    const relationships = JSON.parse(graph.relationships);
    relationships[0].join = { type: 'profile', via: 'identifier', profileColumn: 'user_idd', entityColumn: 'user_id' };
    graph.relationships = JSON.stringify(relationships);
    const e = loadError(json);
    expect(e.message).toContain(
      'Join key missing from Data Graph for relation: accounts (at relationships[0].join.profileColumn) The profile declares no identifier user_idd: add it to profile.identifiers. Did you mean "user_id"?',
    );
  });
});

describe('loadDesired', () => {
  it('says to synthesize first when there is no output', async () => {
    const dir = tempDir();
    await expect(loadDesired(join(dir, 'cdktf.out'))).rejects.toMatchObject({ code: 'MANIFEST_MISSING' });
  });

  it('needs --stack when the app has several stacks, and loads the one named', async () => {
    const a = bankStack('east');
    new Audience(a.stack, 'x', { where: trait('plan').exists() });
    const outdir = a.outdir;
    const b2 = bankStack('west');
    a.app.synth();
    // Put the other app's stack next to the first, so one manifest lists both.
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
    b2.app.synth();
    const west = readFileSync(join(b2.outdir, 'stacks', 'west', 'cdk.tf.json'), 'utf8');
    mkdirSync(join(outdir, 'stacks', 'west'), { recursive: true });
    writeFileSync(join(outdir, 'stacks', 'west', 'cdk.tf.json'), west);
    manifest.stacks.west = { ...manifest.stacks.east, name: 'west', synthesizedStackPath: 'stacks/west/cdk.tf.json' };
    writeFileSync(join(outdir, 'manifest.json'), JSON.stringify(manifest));

    await expect(loadDesired(outdir)).rejects.toMatchObject({ code: 'STACK_AMBIGUOUS' });
    expect((await loadDesired(outdir, 'east')).audiences.map((x) => x.key)).toEqual(['x']);
    expect((await loadDesired(outdir, 'west')).stack).toBe('west');
    await expect(loadDesired(outdir, 'north')).rejects.toMatchObject({ code: 'STACK_UNKNOWN' });
  });
});
