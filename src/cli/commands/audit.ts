import type { Command } from 'commander';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../../plan/command-options.js';
import { resourceChangeLines } from '../../plan/render-text.js';
import { LinkedError } from '../../model/errors.js';
import { readApplyLog, type ApplyLogEntry } from '../../state/audit.js';

/** `--since`: an ISO date/time, or a span back from now (`90m`, `24h`, `7d`). */
export function parseSince(text: string, now = new Date()): Date {
  const span = /^(\d+)\s*(m|h|d)$/.exec(text.trim());
  if (span) return new Date(now.getTime() - Number(span[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[span[2] as 'm' | 'h' | 'd']);
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new LinkedError('INVALID_ARGUMENT', `--since must be an ISO date (2026-01-31) or a span such as 24h or 7d (got "${text}").`);
  return d;
}

export function renderAuditText(entries: readonly ApplyLogEntry[]): string {
  if (entries.length === 0) return 'No applies match.\n';
  const out: string[] = [];
  for (const e of entries) {
    const where = [
      e.commitSha ? `commit ${e.commitSha.slice(0, 12)}` : null,
      e.branch ? `branch ${e.branch}` : null,
      e.prNumber !== null ? `PR #${e.prNumber}` : null,
    ].filter(Boolean);
    out.push(`${e.appliedAt}  apply ${e.id}  by ${e.appliedBy ?? 'unknown'}${e.author ? ` (author ${e.author})` : ''}${where.length ? `  ${where.join('  ')}` : ''}`);
    for (const c of e.changes) out.push(...resourceChangeLines({ ...c, before: null, after: null, notes: [] }));
    out.push('');
  }
  return out.join('\n');
}

export function register(program: Command): void {
  withProjectOptions(program.command('audit').description('who changed what, when, from which commit, with the diff'))
    .option('--since <when>', 'only applies since an ISO date or a span (24h, 7d)')
    .option('--resource <resource>', 'only changes of one resource (address or key)')
    .option('--limit <n>', 'at most n applies', (v) => Number.parseInt(v, 10))
    .action(async (flags: ProjectFlags & { since?: string; resource?: string; limit?: number }) => {
      const since = flags.since ? parseSince(flags.since) : undefined;
      const project = await openProject(projectOptions(flags));
      let entries: ApplyLogEntry[];
      try {
        entries = await readApplyLog(project.warehouse, project.stateSchema, { stack: project.desired.stack, since, resource: flags.resource, limit: flags.limit });
      } finally {
        await project.close();
      }
      if (flags.json) printJson({ entries });
      else process.stdout.write(renderAuditText(entries));
    });
}
