import { collectGarbage, type RetentionCounts } from '../state/retention/retention.js';
import type { Warehouse } from '../warehouse/types.js';

/** One background collection, as the daemon's observers see it. */
export interface GcReport {
  ok: boolean;
  removed?: RetentionCounts;
  /** Rows removed, all areas together. */
  total: number;
  error?: string;
  startedAt: string;
  durationMs: number;
}

export interface GcLoopOptions {
  /** Opens the warehouse for one collection (on DuckDB, a handle on the shared file). */
  open: () => Promise<Warehouse>;
  schema: string;
  /** Between collections. */
  everyMs: number;
  /** What `linked gc --retention-days` sets: records older than this go. */
  retentionMs: number;
  /**
   * Before the first collection. Default: one minute, or everyMs when shorter: a daemon that is
   * restarted more often than everyMs still collects, and its first ticks go before any cleanup.
   */
  firstAfterMs?: number;
  /** One collection; default collectGarbage (what `linked gc` runs). */
  collect?: (wh: Warehouse, schema: string, options: { retentionMs: number }) => Promise<RetentionCounts>;
  onGc?: (report: GcReport) => void;
  log?: (line: string) => void;
}

/**
 * Retention in the background of `linked run`: every `everyMs` one collection, on the daemon's own
 * warehouse access, one at a time. A collection that fails is reported (log, `onGc`) and the next
 * one is tried at the next interval: retention is housekeeping, never a reason to stop computing
 * or delivering.
 */
export class GcLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<GcReport>;
  private stopped = false;

  constructor(private readonly o: GcLoopOptions) {}

  start(): void {
    this.schedule(this.o.firstAfterMs ?? Math.min(this.o.everyMs, 60_000));
  }

  /** One collection now (the loop's, or a test's); never two at once. */
  collectOnce(): Promise<GcReport> {
    this.running ??= this.collect().finally(() => (this.running = undefined));
    return this.running;
  }

  /** No new collection starts; one in flight finishes (it is one transaction, then a checkpoint). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.collectOnce().finally(() => this.schedule(this.o.everyMs));
    }, delayMs);
    this.timer.unref();
  }

  private async collect(): Promise<GcReport> {
    const started = Date.now();
    const startedAt = new Date(started).toISOString();
    let report: GcReport;
    try {
      const wh = await this.o.open();
      try {
        const removed = await (this.o.collect ?? collectGarbage)(wh, this.o.schema, { retentionMs: this.o.retentionMs });
        const total = Object.values(removed).reduce((a, b) => a + b, 0);
        report = { ok: true, removed, total, startedAt, durationMs: Date.now() - started };
        this.o.log?.(`gc: removed ${total} row(s) older than the retention (${report.durationMs} ms)`);
      } finally {
        await wh.close();
      }
    } catch (e) {
      const error = (e as Error)?.message ?? String(e);
      report = { ok: false, total: 0, error, startedAt, durationMs: Date.now() - started };
      this.o.log?.(`gc failed (next attempt in ${Math.round(this.o.everyMs / 1000)} s): ${error}`);
    }
    this.o.onGc?.(report);
    return report;
  }
}
