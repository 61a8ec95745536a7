import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `npm start` as a newcomer runs it (examples/run-bank.ts), on a small warehouse. */
function npmStart(extra: string[] = []) {
  const log = join(mkdtempSync(join(tmpdir(), 'la-npm-start-')), 'npm-start.log');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/run-bank.ts', '--profiles', '300', '--log', log, ...extra], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { ...r, log: readFileSync(log, 'utf8') };
}

describe('npm start tells the story of the run', () => {
  it('a short narrative on stdout: generated, planned, applied, who entered and exited, what each destination received, where to look next', () => {
    const r = npmStart();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(45);
    const out = r.stdout;
    expect(out).toMatch(/^1\. Generated examples\/bank\/bank\.duckdb: 300 profiles, [\d,]+ accounts, [\d,]+ cards, [\d,]+ transactions, [\d,]+ events\.$/m);
    expect(out).toMatch(/^2\. Synthesized examples\/bank\/main\.ts and planned stack "bank": 13 to add, 0 to change, 0 to replace, 0 to destroy\.$/m);
    // One line per resource of the plan.
    expect(lines.filter((l) => /^\s+\+ [a-z_]+\.[a-z0-9_-]+/.test(l))).toHaveLength(13);
    expect(out).toMatch(/^\s+\+ audience\.vip-upsell {2}\(created disabled: set enabled: true to compute it\)$/m);
    expect(out).toMatch(/^3\. Applied the saved plan \(apply [0-9a-f]{8}\): 13 resources in the state\.$/m);
    // Each enabled audience's run, with members entered and exited; ids from what the destinations received.
    for (const audience of ['dormant-savers', 'overdue-cards', 'travel-spenders']) {
      expect(lines.filter((l) => new RegExp(`^\\s+${audience}\\s+[\\d,]+ members: \\+[\\d,]+ entered, -[\\d,]+ exited`).test(l))).toHaveLength(2);
    }
    expect(out).toMatch(/^\s+Entity Added: u_\d{8}/m);
    expect(out).toMatch(/^\s+Audience Entered: u_\d{8}/m);
    expect(out).toMatch(/^\s+braze\s+\d+ Entity Added$/m);
    expect(out).toMatch(/^\s+crm-webhook\s+\d+ Audience Entered/m);
    expect(out).toMatch(/^\s+npx linked status --dir examples\/bank\s/m);
    expect(out).toMatch(/^\s+npx linked deliveries --dir examples\/bank\s/m);
    // Nothing of the commands' own output reaches the terminal: it is in the log.
    expect(out).not.toContain('$ linked');
    expect(out).not.toContain('will perform the following actions');
    expect(r.log).toContain('$ linked plan --dir');
    expect(r.log).toContain('Stack "bank": linked will perform the following actions:');
    expect(r.log).toMatch(/Apply complete: 13 added, 0 changed, 0 replaced, 0 destroyed/);
    expect(r.log).toContain('A sample event as the webhook received it:');
    // The plan is printed once (by plan; apply of the saved plan does not print it again).
    expect(r.log.split('will perform the following actions').length - 1).toBe(1);
    // The story is in the log too, so the log reads on its own.
    expect(r.log).toContain(lines[lines.length - 1]);
  }, 900_000);
});
