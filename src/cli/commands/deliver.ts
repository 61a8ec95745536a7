import type { Command } from 'commander';
import { deliverAll, deliveryVerdict, plural, type DeliverySummary } from '../../activation/deliver.js';
import { emittersOf, readActivationModel, type ActivationModel } from '../../activation/emitter-context.js';
import { ttyProgress } from '../../activation/progress.js';
import { LinkedError } from '../../model/errors.js';
import { didYouMean, knownNames } from '../../model/suggest.js';
import { positiveInt, projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject, openReadConnection } from '../context.js';
import { watchDeliveries } from '../daemon-run.js';
import { limitHeapGrowth } from '../heap.js';
import { printJson } from '../run.js';
import type { Warehouse } from '../../warehouse/types.js';

interface DeliverFlags extends ProjectFlags {
  emitter?: string[];
  pageSize: string;
  concurrency: string;
  timeout: string;
  watch?: boolean;
  pollSeconds: string;
}

/**
 * Exit codes of `linked deliver` (and of a delivery summary anywhere): 0 everything handled and
 * nothing dead-lettered; 1 an emitter stopped (blocked, still retrying, failed) or was skipped
 * because its stored spec cannot be read: events wait in the outbox; 3 everything handled, but
 * events were dead-lettered.
 */
export const DELIVER_EXIT = { delivered: 0, incomplete: 1, deadLettered: 3 } as const;

export function deliveryExitCode(s: DeliverySummary): number {
  const verdict = deliveryVerdict(s);
  return verdict === 'incomplete' ? DELIVER_EXIT.incomplete : verdict === 'dead_lettered' ? DELIVER_EXIT.deadLettered : DELIVER_EXIT.delivered;
}

export function renderDeliverySummary(s: DeliverySummary): string {
  if (s.emitters.length === 0 && s.unreadable.length === 0) return 'No event emitters are applied: nothing to deliver.\n';
  const delivered = s.emitters.map((e) => {
    const status = e.status === 'blocked' ? `blocked: ${e.blockedReason}` : e.status;
    const base = `${e.emitterKey} -> ${e.destinationKey}: ${plural(e.sent, 'event')} sent, ${e.failed} failed, ${e.deadLettered} dead-lettered (${status})`;
    const notes = [e.lastError ? `    last error: ${e.lastError}` : '', e.retryBudgetEndsAt ? `    failing since ${e.failingSince}; retrying until ${e.retryBudgetEndsAt}, then dead letters` : ''];
    return [base, ...notes.filter(Boolean)].join('\n');
  });
  // Why and the fix follow on stderr, with the other alerts.
  const skipped = s.unreadable.map((u) => `${u.emitterKey}: skipped: its applied spec cannot be read`);
  const blocked = s.blocked > 0 ? `, ${s.blocked} emitter${s.blocked === 1 ? '' : 's'} blocked` : '';
  const unreadable = s.unreadable.length > 0 ? `, ${plural(s.unreadable.length, 'emitter')} skipped` : '';
  return `${[...delivered, ...skipped].join('\n')}\nDelivery ${s.runId}: ${plural(s.sent, 'event')} sent, ${s.failed} failed, ${s.deadLettered} dead-lettered${blocked}${unreadable}.\n`;
}

/** `--emitter` keys must name this stack's emitters: a mistyped one would deliver nothing and exit 0. */
function assertEmittersKnown(model: ActivationModel, asked: readonly string[] | undefined): void {
  const known = [...emittersOf(model).map((e) => e.key), ...(model.unreadable ?? []).filter((r) => r.kind === 'event_emitter').map((r) => r.key)];
  const unknown = (asked ?? []).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const first = unknown[0];
  throw new LinkedError(
    'EMITTER_NOT_FOUND',
    `No event emitter ${unknown.map((k) => `"${k}"`).join(', ')} is applied in this stack.${didYouMean(first, known)}${knownNames(known)} Check --emitter, or apply the emitter first.`,
    { emitters: unknown },
  );
}

export function register(program: Command): void {
  withProjectOptions(program.command('deliver').description('deliver pending outbox events of every applied event emitter to its destination; exit 0 all delivered, 1 an emitter is blocked, retrying, failed or unreadable, 3 events were dead-lettered'))
    .option('--emitter <key...>', 'only these event emitters')
    .option('--page-size <n>', 'rows per page (enrichment queries and cursor commits)', '2000')
    .option('--concurrency <n>', 'requests in flight per destination', '4')
    .option('--timeout <ms>', 'timeout of each request, in milliseconds', '10000')
    .option('--watch', 'keep delivering until SIGTERM (beside `linked run --no-deliver`): new events, retries, replays; one line (--json: object) per pass')
    .option('--poll-seconds <n>', 'with --watch: seconds between looks for new events', '10')
    .action(async (flags: DeliverFlags) => {
      const pageSize = positiveInt(flags.pageSize, '--page-size');
      const concurrency = positiveInt(flags.concurrency, '--concurrency');
      const timeoutMs = positiveInt(flags.timeout, '--timeout');
      limitHeapGrowth();
      if (flags.watch) {
        const pollMs = positiveInt(flags.pollSeconds, '--poll-seconds') * 1000;
        return watchDeliveries(flags, { pageSize, concurrency, timeoutMs, pollMs });
      }
      const project = await openProject(projectOptions(flags));
      const progress = flags.json ? { done: () => undefined } : ttyProgress();
      let reads: Warehouse | undefined;
      try {
        reads = await openReadConnection(project, 'deliver');
        const model = await readActivationModel(project.warehouse, project.stateSchema, project.desired.stack);
        assertEmittersKnown(model, flags.emitter);
        const summary = await deliverAll(project.warehouse, project.stateSchema, {
          stack: project.desired.stack,
          model,
          reads,
          emitters: flags.emitter,
          pageSize,
          concurrency,
          timeoutMs,
          onProgress: 'onProgress' in progress ? progress.onProgress : undefined,
        });
        progress.done();
        if (flags.json) printJson(summary);
        else process.stdout.write(renderDeliverySummary(summary));
        if (!flags.json) for (const a of summary.alerts) process.stderr.write(`${a.kind === 'dead_lettered' ? 'warning' : 'error'}: ${a.message}\n`);
        process.exitCode = deliveryExitCode(summary);
      } finally {
        await reads?.close();
        await project.close();
      }
    });
}
