import type { Command } from 'commander';
import { deliverAll, type DeliverySummary } from '../../activation/deliver.js';
import { ttyProgress } from '../../activation/progress.js';
import { LinkedError } from '../../model/errors.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { watchDeliveries } from '../daemon-run.js';
import { limitHeapGrowth } from '../heap.js';
import { EXIT, printJson } from '../run.js';

interface DeliverFlags extends ProjectFlags {
  emitter?: string[];
  pageSize: string;
  concurrency: string;
  timeout: string;
  watch?: boolean;
  pollSeconds: string;
}

export function positiveInt(value: string, flag: string): number {
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n) || n <= 0 || String(n) !== value.trim()) throw new LinkedError('INVALID_OPTION', `${flag} must be a positive whole number (got "${value}").`);
  return n;
}

export function renderDeliverySummary(s: DeliverySummary): string {
  if (s.emitters.length === 0) return 'No event emitters are applied: nothing to deliver.\n';
  const lines = s.emitters.map((e) => {
    const base = `${e.emitterKey} -> ${e.destinationKey}: ${e.sent} sent, ${e.failed} failed, ${e.deadLettered} dead-lettered (${e.status})`;
    return e.lastError ? `${base}\n    last error: ${e.lastError}` : base;
  });
  return `${lines.join('\n')}\nDelivery ${s.runId}: ${s.sent} sent, ${s.failed} failed, ${s.deadLettered} dead-lettered.\n`;
}

export function register(program: Command): void {
  withProjectOptions(program.command('deliver').description('deliver pending outbox events of every applied event emitter to its destination'))
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
      try {
        const summary = await deliverAll(project.warehouse, project.stateSchema, {
          stack: project.desired.stack,
          emitters: flags.emitter,
          pageSize,
          concurrency,
          timeoutMs,
          onProgress: 'onProgress' in progress ? progress.onProgress : undefined,
        });
        progress.done();
        if (flags.json) printJson(summary);
        else process.stdout.write(renderDeliverySummary(summary));
        if (summary.emitters.some((e) => e.status !== 'delivered')) process.exitCode = EXIT.error;
      } finally {
        await project.close();
      }
    });
}
