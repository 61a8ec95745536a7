import { LinkedError } from '../model/errors.js';
import { printable, printableJson } from '../model/printable.js';
import { diffMarkerLine, fenceSafe, markdownCell } from '../plan/render-markdown.js';
import { resourceChangeLines } from '../plan/render-text.js';
import type { LoggedChange } from '../state/apply/apply-log.js';
import { git, isCommitSha } from './git.js';

/** What the audit needs of an apply-log entry (`readApplyLog` returns a superset). */
export interface AuditSource {
  id: string;
  appliedAt: string;
  appliedBy: string | null;
  commitSha: string | null;
  prNumber: number | null;
  changes: LoggedChange[];
  stack?: string;
  /** The author recorded at apply time: used when git does not know the commit. */
  author?: string | null;
  /** `metadata.approvers` (string[]), when the apply recorded them; `metadata.dirtyPaths` with `dirty`. */
  metadata?: Record<string, unknown>;
  /** The working tree had uncommitted changes at apply (`readApplyLog` reads it from the metadata). */
  dirty?: boolean | null;
}

export interface AuditRecord {
  applyId: string;
  appliedAt: string;
  appliedBy: string | null;
  stack: string | null;
  commit: string | null;
  /** `Name <email>` from git, else what the apply recorded. */
  author: string | null;
  committedAt: string | null;
  subject: string | null;
  pr: number | null;
  approvers: string[];
  changes: LoggedChange[];
  /** Applied from a working tree with uncommitted changes: the commit does not hold what was applied. */
  dirty: boolean;
  /** Why git could not tell more (a commit missing from a shallow clone), or that the tree was dirty. */
  note: string | null;
}

export type AuditFormat = 'markdown' | 'json' | 'csv';
export const AUDIT_FORMATS: readonly AuditFormat[] = ['markdown', 'json', 'csv'];

interface CommitInfo {
  sha: string;
  author: string;
  committedAt: string;
  subject: string;
}

/** The pull request a merge or squash commit names: "Merge pull request #12 from …" or "Subject (#12)". */
export function prFromSubject(subject: string): number | null {
  const m = /^Merge pull request #(\d+)\b/.exec(subject) ?? /\(#(\d+)\)\s*$/.exec(subject);
  return m ? Number(m[1]) : null;
}

async function readCommit(repoDir: string, sha: string): Promise<CommitInfo | undefined> {
  if (!isCommitSha(sha)) return undefined;
  try {
    // %x1f separates fields: none of them can contain it.
    const out = await git(['show', '-s', '--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%s', `${sha}^{commit}`, '--'], { cwd: repoDir, timeoutMs: 10_000 });
    const [full, name, email, date, subject] = out.trim().split('\x1f');
    if (!full) return undefined;
    return { sha: full, author: email ? `${name} <${email}>` : name!, committedAt: new Date(date!).toISOString(), subject: subject ?? '' };
  } catch {
    return undefined;
  }
}

function approversOf(entry: AuditSource, pr: number | null, known?: ReadonlyMap<number, readonly string[]>): string[] {
  if (pr !== null && known?.has(pr)) return [...known.get(pr)!];
  const recorded = entry.metadata?.approvers;
  return Array.isArray(recorded) ? recorded.filter((a): a is string => typeof a === 'string') : [];
}

/**
 * Joins apply-log entries with git history: for each apply, its commit's author, date and
 * subject, the pull request (from the entry, else from a merge or squash subject) and the
 * approvers when known (passed in by PR number, else recorded in the entry's metadata).
 */
export async function auditWithGit(
  entries: readonly AuditSource[],
  repoDir: string,
  options: { approvers?: ReadonlyMap<number, readonly string[]> } = {},
): Promise<AuditRecord[]> {
  try {
    await git(['rev-parse', '--git-dir'], { cwd: repoDir, timeoutMs: 10_000 });
  } catch {
    throw new LinkedError('AUDIT_NOT_A_REPOSITORY', `${repoDir} is not a git repository: run linked audit in a clone of the repository.`);
  }
  const commits = new Map<string, Promise<CommitInfo | undefined>>();
  const records: AuditRecord[] = [];
  for (const e of entries) {
    const sha = e.commitSha;
    if (sha && !commits.has(sha)) commits.set(sha, readCommit(repoDir, sha));
    const info = sha ? await commits.get(sha) : undefined;
    const pr = e.prNumber ?? (info ? prFromSubject(info.subject) : null);
    records.push({
      applyId: e.id,
      appliedAt: e.appliedAt,
      appliedBy: e.appliedBy,
      stack: e.stack ?? null,
      commit: info?.sha ?? sha,
      author: info?.author ?? e.author ?? null,
      committedAt: info?.committedAt ?? null,
      subject: info?.subject ?? null,
      pr,
      approvers: approversOf(e, pr, options.approvers),
      changes: e.changes,
      dirty: e.dirty === true,
      note: notesOf(e, sha, info),
    });
  }
  return records;
}

function notesOf(e: AuditSource, sha: string | null, info: CommitInfo | undefined): string | null {
  const notes: string[] = [];
  if (!sha) notes.push('the apply recorded no commit');
  else if (!info) notes.push(`commit ${sha.slice(0, 12)} is not in this clone (a shallow checkout? fetch with fetch-depth: 0)`);
  if (e.dirty === true) {
    // Without this the change reads as the commit's, though the code applied was never committed.
    const paths = e.metadata?.dirtyPaths;
    const named = Array.isArray(paths) && paths.length ? ` (${paths.filter((p) => typeof p === 'string').join(', ')})` : '';
    notes.push(`applied from a working tree with uncommitted changes${named}: the commit does not hold exactly what was applied`);
  }
  return notes.length ? notes.join('; ') : null;
}

/** The Terraform-like lines of one logged change (secrets print as (sensitive)). */
export function changeDiffLines(c: LoggedChange): string[] {
  return resourceChangeLines({ ...c, notes: [] });
}

const inline = (s: string) => markdownCell(s.replace(/([\\`*_[\]<>])/g, '\\$1'));

/** Commit subjects and authors come from git, actors from CI: printed with what would steer a terminal escaped. */
export function formatAuditMarkdown(records: readonly AuditRecord[]): string {
  if (records.length === 0) return 'No applies match.\n';
  const out: string[] = [`## Audit: ${records.length} appl${records.length === 1 ? 'y' : 'ies'}`, ''];
  for (const r of records) {
    out.push(`### ${r.appliedAt} · apply \`${r.applyId}\`${r.stack ? ` · stack \`${r.stack}\`` : ''}`, '');
    if (r.commit) out.push(`- Commit: \`${r.commit.slice(0, 12)}\`${r.dirty ? ' + uncommitted changes' : ''}${r.subject ? ` ${inline(r.subject)}` : ''}`);
    if (r.author) out.push(`- Author: ${inline(r.author)}${r.committedAt ? ` (${r.committedAt})` : ''}`);
    if (r.pr !== null) out.push(`- Pull request: #${r.pr}${r.approvers.length ? ` · approved by ${r.approvers.map((a) => `@${inline(a)}`).join(', ')}` : ''}`);
    out.push(`- Applied by: ${r.appliedBy ? inline(r.appliedBy) : 'unknown'}`);
    if (r.note) out.push(`- Note: ${inline(r.note)}`);
    out.push('', '```diff');
    for (const c of r.changes) out.push(...changeDiffLines(c).map((l) => diffMarkerLine(fenceSafe(l))));
    out.push('```', '');
  }
  return printable(out.join('\n'));
}

export function formatAuditJson(records: readonly AuditRecord[]): string {
  // Commit subjects and authors come from git.
  return printableJson({ entries: records }, 2) + '\n';
}

/**
 * One RFC 4180 field: quoted when it holds a comma, a quote or a line break (quotes doubled).
 * A cell a spreadsheet would run as a formula (= + - @ at the start) gets a leading apostrophe.
 */
export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const AUDIT_CSV_COLUMNS = [
  'applied_at', 'apply_id', 'stack', 'commit', 'author', 'committed_at', 'subject', 'pr', 'approvers', 'applied_by',
  'address', 'action', 'diff', 'note',
] as const;

/**
 * One row per change (an apply with no changes left after filtering gives none), CRLF line ends.
 * Each field is made printable before it is quoted: the escapes hold no comma, quote or line break.
 */
export function formatAuditCsv(records: readonly AuditRecord[]): string {
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  for (const r of records) {
    for (const c of r.changes) {
      lines.push(
        [
          r.appliedAt, r.applyId, r.stack, r.commit, r.author, r.committedAt, r.subject, r.pr, r.approvers.join(';'), r.appliedBy,
          c.address, c.action, changeDiffLines(c).join('\n'), r.note,
        ].map((v) => csvField(typeof v === 'string' ? printable(v) : v)).join(','),
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}

export function formatAudit(records: readonly AuditRecord[], format: AuditFormat): string {
  if (format === 'json') return formatAuditJson(records);
  if (format === 'csv') return formatAuditCsv(records);
  return formatAuditMarkdown(records);
}

/** `--format` checked, with a clear error. */
export function parseAuditFormat(text: string): AuditFormat {
  if ((AUDIT_FORMATS as readonly string[]).includes(text)) return text as AuditFormat;
  throw new LinkedError('INVALID_ARGUMENT', `--format takes markdown, json or csv (got "${text}").`);
}
