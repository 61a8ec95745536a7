import type { Command } from 'commander';
import { commitSubjectOf } from '../../github/git.js';
import { traceEvent, unreadableVersionNote, type Trace } from '../../trace/trace.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { printable } from '../../model/printable.js';

export function register(program: Command): void {
  withProjectOptions(
    program
      .command('trace <messageId|userId>')
      .description('why did they get this? a delivered event back to its compute run, audience version, apply and commit'),
  )
    .option('--event <name>', 'with a user id: their latest event of this name')
    .option('--audience <key>', 'with a user id: their latest event of this audience')
    .action(async (id: string, flags: ProjectFlags & { event?: string; audience?: string }) => {
      const project = await openProject(projectOptions(flags));
      try {
        const trace = await traceEvent(project.warehouse, project.stateSchema, {
          id,
          event: flags.event,
          audience: flags.audience,
          commitSubject: (sha) => commitSubjectOf(project.dir, sha),
        });
        if (flags.json) return printJson({ trace });
        process.stdout.write(printable(renderTrace(trace)));
      } finally {
        await project.close();
      }
    });
}

const or = (v: unknown, fallback = '—') => (v === null || v === undefined || v === '' ? fallback : String(v));

/** The commit's subject, where it came from when not the apply log, or that it is unknown. */
function commitMessage(a: NonNullable<Trace['apply']>): string {
  if (a.commitSubject) return ` "${a.commitSubject}"${a.commitSubjectFrom === 'git' ? ' (from git: not recorded at apply)' : ''}`;
  return a.commitSha ? ' (commit message not recorded)' : '';
}

export function renderTrace(t: Trace): string {
  const d = t.delivery;
  const lines = [
    `Event "${d.event}" to ${d.userId}${d.entityId ? ` (entity ${d.entityId})` : ''}, messageId ${d.messageId}`,
    // A dead letter was never delivered: its line says so, and the response below says why.
    `  ${(d.status === 'dead_lettered' ? 'dead-letter' : 'delivered').padEnd(11)} ${or(d.deliveredAt)} ${d.status} -> ${d.destinationKey} by emitter ${d.emitterKey} (delivery run ${d.deliveryRunId})`,
  ];
  if (d.response) lines.push(`  response    ${d.response.httpStatus ?? ''} ${d.response.reason}${d.response.body ? `: ${d.response.body.slice(0, 200)}` : ''}`);
  const s = t.source;
  if (s) {
    lines.push(
      `  ${s.source.padEnd(11)} row ${s.id}: ${s.kind} ${s.profileId}${s.entityId ? ` ${s.entityPath}/${s.entityId}` : ''} of audience ${s.audienceKey}${s.baseline ? ' (baseline)' : ''}, ${s.source === 'backfill' ? 'copied' : 'written'} ${or(s.createdAt)}`,
    );
  }
  const r = t.run;
  if (r) {
    lines.push(
      `  computed    run ${r.id} (${r.trigger === 'manual' ? 'compute now' : r.trigger}) started ${r.startedAt.toISOString()}, ${or(r.durationMs)} ms, ${r.status}` +
        (r.queryIds.length > 0 ? `, query ids ${r.queryIds.join(', ')}` : ''),
    );
  }
  const v = t.version;
  if (v) {
    lines.push(`  definition  audience ${v.key} version ${v.version}${v.link === 'inferred' ? ' (in effect when the run started; the run predates recorded versions)' : ''}${v.deleted ? ' (deleted)' : ''}, spec ${v.specHash.slice(0, 12)}`);
    if (v.definition) lines.push(...v.definition.split('\n').map((l) => `              ${l}`));
    // A version another linked wrote (or a damaged row): the chain goes on past it, its definition unshown.
    const unreadable = unreadableVersionNote(v);
    if (unreadable) lines.push(`              (${unreadable})`);
  }
  const a = t.apply;
  if (a) {
    lines.push(`  applied     ${a.appliedAt} by ${or(a.appliedBy)} (apply ${a.id}, stack ${a.stack})`);
    lines.push(`  commit      ${or(a.commitSha)}${a.dirty ? ' (the working tree had uncommitted changes)' : ''}${commitMessage(a)}`);
    lines.push(`  author      ${or(a.author)}`);
    if (a.prNumber !== null) lines.push(`  pull request #${a.prNumber}${a.repository ? ` in ${a.repository}` : ''}${a.approvers.length > 0 ? `, approved by ${a.approvers.join(', ')}` : ''}`);
    if (a.runUrl) lines.push(`  CI run      ${a.runUrl}`);
  }
  for (const g of t.gaps) lines.push(`  (the chain ends here: ${g})`);
  return lines.join('\n') + '\n';
}
