import { resolve } from 'node:path';
import { Daemon, type DaemonOptions } from '../controller/daemon.js';
import type { DeliveryReport } from '../controller/delivery-loop.js';
import { requestDirFor } from '../controller/request-files.js';
import { loadDesired, synthesizedOutDir } from '../manifest/index.js';
import type { Desired } from '../model/desired.js';
import { LinkedError } from '../model/errors.js';
import { createLogger, referencedSecretValues } from '../observe/log.js';
import { openWarehouse } from '../warehouse/index.js';
import { commandTag } from '../warehouse/tagged.js';
import { printJsonLine } from './run.js';

/*
 * What `linked run` (serving) and `linked deliver --watch` share: the daemon's options from the
 * stack, its log lines (text, or one JSON object per line with --json), and serving until SIGTERM.
 */

const stamp = () => new Date().toISOString();

export function deliveryLine(d: DeliveryReport): string {
  const base = `${d.emitterKey} -> ${d.destinationKey}: ${d.sent} sent, ${d.failed} failed, ${d.deadLettered} dead-lettered (${d.status}, after ${d.trigger}, ${d.durationMs} ms)`;
  return d.lastError ? `${base}; last error: ${d.lastError}` : base;
}

export interface DaemonOutput {
  json: boolean;
  /** Print a line per run (text mode prints them through the controller's log). */
  runs: boolean;
}

/**
 * The daemon's options for a stack: its warehouse (a DuckDB file shared; its own statements, leases
 * and schedule, tagged with the `command` that serves), its log and observers.
 */
export function daemonOptions(desired: Desired, dir: string, command: string, out: DaemonOutput): Omit<DaemonOptions, 'compute' | 'deliver'> {
  const wh = desired.warehouse;
  const duckDbFile = wh.type === 'duckdb' && wh.path !== ':memory:' ? resolve(dir, wh.path) : undefined;
  // Lines quote errors (warehouse data, what a destination answered): masked and made printable as the logger does.
  const text = createLogger({ format: 'text', write: (line) => process.stdout.write(line), secrets: referencedSecretValues(desired) });
  return {
    open: () => openWarehouse(wh, dir, { tag: commandTag(command, desired.stack) }),
    schema: wh.stateSchema,
    stack: desired.stack,
    duckDbFile,
    requestDir: duckDbFile ? requestDirFor(duckDbFile) : undefined,
    log: out.json ? undefined : (line) => text.line(line),
    // --json: one object per finished run and per delivery pass, told apart by `type`.
    onRun: out.json && out.runs ? (s) => printJsonLine({ type: 'run', ...s }) : undefined,
    onDelivery: (d) => (out.json ? printJsonLine({ type: 'delivery', ...d }) : text.line(deliveryLine(d))),
  };
}

/**
 * Serves until SIGTERM or SIGINT, then finishes what is in flight and resolves; or until the
 * daemon halts on a state a newer linked migrated, and then throws its STATE_TOO_NEW refusal (the
 * command exits 1, so that a supervisor restarts it, on the upgraded image).
 */
export async function serveUntilSignal(daemon: Daemon, out: DaemonOutput, started: string): Promise<void> {
  const say = (line: string) => {
    if (!out.json) process.stdout.write(`${stamp()} ${line}\n`);
  };
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      say(`${signal}: finishing the run step and the delivery requests in flight, then stopping`);
      void daemon.stop().then(() => {
        say('stopped');
        done();
      });
    };
    const handlers = (['SIGTERM', 'SIGINT'] as const).map((signal) => [signal, () => stop(signal)] as const);
    for (const [signal, handler] of handlers) process.once(signal, handler);
    // A halt stops the daemon from within: no signal is coming.
    void daemon.halted.then(() => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      done();
    });
    say(started);
    daemon.start();
  });
  if (daemon.refusal) throw daemon.refusal;
}

/** `linked deliver --watch`: the daemon's delivery loop alone, until SIGTERM. */
export async function watchDeliveries(
  flags: { dir?: string; outDir?: string; stack?: string; json?: boolean; emitter?: string[]; command: string },
  tuning: { pageSize: number; concurrency: number; timeoutMs: number; pollMs: number },
): Promise<void> {
  if (flags.emitter) throw new LinkedError('INVALID_OPTION', '--emitter does not apply with --watch: the watch delivers every applied emitter.');
  const dir = resolve(flags.dir ?? process.cwd());
  const desired = await loadDesired(synthesizedOutDir(dir, flags.outDir), flags.stack);
  const out = { json: flags.json ?? false, runs: false };
  const { pollMs, ...delivery } = tuning;
  const daemon = new Daemon({ ...daemonOptions(desired, dir, flags.command, out), compute: false, delivery, pollMs });
  await serveUntilSignal(daemon, out, `delivery ${daemon.id} started (looks every ${pollMs / 1000} s)`);
}
