import type { DaemonOptions } from '../controller/daemon.js';
import { LinkedError } from '../model/errors.js';
import { DaemonObservability } from '../observe/daemon.js';
import { parseListen, type ListenAddress, type OtherPaths } from '../observe/http.js';
import { createLogger, LOG_FORMATS, type DaemonLogger, type LogValue } from '../observe/log.js';

/*
 * The one place a daemon command (`linked run`, with or without --git) sets up what it reports
 * about itself: the --log-format json logger, the metrics and health behind --listen, and the
 * daemon options observed by both. A mode builds its Daemon options as usual and passes them
 * through `observe`; it never wires metrics, health or logs itself.
 */

export interface ObserveFlags {
  json?: boolean;
  once?: boolean;
  logFormat: string;
  listen?: string;
}

export interface DaemonReportingOptions {
  /** Seconds between controller ticks: how long idle counts as stuck (health) follows it. */
  tickSeconds: number;
  /** The longest the daemon may go without opening its warehouse while it still works (a git sync's synth). */
  quietMs?: number;
  /** The values to mask in logs, read when each line is written (a git sync changes them with each synth). */
  secrets: () => readonly string[];
}

export class DaemonReporting {
  /** `--log-format json`: every line and record goes through it (and the mode's own lines do not print). */
  readonly logger?: DaemonLogger;
  readonly observability: DaemonObservability;
  /** `--listen`, parsed. */
  readonly listenAddress?: ListenAddress;
  /**
   * A free-form line in the chosen format: a JSON record with --log-format json, a stamped line in
   * text, nothing with --json (whose lines are the mode's own objects).
   */
  readonly log?: (line: string, level?: 'error') => void;
  private readonly json: boolean;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];

  constructor(flags: ObserveFlags, o: DaemonReportingOptions) {
    if (!(LOG_FORMATS as readonly string[]).includes(flags.logFormat)) throw new LinkedError('INVALID_OPTION', `--log-format must be text or json, got "${flags.logFormat}".`);
    this.listenAddress = flags.listen !== undefined ? parseListen(flags.listen) : undefined;
    this.json = flags.json ?? false;
    this.logger = flags.logFormat === 'json' ? createLogger({ format: 'json', write: (l) => process.stdout.write(l), secrets: o.secrets }) : undefined;
    const logger = this.logger;
    // Text lines quote errors too: masked and made printable by the text logger.
    const text = createLogger({ format: 'text', write: (l) => process.stdout.write(l), secrets: o.secrets });
    this.log = logger ? (line, level) => logger.line(line, level) : this.json ? undefined : (line) => text.line(line);
    this.observability = new DaemonObservability({ logger, staleAfterMs: Math.max(60_000, 6 * o.tickSeconds * 1000, o.quietMs ?? 0) });
  }

  /** Whether the mode prints its own run and delivery lines (text or --json); not with JSON logs. */
  get printsOwnLines(): boolean {
    return !this.logger;
  }

  /** A structured record (JSON logs only; text and --json modes print their own lines). */
  event(msg: string, fields: Record<string, LogValue>): void {
    this.logger?.event(msg, fields);
  }

  /**
   * A daemon's options, observed: its warehouse sessions feed health and the state gauges, its
   * runs, delivery passes, batches, requests and collections feed the metrics and the JSON log.
   * With JSON logs, the mode's own log and run/delivery lines give way to the logger's records.
   */
  observe(options: DaemonOptions): DaemonOptions {
    const o = this.observability;
    const hooks = o.deliveryHooks();
    const own = this.printsOwnLines;
    return {
      ...options,
      open: o.trackOpen(options.open, { schema: options.schema, stack: options.stack }),
      log: own ? options.log : this.log,
      onRun: (s) => {
        o.onRun(s);
        if (own) options.onRun?.(s);
      },
      onDelivery: (report) => {
        o.onDelivery({ runId: report.runId, emitters: [report] });
        if (own) options.onDelivery?.(report);
      },
      onBatch: (p) => {
        hooks.onProgress(p);
        options.onBatch?.(p);
      },
      delivery: {
        ...options.delivery,
        onRequest: (r) => {
          hooks.onRequest(r);
          options.delivery?.onRequest?.(r);
        },
      },
      onGc: (g) => {
        o.onGc(g);
        options.onGc?.(g);
      },
      onHalt: (refusal) => {
        o.markHalted(`halted [${refusal.code}]: a newer linked migrated the state; upgrade this daemon to it`);
        options.onHalt?.(refusal);
      },
    };
  }

  /** Serves /healthz, /readyz and /metrics (and `otherPaths`) when --listen asked for it. */
  async listen(otherPaths?: OtherPaths, what = ''): Promise<ListenAddress | undefined> {
    if (!this.listenAddress) return undefined;
    const bound = await this.observability.listen(this.listenAddress, otherPaths);
    if (!this.logger) this.log?.(`serving /healthz /readyz /metrics${what} on http://${bound.host}:${bound.port}`);
    this.event('listening', { host: bound.host, port: bound.port });
    return bound;
  }

  /**
   * On SIGTERM: readiness drops at once (the endpoint keeps answering until close), and the JSON
   * log records that the drain began (the text modes say it in their own line).
   */
  stopOnSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const stopping = () => {
        this.observability.markStopping();
        this.event('stopping', { signal });
      };
      process.once(signal, stopping);
      this.signalHandlers.push([signal, stopping]);
    }
  }

  /** Closes the endpoint; a daemon that stopped on its own (a halt) no longer listens for the signals. */
  async close(): Promise<void> {
    for (const [signal, handler] of this.signalHandlers.splice(0)) process.off(signal, handler);
    await this.observability.close();
  }
}
