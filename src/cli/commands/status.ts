import type { Command } from 'commander';
import { formatCount } from '../../model/count.js';
import { readActivationModel } from '../../activation/emitter-context.js';
import { readDeliveryHealth, type EmitterHealthView } from '../../activation/health.js';
import { formatAge, renderStatus, statusView, table } from '../../compute/format.js';
import { readStatuses } from '../../compute/status.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProjectState } from '../context.js';
import { printJson } from '../run.js';
import { SyncStatusStore, type SyncStatusRow } from '../../state/control/sync-status.js';
import { ControllerStore, type LiveController } from '../../state/control/controllers.js';

/** The git sync of `linked run --git`, under the audiences: status and the last synced commit. */
export function renderSyncStatus(s: SyncStatusRow): string {
  const short = (c: string | null) => (c ? c.slice(0, 12) : 'none');
  const lines = [
    '',
    // A suspended attempt followed by a resume: the flag is down, the attempt not yet made.
    `Sync: ${s.suspended ? 'suspended' : s.status === 'suspended' ? 'resumed, waiting for the next attempt' : s.status}${s.source ? ` from ${s.source} (${s.branch})` : ''}`,
    `  last synced commit ${short(s.lastSyncedCommit)}${s.lastSyncedAt ? ` at ${s.lastSyncedAt}` : ''}; last attempt ${s.lastAttemptAt}${s.attemptedCommit ? ` at ${short(s.attemptedCommit)}` : ''}`,
  ];
  if (s.message) lines.push(`  ${s.message}`);
  return lines.join('\n') + '\n';
}

const short = (iso: string | null) => iso?.replace(/\.\d{3}Z$/, 'Z') ?? '-';

/**
 * The controllers serving this warehouse (`linked run`), after the audiences; none: nothing (the
 * audiences' NEXT RUN then waits for one, or for `linked compute`).
 */
export function renderControllers(controllers: readonly LiveController[]): string {
  if (controllers.length === 0) return '';
  const lines = controllers.map((c) => {
    const where = c.host ? ` on ${c.host}${c.pid !== null ? ` (pid ${c.pid})` : ''}` : '';
    const until = c.aliveUntil ? `; next look by ${short(c.aliveUntil.toISOString())}` : '';
    return `  ${c.id}${where}: last beat ${short(c.heartbeatAt?.toISOString() ?? null)}${until}`;
  });
  return `\nControllers:\n${lines.join('\n')}\n`;
}

const stateText = (h: EmitterHealthView) => (h.state === 'blocked' ? `blocked: ${h.blockedReason}` : h.state.replaceAll('_', ' '));

/** Delivery per emitter under the audiences: backlog and lag, last success, failures, blocks, dead letters, and what to do. */
export function renderDeliveryHealth(health: EmitterHealthView[]): string {
  if (health.length === 0) return '';
  const rows = health.map((h) => [
    `${h.emitterKey} -> ${h.destinationKey}`,
    stateText(h),
    formatCount(h.pending),
    formatAge(h.lagSeconds),
    short(h.lastSuccessAt),
    String(h.consecutiveFailures),
    formatCount(h.deadLetters),
  ]);
  const notes: string[] = [];
  for (const h of health) {
    if (h.state === 'blocked') {
      // A block dead-letters nothing, but dead letters of earlier passes may stand beside it: the note speaks only of the waiting events.
      const fix = h.blockedReason?.startsWith('secret ') ? 'Set the secret' : "Fix the destination's credentials";
      const waiting = h.pending > 0 ? `its ${formatCount(h.pending)} waiting event${h.pending === 1 ? '' : 's'} are kept, not dead-lettered` : 'no events are waiting';
      notes.push(`  ${h.emitterKey}: blocked since ${short(h.blockedSince)} (${h.lastError ?? h.blockedReason}); ${waiting}. ${fix}, then \`linked deliver\` resumes where it stopped.`);
    } else if (h.state === 'retrying') {
      notes.push(`  ${h.emitterKey}: failing since ${short(h.failingSince)} (${h.lastError ?? 'no answer'}); the events it is stuck on go to dead letters at ${short(h.retryBudgetEndsAt)}.`);
    }
    if (h.deadLetters > 0) notes.push(`  ${h.emitterKey}: ${formatCount(h.deadLetters)} dead letter${h.deadLetters === 1 ? '' : 's'}: \`linked dead-letters --emitter ${h.emitterKey}\`, \`linked replay --emitter ${h.emitterKey}\`.`);
  }
  return `\nDelivery:\n${table(['EMITTER', 'STATE', 'PENDING', 'LAG', 'LAST SUCCESS', 'FAILURES', 'DEAD LETTERS'], rows)}${notes.length > 0 ? notes.join('\n') + '\n' : ''}`;
}

export function register(program: Command): void {
  withProjectOptions(
    program
      .command('status')
      .description(
        'every applied audience: status (Computing, Live, Disabled, Failed), last run, next run, size; delivery per emitter (pending, lag, last success, consecutive failures, blocked, dead letters); the git sync status',
      ),
  )
    .action(async (flags: ProjectFlags) => {
      const project = await openProjectState(projectOptions(flags));
      try {
        const wh = project.warehouse;
        // The applied resources, read (and parsed) once for the audiences and their delivery.
        const model = await readActivationModel(wh, project.stateSchema, flags.stack);
        const rows = new Map((await readStatuses(wh, project.stateSchema)).map((r) => [r.audienceKey, r]));
        const views = (model.applied?.resources.audiences ?? []).map((a) => statusView(a, rows.get(a.key)));
        const [sync] = await new SyncStatusStore(wh, project.stateSchema).read(project.stack);
        const delivery = await readDeliveryHealth(wh, project.stateSchema, { stack: flags.stack, model });
        const controllers = await new ControllerStore(wh, project.stateSchema).liveControllers();
        if (flags.json) printJson({ audiences: views, delivery, sync: sync ?? null, controllers });
        else process.stdout.write(renderStatus(views) + renderDeliveryHealth(delivery) + (sync ? renderSyncStatus(sync) : '') + renderControllers(controllers));
      } finally {
        await project.close();
      }
    });
}
