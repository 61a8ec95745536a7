import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handwrittenCounts, handwrittenOverdueCardMatches } from '../../bench/compile/handwritten.js';
import { generateBankWarehouse } from '../../examples/bank/data.js';
import { previewAudience, withLinkedDependencies } from '../../src/preview/preview.js';
import type { Desired } from '../../src/model/desired.js';
import { openDuckDb, type DuckDbWarehouse } from '../../src/warehouse/duckdb.js';
import { bank } from '../fixtures/bank.js';
import { linkedInProcess } from '../support/linked-cli.js';
import { writeManifest } from '../plan/fixtures.js';

const linked = (args: string[]) => linkedInProcess(args);

const NOW = new Date('2026-11-28T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'linked-preview-'));
const stack: Desired = { ...bank, warehouse: { type: 'duckdb', path: 'bank.duckdb', stateSchema: 'LINKED_AUDIENCES' } };
let wh: DuckDbWarehouse;

beforeAll(async () => {
  await generateBankWarehouse(join(dir, 'bank.duckdb'), { profiles: 1500, seed: 11, now: NOW });
  writeManifest(dir, stack);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = async (q: { sql: string; params: unknown[] }) => Number(Object.values((await wh.query(q.sql, q.params)).rows[0])[0]);

describe('previewAudience on the bank example', () => {
  // Closed before the CLI's tests below: they run in this process, where one file has one opener.
  beforeAll(async () => {
    wh = await openDuckDb(join(dir, 'bank.duckdb'), { readOnly: true });
  });
  afterAll(async () => wh?.close());

  it.each(bank.audiences.map((a) => a.key))('%s: member count equals the hand-written SQL', async (key) => {
    const p = await previewAudience(stack, wh, key, { now: NOW, limit: 0 });
    expect(p.members).toBe(await count(handwrittenCounts(NOW)[key]));
  });

  it('the bank data gives every audience members (the preview is not trivially empty)', async () => {
    for (const a of bank.audiences) {
      expect((await previewAudience(stack, wh, a.key, { now: NOW, limit: 0 })).members, a.key).toBeGreaterThan(0);
    }
  });

  it('sample: chosen traits, ordered by id, each a member; entity count per entity trigger', async () => {
    const p = await previewAudience(stack, wh, 'overdue-cards', { now: NOW, limit: 5, traits: ['email', 'plan'] });
    expect(p.sample.traits).toEqual(['email', 'plan']);
    expect(p.sample.rows).toHaveLength(Math.min(5, p.members));
    expect(Object.keys(p.sample.rows[0])).toEqual(['user_id', 'email', 'plan']);
    const ids = p.sample.rows.map((r) => r.user_id as string);
    expect([...ids].sort()).toEqual(ids);
    for (const r of p.sample.rows) expect(['premium', 'private']).toContain(r.plan);
    expect(p.entityTriggers).toEqual([
      {
        path: 'accounts.cards',
        emitters: [
          { key: 'overdue-reminder', trigger: 'entity_added' },
          { key: 'overdue-cleared', trigger: 'entity_removed' },
        ],
        entities: await count(handwrittenOverdueCardMatches(NOW)),
      },
    ]);
    expect(p.entityTriggers[0].entities).toBeGreaterThanOrEqual(p.members);
  });

  it('default traits are the identifiers; audience without entity triggers has none', async () => {
    const p = await previewAudience(stack, wh, 'travel-spenders', { now: NOW, limit: 3 });
    expect(p.sample.traits).toEqual(['email']);
    expect(Object.keys(p.sample.rows[0])).toEqual(['user_id', 'email']);
    expect(p.entityTriggers).toEqual([]);
  });

  it('the catalog check covers the linked audiences a preview compiles inline', async () => {
    expect(withLinkedDependencies(stack, 'vip-upsell')).toEqual(['vip-upsell', 'travel-spenders']);
    expect(withLinkedDependencies(stack, 'dormant-savers')).toEqual(['dormant-savers']);
  });

  it('refuses unknown audiences, unknown traits and a sample over 3,000', async () => {
    await expect(previewAudience(stack, wh, 'nope')).rejects.toThrow('No audience "nope" in stack bank; audiences: overdue-cards, travel-spenders, dormant-savers, vip-upsell');
    await expect(previewAudience(stack, wh, 'overdue-cards', { traits: ['ssn'] })).rejects.toThrow('Unknown trait ssn');
    await expect(previewAudience(stack, wh, 'overdue-cards', { limit: 3001 })).rejects.toThrow('--limit must be a whole number from 0 to 3000');
  });
});

describe('linked preview (CLI)', () => {
  it('--json: count, sample with --traits, entity triggers', async () => {
    const r = await linked(['preview', 'overdue-cards', '--dir', dir, '--json', '--limit', '3', '--traits', 'email,plan', '--now', NOW.toISOString()]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.audience).toBe('overdue-cards');
    expect(out.now).toBe(NOW.toISOString());
    expect(out.sample.rows).toHaveLength(3);
    expect(out.entityTriggers[0].path).toBe('accounts.cards');
    expect(out.warnings).toEqual([]);
  });

  it('text output names the audience, its count and a sample table', async () => {
    const r = await linked(['preview', 'dormant-savers', '--dir', dir, '--limit', '2', '--now', NOW.toISOString()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Audience dormant-savers \(Dormant savers\): [\d,]+ members/);
    expect(r.stdout).toMatch(/Sample \(2 of [\d,]+\):\n\s+user_id\s+email/);
  });

  it('--sql prints the compiled SQL for the chosen dialect without a warehouse', async () => {
    const duck = await linked(['preview', 'vip-upsell', '--dir', dir, '--sql', '--now', NOW.toISOString()]);
    expect(duck.status, duck.stderr).toBe(0);
    expect(duck.stdout).toContain('-- membership of vip-upsell (duckdb)');
    expect(duck.stdout).toContain('"main"."profiles"');
    const snow = await linked(['preview', 'overdue-cards', '--dir', dir, '--sql', '--dialect', 'snowflake', '--json']);
    expect(snow.status, snow.stderr).toBe(0);
    const out = JSON.parse(snow.stdout);
    expect(out.dialect).toBe('snowflake');
    expect(out.membership.sql).toContain('"PROFILE_ID"');
    expect(out.membership.params).toContain('premium');
    expect(out.entityMatches.map((e: { path: string }) => e.path)).toEqual(['accounts.cards']);
    const bad = await linked(['preview', 'overdue-cards', '--dir', dir, '--sql', '--dialect', 'oracle']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--dialect must be duckdb or snowflake');
  });

  it('an audience over a missing table fails with the catalog message, not a stack trace', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'linked-preview-broken-'));
    try {
      // Same stack, but the warehouse lacks main.credit_cards.
      await generateBankWarehouse(join(broken, 'bank.duckdb'), { profiles: 50, seed: 1, now: NOW });
      const w2 = await openDuckDb(join(broken, 'bank.duckdb'));
      await w2.query('DROP TABLE main.credit_cards');
      await w2.close();
      writeManifest(broken, stack);
      const r = await linked(['preview', 'overdue-cards', '--dir', broken]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('Error [CATALOG_INVALID]: Audience overdue-cards cannot be previewed');
      expect(r.stderr).toContain('Table main.credit_cards (entity credit_card) does not exist in the warehouse');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const j = await linked(['preview', 'overdue-cards', '--dir', broken, '--json']);
      expect(j.status).toBe(1);
      expect(JSON.parse(j.stdout).error.details.diagnostics.map((d: { code: string }) => d.code)).toContain('TABLE_MISSING');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('--key-check adds the duplicate primary key scan, with the seed’s message', async () => {
    const dup = mkdtempSync(join(tmpdir(), 'linked-preview-dup-'));
    try {
      await generateBankWarehouse(join(dup, 'bank.duckdb'), { profiles: 50, seed: 1, now: NOW });
      const w = await openDuckDb(join(dup, 'bank.duckdb'));
      await w.query('INSERT INTO main.accounts SELECT * FROM main.accounts LIMIT 1');
      await w.close();
      writeManifest(dup, stack);
      expect((await linked(['preview', 'dormant-savers', '--dir', dup, '--json'])).status).toBe(0);
      const r = await linked(['preview', 'dormant-savers', '--dir', dup, '--key-check']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        'Duplicate records have been detected. This could be because the model query returned multiple records for the same ID column (account_id), or the Segment records table itself has duplicate records.',
      );
    } finally {
      rmSync(dup, { recursive: true, force: true });
    }
  });

  it('synthesizes the app first when cdktf.out holds no stack', async () => {
    const project = mkdtempSync(join(tmpdir(), 'linked-preview-synth-'));
    try {
      // A stand-in "app": writes the stack the way cdktn does, into CDKTF_OUTDIR.
      const staged = join(project, 'staged');
      writeManifest(staged, { ...stack, warehouse: { type: 'duckdb', path: join(dir, 'bank.duckdb'), stateSchema: 'LINKED_AUDIENCES' } });
      writeFileSync(
        join(project, 'app.mjs'),
        `import { cpSync, writeFileSync, mkdirSync } from 'node:fs';
         const out = process.env.CDKTF_OUTDIR;
         mkdirSync(out + '/stacks', { recursive: true });
         cpSync(${JSON.stringify(join(staged, 'cdktf.out', 'stacks', 'bank'))}, out + '/stacks/bank', { recursive: true });
         writeFileSync(out + '/manifest.json', JSON.stringify({ stacks: { bank: { name: 'bank', synthesizedStackPath: 'stacks/bank/cdk.tf.json' } } }));`,
      );
      writeFileSync(join(project, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node app.mjs', output: 'cdktf.out' }));
      mkdirSync(join(project, 'cdktf.out'), { recursive: true });
      const r = await linked(['preview', 'travel-spenders', '--dir', project, '--json', '--limit', '1', '--now', NOW.toISOString()]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).members).toBeGreaterThan(0);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
