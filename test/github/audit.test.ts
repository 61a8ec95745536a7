import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditWithGit, csvField, formatAudit, parseAuditFormat, prFromSubject, type AuditSource } from '../../src/github/audit.js';
import type { LoggedChange } from '../../src/state/apply/apply-log.js';
import { GitFixture } from './git-fixture.js';
import { parseCsv } from '../support/csv.js';

const vipChange: LoggedChange = {
  address: 'audience.vip', kind: 'audience', key: 'vip', action: 'update',
  attributes: [{ path: 'enabled', action: 'change', before: false, after: true, sensitive: false, forcesReplacement: false }],
};
const hookChange: LoggedChange = {
  address: 'destination.hook', kind: 'destination', key: 'hook', action: 'create',
  attributes: [{ path: 'apiKey', action: 'add', after: { secret: 'HOOK_KEY' }, sensitive: true, forcesReplacement: false }],
};

describe('auditWithGit against a real repository', () => {
  let repo: GitFixture;
  let squash: string;
  let merge: string;
  let direct: string;
  // One repository for the file: the audit only reads it (git show, rev-parse).
  beforeAll(() => {
    repo = new GitFixture();
    squash = repo.commit({ 'a.ts': '1' }, 'Enable vip, "finally", for Q3 (#12)');
    repo.git(['checkout', '--quiet', '-b', 'feature']);
    repo.commit({ 'b.ts': '2' }, 'Add webhook');
    repo.git(['checkout', '--quiet', 'main']);
    repo.git(['merge', '--quiet', '--no-ff', 'feature', '-m', 'Merge pull request #7 from acme/feature']);
    repo.git(['push', '--quiet', 'origin', 'HEAD:main']);
    merge = repo.git(['rev-parse', 'HEAD']);
    direct = repo.commit({ 'c.ts': '3' }, 'Hotfix');
  });
  afterAll(() => repo.dispose());

  const entries = (): AuditSource[] => [
    { id: 'ap-3', appliedAt: '2026-03-03T00:00:00.000Z', appliedBy: 'ci', commitSha: direct, prNumber: null, changes: [vipChange], stack: 'marketing' },
    { id: 'ap-2', appliedAt: '2026-03-02T00:00:00.000Z', appliedBy: 'ci', commitSha: merge, prNumber: null, changes: [hookChange], metadata: { approvers: ['erin'] } },
    { id: 'ap-1', appliedAt: '2026-03-01T00:00:00.000Z', appliedBy: 'github-actions', commitSha: squash, prNumber: null, changes: [vipChange, hookChange] },
    { id: 'ap-0', appliedAt: '2026-02-01T00:00:00.000Z', appliedBy: 'ana', commitSha: 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef', prNumber: 4, changes: [vipChange], author: 'Old Author <old@example.com>' },
  ];


  it('says when an apply was made from uncommitted changes on top of its commit', async () => {
    const dirty: AuditSource = {
      id: 'ap-9', appliedAt: '2026-03-09T00:00:00.000Z', appliedBy: 'ana', commitSha: direct, prNumber: null, changes: [vipChange],
      stack: 'marketing', dirty: true, metadata: { dirty: true, dirtyPaths: ['main.ts'] },
    };
    const [record] = await auditWithGit([dirty], repo.author);
    expect(record).toMatchObject({ commit: direct, subject: 'Hotfix', dirty: true });
    expect(record!.note).toBe('applied from a working tree with uncommitted changes (main.ts): the commit does not hold exactly what was applied');
    expect(formatAudit([record!], 'markdown')).toContain(`- Commit: \`${direct.slice(0, 12)}\` + uncommitted changes Hotfix`);
    const [header, row] = parseCsv(formatAudit([record!], 'csv'));
    expect(row![header!.indexOf('note')]).toBe(record!.note);
    const [clean] = await auditWithGit([{ ...dirty, dirty: false, metadata: {} }], repo.author);
    expect(clean).toMatchObject({ dirty: false, note: null });
  });
  it('joins each apply with its commit: author, date, subject, PR from merge or squash subjects, approvers', async () => {
    const records = await auditWithGit(entries(), repo.author, { approvers: new Map([[12, ['carol', 'dave']]]) });
    expect(records.map((r) => [r.applyId, r.commit, r.author, r.pr, r.approvers, r.note])).toEqual([
      ['ap-3', direct, 'Ana Lyst <ana@example.com>', null, [], null],
      ['ap-2', merge, 'Ana Lyst <ana@example.com>', 7, ['erin'], null],
      ['ap-1', squash, 'Ana Lyst <ana@example.com>', 12, ['carol', 'dave'], null],
      ['ap-0', 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef', 'Old Author <old@example.com>', 4, [], 'commit deadbeefdead is not in this clone (a shallow checkout? fetch with fetch-depth: 0)'],
    ]);
    expect(records[2]!.subject).toBe('Enable vip, "finally", for Q3 (#12)');
    expect(records[2]!.committedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('formats CSV that round-trips, one row per change, secrets as (sensitive)', async () => {
    const csv = formatAudit(await auditWithGit(entries(), repo.author), 'csv');
    const rows = parseCsv(csv);
    expect(rows[0]).toEqual(['applied_at', 'apply_id', 'stack', 'commit', 'author', 'committed_at', 'subject', 'pr', 'approvers', 'applied_by', 'address', 'action', 'diff', 'note']);
    expect(rows).toHaveLength(1 + 5);
    const squashRows = rows.filter((r) => r[1] === 'ap-1');
    expect(squashRows.map((r) => [r[6], r[7], r[10], r[11]])).toEqual([
      ['Enable vip, "finally", for Q3 (#12)', '12', 'audience.vip', 'update'],
      ['Enable vip, "finally", for Q3 (#12)', '12', 'destination.hook', 'create'],
    ]);
    expect(squashRows[0]![12]).toBe('  # audience.vip will be updated in place\n  ~ audience "vip" {\n      ~ enabled = false -> true\n    }');
    expect(squashRows[1]![12]).toContain('+ apiKey = (sensitive)');
    expect(csv).not.toContain('HOOK_KEY');
    expect(rows.filter((r) => r[1] === 'ap-2')[0]![8]).toBe('erin');
  });

  it('formats markdown and JSON', async () => {
    const records = await auditWithGit(entries(), repo.author, { approvers: new Map([[12, ['carol']]]) });
    const md = formatAudit(records, 'markdown');
    expect(md).toContain('## Audit: 4 applies');
    expect(md).toContain(`- Commit: \`${squash.slice(0, 12)}\` Enable vip, "finally", for Q3 (#12)`);
    expect(md).toContain('- Pull request: #12 · approved by @carol');
    expect(md).toContain('!   audience "vip" {'); // GitHub's diff colouring of an update
    const json = JSON.parse(formatAudit(records, 'json'));
    expect(json.entries).toHaveLength(4);
    expect(json.entries[1]).toMatchObject({ applyId: 'ap-2', pr: 7, subject: 'Merge pull request #7 from acme/feature' });
  });

  it('explains a directory that is not a repository and a bad --format', async () => {
    await expect(auditWithGit(entries(), repo.dir('nowhere'))).rejects.toThrow(/is not a git repository/);
    expect(() => parseAuditFormat('xml')).toThrow('--format takes markdown, json or csv (got "xml").');
  });
});

describe('audit helpers', () => {
  it('reads PR numbers from merge and squash subjects only', () => {
    expect(prFromSubject('Merge pull request #42 from a/b')).toBe(42);
    expect(prFromSubject('Add churn audience (#43)')).toBe(43);
    expect(prFromSubject('Fix #44 in the middle')).toBeNull();
  });

  it('quotes CSV fields per RFC 4180 and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(null)).toBe('');
  });
});
