import type { Command } from 'commander';
import { resolve } from 'node:path';
import { readAppliedModel } from '../../compute/applied.js';
import { TICK_SECONDS } from '../../controller/controller.js';
import { Daemon, onceFailed, type OnceReport } from '../../controller/daemon.js';
import { loadDesired, synthesizedOutDir } from '../../manifest/index.js';
import { LinkedError } from '../../model/errors.js';
import { positiveInt, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { daemonOptions, serveUntilSignal } from '../daemon-run.js';
import { limitHeapGrowth } from '../heap.js';
import { EXIT, printJson } from '../run.js';
import { parseDuration } from '../terminal.js';
import { DEFAULT_RETENTION_DAYS } from '../../state/retention/retention.js';
import { runFromGit } from '../run-git.js';
import { referencedSecretValues } from '../../observe/log.js';
import { DaemonReporting } from '../daemon-observe.js';
import { createUiHandler, dashboardToken } from '../../ui/server.js';
import { readerSource } from '../../ui/source.js';

interface RunFlags extends ProjectFlags {
  once?: boolean;
  git?: string;
  branch: string;
  interval: string;
  prune?: boolean;
  workdir?: string;
  concurrency: string;
  tickSeconds: string;
  lookEvery?: string;
  leaseTtl: string;
  deliver: boolean;
  pageSize: string;
  timeout: string;
  listen?: string;
  logFormat: string;
  gc: boolean;
  gcEvery: string;
  retentionDays: string;
  ui?: boolean;
  uiTokenSecret?: string;
}

export function register(program: Command): void {
  withProjectOptions(
    program
      .command('run')
      .description(
        'the controller: compute each enabled applied audience on its schedule and deliver its emitters\' events (or once, with --once); with --git, pull and apply a repository too',
      ),
  )
    .option('--once', 'compute everything due, deliver until the outboxes are empty, then exit (for a CI schedule)')
    .option('--no-deliver', 'compute only; deliver apart with `linked deliver --watch` (or `linked deliver`)')
    .option('--page-size <n>', 'delivery: rows per page (enrichment queries and cursor commits)', '2000')
    .option('--timeout <ms>', 'delivery: timeout of each request, in milliseconds', '10000')
    .option('--concurrency <n>', 'maximum runs at once (DuckDB: one at a time)', '2')
    .option('--tick-seconds <n>', `seconds between looks for due audiences and compute-now requests: ${tickValues()}`, '10')
    .option(
      '--look-every <duration>',
      'while nothing is due, look at the warehouse at most this often (e.g. 15m), so that a Snowflake warehouse suspends between schedules; compute-now requests, applies and replays wait for the next look',
    )
    .option('--lease-ttl <seconds>', 'how long a lease (and this controller) outlives its last heartbeat: a killed controller frees its audiences within this time', '30')
    .option('--gc-every <duration>', 'time between background collections of old state (as `linked gc`), e.g. 30m, 1h', '1h')
    .option('--retention-days <days>', 'with the background collection: keep this many days of history (at least 1)', String(DEFAULT_RETENTION_DAYS))
    .option('--no-gc', 'never collect old state in the background (run `linked gc` yourself)')
    .option('--listen <host:port>', 'serve /healthz, /readyz and Prometheus /metrics on this address (e.g. 127.0.0.1:9464)')
    .option('--ui', 'with --listen: also serve the read-only dashboard (docs/ui.md) on that address')
    .option('--ui-token-secret <ENV_VAR>', 'with --ui: require Authorization: Bearer <token> on the dashboard, the token read from this environment variable (needed off 127.0.0.1)')
    .option('--log-format <format>', 'text, or json: one JSON line per run and per delivered batch (secrets masked)', 'text')
    .option('--git <url|path>', 'GitOps: pull this repository, synthesize, plan and apply it, then compute (auto-sync)')
    .option('--branch <branch>', 'with --git: the branch to follow', 'main')
    .option('--interval <duration>', 'with --git: time between pulls (e.g. 1m, 5m)', '5m')
    .option('--prune', 'with --git: also delete resources removed from git (off by default, as in Argo CD)')
    .option('--workdir <dir>', 'with --git: where the checkout lives (default <dir>/.linked/checkout)')
    .addHelpText(
      'after',
      `
With --git, --dir is the controller's home: the stack's DuckDB path resolves from it (not from the
checkout, which is reset on every pull) and it keeps the last good synth in <dir>/cdktf.out, so
\`linked status --dir <dir>\` shows the audiences and the sync state. Suspend the sync with
\`linked sync suspend --dir <dir>\`.

Delivery: after each run that changed an audience, its event emitters deliver at once; between
runs the controller keeps delivering (new events, retries after backoff, replays), each emitter on
its own and under a lease, so two controllers never deliver one emitter at once. --once exits 1 if
a run failed, an event was dead-lettered, or an emitter is still failing or blocked (\`linked status\`
says which). With --json, serving prints one JSON object per line: {"type":"run",...} per run and
{"type":"delivery",...} per emitter's delivery pass; --once prints one report.

Retention: the serving daemon collects old state in the background as \`linked gc\` does (first one
minute after it starts, then every --gc-every, keeping --retention-days); a failed collection is
logged and retried at the next interval. --once never collects.

On Snowflake every look at the warehouse resumes it. Without --look-every the controller looks
at every tick and keeps the warehouse running around the clock; with --look-every 15m, while no
audience is due it looks only every 15 minutes (and when a run is due), so a warehouse with a
shorter AUTO_SUSPEND suspends in between. A run due on its schedule still starts on time.

On DuckDB (one process per file) the controller lets go of the file whenever another command
wants it, so \`linked status\`, \`runs\`, \`deliveries\` and \`compute\` answer while it works.

Exit codes: 0 ok; 1 a run failed or events were dead-lettered or left undelivered (--once), or an error.

Examples:
  $ linked run --once
  $ linked run --tick-seconds 5 --json
  $ linked run --no-deliver &   linked deliver --watch
  $ linked run --git https://github.com/acme/audiences.git --branch main --interval 5m
  $ linked run --git ../audiences --once --json
  $ linked run --gc-every 30m --retention-days 14`,
    )
    .action(async (flags: RunFlags) => {
      limitHeapGrowth();
      const tuning = {
        concurrency: positiveInt(flags.concurrency, '--concurrency'),
        tickSeconds: tickSeconds(flags.tickSeconds),
        leaseTtlMs: positiveInt(flags.leaseTtl, '--lease-ttl') * 1000,
      };
      const lookEveryMs = lookEvery(flags, tuning.tickSeconds);
      // A quiet spell opens no warehouse: health allows one, and a tick, before it calls the daemon stuck.
      const spellMs = (lookEveryMs ?? 0) + 2 * tuning.tickSeconds * 1000;
      const gc = backgroundGc(flags);
      if ((flags.ui || flags.uiTokenSecret !== undefined) && flags.listen === undefined) {
        throw new LinkedError('INVALID_OPTION', '--ui serves the dashboard on the --listen address: add --listen 127.0.0.1:9464 (or another host:port).');
      }
      if (flags.uiTokenSecret !== undefined && !flags.ui) throw new LinkedError('INVALID_OPTION', '--ui-token-secret guards the dashboard: add --ui.');
      if (flags.git !== undefined && flags.ui) throw new LinkedError('INVALID_OPTION', '--ui does not apply with --git: serve the dashboard with `linked ui --dir <dir>` beside it.');
      const delivery = { pageSize: positiveInt(flags.pageSize, '--page-size'), timeoutMs: positiveInt(flags.timeout, '--timeout') };
      if (flags.git !== undefined) {
        const intervalMs = parseDuration(flags.interval, '--interval');
        // A sync's synth (and npm ci) opens no warehouse: health allows a few intervals of it.
        let secrets: readonly string[] = [];
        const reporting = new DaemonReporting(flags, { tickSeconds: tuning.tickSeconds, quietMs: Math.max(3 * intervalMs, spellMs), secrets: () => secrets });
        return runFromGit({ ...flags, git: flags.git, ...tuning, lookEveryMs, delivery, gc }, reporting, (desired) => (secrets = referencedSecretValues(desired)));
      }
      if (flags.prune || flags.workdir) throw new LinkedError('INVALID_OPTION', '--prune and --workdir need --git.');
      const dir = resolve(flags.dir ?? process.cwd());
      // Only the warehouse config comes from the synthesized project; what runs is the applied state.
      const desired = await loadDesired(synthesizedOutDir(dir, flags.outDir), flags.stack);
      const secrets = referencedSecretValues(desired);
      const reporting = new DaemonReporting(flags, { tickSeconds: tuning.tickSeconds, quietMs: spellMs, secrets: () => secrets });
      const listen = reporting.listenAddress;
      const uiToken = flags.ui && listen ? dashboardToken(listen.host, flags.uiTokenSecret) : undefined;
      const options = daemonOptions(desired, dir, flags.command, { json: flags.json ?? false, runs: !flags.once });
      const daemon = new Daemon(
        reporting.observe({
          ...options,
          ...tuning,
          lookEveryMs,
          // --once --json prints one report at the end, not a line per pass.
          onDelivery: flags.once && flags.json ? undefined : options.onDelivery,
          deliver: flags.deliver,
          delivery,
          loadModel: (wh) => readAppliedModel(wh, options.schema, flags.stack),
          // `--once` is a job, not a daemon: it leaves retention to `linked gc`.
          gc: flags.once ? undefined : gc,
        }),
      );
      const ui = flags.ui
        ? createUiHandler(readerSource({ schema: options.schema, stack: flags.stack, projectDir: dir, open: daemon.open, secrets }), { token: uiToken })
        : undefined;
      await reporting.listen(ui, ui ? ' and the dashboard' : '');
      if (flags.once) {
        const report = await daemon.once().finally(() => reporting.close());
        if (flags.json) printJson(report);
        else process.stdout.write(renderOnce(report));
        if (onceFailed(report)) process.exitCode = EXIT.error;
        return;
      }
      const what = flags.deliver ? 'computing and delivering' : 'computing only (--no-deliver)';
      reporting.stopOnSignals();
      reporting.event('started', { controller: daemon.id, tick_seconds: tuning.tickSeconds, look_every_s: lookEveryMs === undefined ? undefined : lookEveryMs / 1000, delivering: flags.deliver });
      // JSON logs replace the text lines (the logger writes its own records).
      // A halt (a newer linked migrated the state) throws its refusal: the endpoint closes all the same.
      await serveUntilSignal(daemon, { json: (flags.json ?? false) || !reporting.printsOwnLines, runs: true }, startedLine(daemon.id, what, flags, desired.warehouse.type)).finally(() =>
        reporting.close(),
      );
      reporting.logger?.line('stopped');
    });
}

/**
 * What a serving controller says when it starts; on Snowflake without --look-every, that its
 * ticks keep the warehouse running, and what lets it suspend.
 */
export function startedLine(id: string, what: string, flags: Pick<RunFlags, 'tickSeconds' | 'lookEvery'>, warehouse: string): string {
  const paced = flags.lookEvery === undefined ? '' : `, looking at the warehouse at most every ${flags.lookEvery} while nothing is due`;
  const hint =
    flags.lookEvery === undefined && warehouse === 'snowflake'
      ? '; every tick resumes the Snowflake warehouse, so it never suspends: --look-every 15m lets it while nothing is due'
      : '';
  return `controller ${id} started, ${what} (tick ${flags.tickSeconds} s${paced})${hint}`;
}

const tickValues = () => `${TICK_SECONDS.slice(0, -1).join(', ')} or ${TICK_SECONDS.at(-1)}`;

/**
 * --tick-seconds: ticks fall at the same seconds of every minute, so only a divisor of a minute
 * ticks evenly (45 would tick at :00 and :45); anything else is refused rather than ticking
 * unevenly or, past 59, at another length than the one the delivery poll and /healthz assume.
 */
function tickSeconds(value: string): number {
  const n = positiveInt(value, '--tick-seconds');
  if (!TICK_SECONDS.includes(n)) {
    throw new LinkedError('INVALID_OPTION', `--tick-seconds must be 1 to 30 seconds and divide a minute evenly: ${tickValues()} (got ${n}).`);
  }
  return n;
}

/** --look-every in ms (undefined: look at every tick); only a serving controller has quiet spells. */
function lookEvery(flags: RunFlags, tickSeconds: number): number | undefined {
  if (flags.lookEvery === undefined) return undefined;
  if (flags.once) throw new LinkedError('INVALID_OPTION', '--look-every paces a serving controller: drop it with --once, which looks once and exits.');
  const ms = parseDuration(flags.lookEvery, '--look-every');
  if (ms < tickSeconds * 1000) {
    throw new LinkedError('INVALID_OPTION', `--look-every (${flags.lookEvery}) must be at least --tick-seconds (${tickSeconds} s): the controller looks at most once a tick anyway.`);
  }
  return ms;
}

/** The background collection the flags ask for; undefined with --no-gc. */
function backgroundGc(flags: RunFlags): { everyMs: number; retentionMs: number } | undefined {
  const days = Number(flags.retentionDays);
  if (!Number.isFinite(days) || days < 1) {
    throw new LinkedError('INVALID_OPTION', `--retention-days must be a number of days, at least 1 (what delivery and replay need), got "${flags.retentionDays}".`);
  }
  const everyMs = parseDuration(flags.gcEvery, '--gc-every');
  if (everyMs < 1000) throw new LinkedError('INVALID_OPTION', `--gc-every must be at least 1s, got "${flags.gcEvery}".`);
  return flags.gc ? { everyMs, retentionMs: days * 86_400_000 } : undefined;
}

/**
 * `run --once` computes what its schedule makes due, not every audience: after an apply changed a
 * condition, "nothing due" alone reads as if the change had been computed.
 */
function nothingDue(next: OnceReport['next']): string {
  const when = next ? `the next run is ${next.audience} at ${next.at} (\`linked status\` lists each audience's)` : 'no enabled audience is scheduled';
  return `Nothing due: ${when}. \`linked compute <audience>\` computes one now, e.g. after an apply changed its condition.`;
}

/** The end of `run --once` in text: nothing due, or what needs a look (runs and passes were logged as they ended). */
function renderOnce(r: OnceReport): string {
  const lines: string[] = [];
  if (r.due.length === 0) lines.push(nothingDue(r.next));
  const failedRuns = r.runs.filter((x) => x.status !== 'Live').length;
  if (failedRuns > 0) lines.push(`${failedRuns} run(s) failed: see \`linked runs\`.`);
  const dead = r.deliveries.reduce((a, d) => a + d.deadLettered, 0);
  if (dead > 0) lines.push(`${dead} event(s) dead-lettered: see \`linked dead-letters\`, then \`linked replay\`.`);
  const stuck = r.deliveries.filter((d) => d.status !== 'delivered');
  for (const d of stuck) lines.push(`${d.emitterKey}: not delivered (${d.status})${d.lastError ? `: ${d.lastError}` : ''}; the next run retries it.`);
  return lines.length ? lines.join('\n') + '\n' : '';
}
