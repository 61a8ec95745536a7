import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isLinkedError } from '../../model/errors.js';
import { lastSynthOf, readCheckout, type CheckoutView } from '../../controller/home.js';
import { formatCount } from '../../model/count.js';
import { readActivationModel } from '../../activation/emitter-context.js';
import { emitterStateLabel, readDeliveryHealth, type EmitterHealthView } from '../../activation/health.js';
import { formatAge, renderStatus, statusView, table, unreadableStatusView, type AudienceStatusView } from '../../compute/format.js';
import { UNREADABLE_FIX, unreadableError } from '../../state/apply/resources.js';
import { readStatuses } from '../../compute/status.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProjectState, type ProjectState } from '../context.js';
import { printJson } from '../run.js';
import { SyncStatusStore, type SyncStatusRow } from '../../state/control/sync-status.js';
import { ControllerStore, type LiveController } from '../../state/control/controllers.js';
import { printable } from '../../model/printable.js';

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

/**
 * The sync of a `linked run --git` controller whose first sync has not completed (its home holds
 * a checkout, the state no sync row), in the shape of a sync row where it can be.
 */
export interface PendingSync {
  status: 'pending';
  source: string | null;
  branch: string | null;
  /** The commit the checkout holds: what the sync is working on. */
  attemptedCommit: string | null;
  message: string;
}

/** Where a controller's first sync stands, from its checkout: `synthesized` once its home holds a synth. */
export function pendingSync(c: CheckoutView, dir: string, synthesized: boolean): PendingSync {
  const state = synthesized ? 'nothing is recorded yet' : `nothing is synthesized to ${lastSynthOf(dir)} yet, so there is no applied state to read`;
  return {
    status: 'pending',
    source: c.source,
    branch: c.branch,
    attemptedCommit: c.commit,
    message: `the first sync of \`linked run --git\` has not completed: ${state}. The controller's log says how its attempts go; a failed one is tried again at the next --interval.`,
  };
}

export function renderPendingSync(p: PendingSync): string {
  const from = p.source ? ` from ${p.source}${p.branch ? ` (${p.branch})` : ''}` : '';
  const commit = p.attemptedCommit ? `checked out ${p.attemptedCommit.slice(0, 12)}` : 'cloning';
  return `\nSync: waiting for the first sync${from}\n  ${commit}; ${p.message}\n`;
}

const short = (iso: string | null) => iso?.replace(/\.\d{3}Z$/, 'Z') ?? '-';

/**
 * The controllers serving this stack (`linked run`; another stack's in the same state schema never
 * computes it), after the audiences; none: nothing (the audiences' NEXT RUN then waits for one, or
 * for `linked compute`).
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

const stateText = (h: EmitterHealthView) => (h.state === 'blocked' ? `blocked: ${h.blockedReason}` : emitterStateLabel(h));

/** How to get an audience computed now, as its status allows: `linked compute` refuses a disabled or paused one. */
function computeNow(audienceKey: string, view: AudienceStatusView | undefined): string {
  if (view?.status === 'Disabled') return `${audienceKey} is disabled: enable it and apply, and it computes`;
  if (view?.paused) return `${audienceKey} is paused: \`linked resume ${audienceKey}\` resumes it`;
  return `\`linked compute ${audienceKey}\` computes it now`;
}

/**
 * When a delivering daemon tries a blocked emitter next. A time already past means no daemon has
 * tried it since (a try moves it on): one running, or started, goes at its next look.
 */
function nextTryText(nextTryAt: string | null, now: Date): string {
  if (nextTryAt === null) return 'at its next try';
  if (Date.parse(nextTryAt) > now.getTime()) return `at its next try, at ${short(nextTryAt)}`;
  return `at its next look (its next try was due at ${short(nextTryAt)})`;
}

/**
 * Delivery per emitter under the audiences: backlog and lag, last success, failures, blocks, dead
 * letters, and what to do. `audiences` (their status views) tell how an audience an emitter waits for gets computed.
 */
export function renderDeliveryHealth(health: EmitterHealthView[], audiences: readonly AudienceStatusView[] = [], now = new Date()): string {
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
      const waiting = h.pending > 0 ? `its ${formatCount(h.pending)} waiting ${h.pending === 1 ? 'event is' : 'events are'} kept, not dead-lettered` : 'no events are waiting';
      // A process reads its environment once, when it starts: a daemon's next try does not see a secret set after it.
      const resume = h.blockedReason?.startsWith('secret ')
        ? 'Set the secret in the environment of the delivering daemon (`linked run`, `linked deliver --watch`) and restart it: it resumes where it stopped at once (a running one never sees a variable set after it started); `linked deliver` with the secret set, at once.'
        : `Fix the destination's credentials; then a delivering daemon (\`linked run\`, \`linked deliver --watch\`) resumes where it stopped ${nextTryText(h.nextTryAt, now)} (at once after an apply that changes the destination, or a restart), \`linked deliver\` at once.`;
      notes.push(`  ${h.emitterKey}: blocked since ${short(h.blockedSince)} (${h.lastError ?? h.blockedReason}); ${waiting}. ${resume}`);
    } else if (h.state === 'retrying') {
      notes.push(`  ${h.emitterKey}: failing since ${short(h.failingSince)} (${h.lastError ?? 'no answer'}); the events it is stuck on go to dead letters at ${short(h.retryBudgetEndsAt)}.`);
    }
    if (h.waitingForCompute) {
      const { audienceKey, entityPath } = h.waitingForCompute;
      const current = entityPath ? `the ${entityPath} entities ${audienceKey} matches` : `the current members of ${audienceKey}`;
      const when = entityPath ? `its next compute, the first to match that path` : 'its first compute';
      notes.push(`  ${h.emitterKey}: sends ${current} after ${when}; ${computeNow(audienceKey, audiences.find((a) => a.audience === audienceKey))}.`);
    }
    if (h.deadLetters > 0) notes.push(`  ${h.emitterKey}: ${formatCount(h.deadLetters)} dead letter${h.deadLetters === 1 ? '' : 's'}: \`linked dead-letters --emitter ${h.emitterKey}\`, \`linked replay --emitter ${h.emitterKey}\`.`);
  }
  return `\nDelivery:\n${table(['EMITTER', 'STATE', 'PENDING', 'LAG', 'LAST SUCCESS', 'FAILURES', 'DEAD LETTERS'], rows)}${notes.length > 0 ? notes.join('\n') + '\n' : ''}`;
}

/** Applied resources whose spec cannot be read, after the audiences and delivery: why, what is skipped, and the fix. */
export function renderUnreadable(unreadable: readonly { address: string; kind: string; problem: string }[]): string {
  if (unreadable.length === 0) return '';
  const skipped = (kind: string) =>
    kind === 'audience' || kind === 'classic_audience'
      ? 'not computed'
      : kind === 'data_graph'
        ? 'nothing is computed or delivered'
        : kind === 'destination'
          ? 'its emitters fail'
          : 'nothing is delivered for it';
  const lines = unreadable.map((r) => `  ${r.address}: Failed (${skipped(r.kind)}): ${r.problem}`);
  return `\nCannot be read in the state (the controller skips only these):\n${lines.join('\n')}\n  ${UNREADABLE_FIX}\n`;
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
      const dir = resolve(flags.dir ?? process.cwd());
      let project: ProjectState;
      try {
        project = await openProjectState(projectOptions(flags));
      } catch (e) {
        // A controller's home before its first synth: the stack, and so its warehouse, is not known yet.
        const checkout = isLinkedError(e) && e.code === 'MANIFEST_MISSING' && !flags.outDir ? await readCheckout(dir) : undefined;
        if (!checkout) throw e;
        const sync = pendingSync(checkout, dir, false);
        if (flags.json) printJson({ audiences: [], delivery: [], sync, controllers: [] });
        else process.stdout.write(renderStatus([]) + renderPendingSync(sync));
        return;
      }
      try {
        const wh = project.warehouse;
        // The applied resources, read (and parsed) once for the audiences and their delivery.
        const model = await readActivationModel(wh, project.stateSchema, flags.stack);
        const rows = new Map((await readStatuses(wh, project.stateSchema)).map((r) => [r.audienceKey, r]));
        // The others as usual; one whose applied spec cannot be read is Failed, with why and the fix.
        const unreadable = (model.unreadable ?? []).map((r) => ({ address: `${r.kind}.${r.key}`, ...r, error: unreadableError(r).message }));
        const views = [
          ...(model.applied?.resources.audiences ?? []).map((a) => statusView(a, rows.get(a.key))),
          ...unreadable.filter((r) => r.kind === 'audience').map((r) => unreadableStatusView(r.key, r.error, rows.get(r.key))),
        ].sort((a, b) => (a.audience < b.audience ? -1 : a.audience > b.audience ? 1 : 0));
        const recorded = (await new SyncStatusStore(wh, project.stateSchema).read(project.stack)).at(0);
        const checkout = recorded || flags.outDir ? undefined : await readCheckout(dir);
        const sync: SyncStatusRow | PendingSync | null = recorded ?? (checkout ? pendingSync(checkout, dir, true) : null);
        const delivery = await readDeliveryHealth(wh, project.stateSchema, { stack: flags.stack, model });
        const controllers = await new ControllerStore(wh, project.stateSchema).liveControllers(new Date(), project.stack);
        if (flags.json) printJson({ stack: project.stack, audiences: views, delivery, sync, controllers, unreadable });
        else {
          const syncText = sync === null ? '' : sync.status === 'pending' ? renderPendingSync(sync) : renderSyncStatus(sync);
          process.stdout.write(printable(renderStatus(views) + renderDeliveryHealth(delivery, views) + renderUnreadable(unreadable) + syncText + renderControllers(controllers)));
        }
      } finally {
        await project.close();
      }
    });
}
