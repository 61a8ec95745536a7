import type { Command } from 'commander';
import { resolve } from 'node:path';
import { readAppliedModel } from '../../compute/applied.js';
import { Controller } from '../../controller/controller.js';
import { requestDirFor } from '../../controller/request-files.js';
import { loadDesired } from '../../manifest/index.js';
import { LinkedError } from '../../model/errors.js';
import { withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openWarehouse } from '../../warehouse/index.js';
import { limitHeapGrowth } from '../heap.js';
import { EXIT, printJson } from '../run.js';
import { runFromGit } from '../run-git.js';
import { DaemonObservability } from '../../observe/daemon.js';
import { parseListen } from '../../observe/http.js';
import { createLogger, LOG_FORMATS, referencedSecretValues } from '../../observe/log.js';

interface RunFlags extends ProjectFlags {
  once?: boolean;
  git?: string;
  branch: string;
  interval: string;
  prune?: boolean;
  workdir?: string;
  concurrency: string;
  tickSeconds: string;
  leaseTtl: string;
  listen?: string;
  logFormat: string;
}

const positive = (v: string, flag: string) => {
  const n = Number.parseInt(v, 10);
  if (!Number.isFinite(n) || n < 1) throw new LinkedError('INVALID_OPTION', `${flag} must be a positive integer, got "${v}".`);
  return n;
};

export function register(program: Command): void {
  withProjectOptions(
    program.command('run').description('the controller: compute each enabled applied audience on its schedule (or once, with --once); with --git, pull and apply a repository too'),
  )
    .option('--once', 'compute everything due, then exit (for a CI schedule)')
    .option('--concurrency <n>', 'maximum runs at once (DuckDB: one at a time)', '2')
    .option('--tick-seconds <n>', 'seconds between looks for due audiences and compute-now requests', '10')
    .option('--lease-ttl <seconds>', 'how long a run holds its audience without renewing', '900')
    .option('--listen <host:port>', 'serve /healthz, /readyz and Prometheus /metrics on this address (e.g. 127.0.0.1:9464)')
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

Examples:
  $ linked run --once
  $ linked run --git https://github.com/acme/audiences.git --branch main --interval 5m
  $ linked run --git ../audiences --once --json`,
    )
    .action(async (flags: RunFlags) => {
      limitHeapGrowth();
      const tuning = {
        concurrency: positive(flags.concurrency, '--concurrency'),
        tickSeconds: positive(flags.tickSeconds, '--tick-seconds'),
        leaseTtlMs: positive(flags.leaseTtl, '--lease-ttl') * 1000,
      };
      if (!(LOG_FORMATS as readonly string[]).includes(flags.logFormat)) throw new LinkedError('INVALID_OPTION', `--log-format must be text or json, got "${flags.logFormat}".`);
      const listen = flags.listen !== undefined ? parseListen(flags.listen) : undefined;
      if (flags.git !== undefined && (listen || flags.logFormat !== 'text')) throw new LinkedError('INVALID_OPTION', '--listen and --log-format do not apply with --git yet: run the controller without --git to serve them.');
      if (flags.git !== undefined) return runFromGit({ ...flags, git: flags.git, ...tuning });
      if (flags.prune || flags.workdir) throw new LinkedError('INVALID_OPTION', '--prune and --workdir need --git.');
      const dir = resolve(flags.dir ?? process.cwd());
      // Only the warehouse config comes from the synthesized project; what runs is the applied state.
      const desired = await loadDesired(flags.outDir ?? resolve(dir, 'cdktf.out'), flags.stack);
      const schema = desired.warehouse.stateSchema;
      const stamp = () => new Date().toISOString();
      const logger =
        flags.logFormat === 'json' ? createLogger({ format: 'json', write: (l) => process.stdout.write(l), secrets: referencedSecretValues(desired) }) : undefined;
      const observe = new DaemonObservability({ schema, stack: flags.stack, logger, staleAfterMs: Math.max(60_000, 6 * tuning.tickSeconds * 1000) });
      const controller = new Controller({
        open: observe.trackOpen(() => openWarehouse(desired.warehouse, dir)),
        schema,
        ...tuning,
        loadModel: (wh) => readAppliedModel(wh, schema, flags.stack),
        requestDir:
          desired.warehouse.type === 'duckdb' && desired.warehouse.path !== ':memory:'
            ? requestDirFor(resolve(dir, desired.warehouse.path))
            : undefined,
        log: logger ? (line) => logger.line(line) : flags.json ? undefined : (line) => process.stdout.write(`${stamp()} ${line}\n`),
        // --json while serving: one JSON line per finished run.
        onRun: (s) => {
          observe.onRun(s);
          if (flags.json && !flags.once && !logger) process.stdout.write(JSON.stringify(s) + '\n');
        },
      });
      if (listen) {
        const bound = await observe.listen(listen);
        if (!flags.json && !logger) process.stdout.write(`${stamp()} serving /healthz /readyz /metrics on http://${bound.host}:${bound.port}\n`);
        logger?.event('listening', { host: bound.host, port: bound.port });
      }
      if (flags.once) {
        const report = await controller.tick('once');
        await controller.stop();
        await observe.close();
        if (flags.json) printJson(report);
        else if (report.due.length === 0) process.stdout.write('Nothing due.\n');
        if (report.runs.some((r) => r.status !== 'Live')) process.exitCode = EXIT.error;
        return;
      }
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          observe.markStopping();
          if (logger) logger.line(`${signal}: finishing the current step, then stopping`);
          else if (!flags.json) process.stdout.write(`${stamp()} ${signal}: finishing the current step, then stopping\n`);
          void controller.stop().then(async () => {
            await observe.close();
            if (logger) logger.line('stopped');
            else if (!flags.json) process.stdout.write(`${stamp()} stopped\n`);
            done();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        if (logger) logger.event('started', { controller: controller.id, tick_seconds: tuning.tickSeconds });
        else if (!flags.json) process.stdout.write(`${stamp()} controller ${controller.id} started (tick ${flags.tickSeconds} s)\n`);
        controller.start();
      });
    });
}
