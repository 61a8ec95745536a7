/**
 * The audiences whose runs committed changes during a tick, held so that their emitters start
 * together when it ends (and share their trait reads), but never longer than `maxHoldMs` after the
 * first: a long tick does not hold back what its first runs changed.
 */
export class HeldKicks {
  private readonly held = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly kick: (audienceKey: string) => void,
    private readonly maxHoldMs: number,
  ) {}

  /** Whether the audience's run in the tick in progress committed changes that wait for its end. */
  holds(audienceKey: string): boolean {
    return this.held.has(audienceKey);
  }

  add(audienceKey: string): void {
    this.held.add(audienceKey);
    if (this.timer) return;
    this.timer = setTimeout(() => this.release(), this.maxHoldMs);
    this.timer.unref();
  }

  /** Kicks every audience held, in the order their runs committed. */
  release(): void {
    const keys = [...this.held];
    this.drop();
    for (const key of keys) this.kick(key);
  }

  /** Stopping: nothing held is kicked any more (the outbox keeps the events for the next start). */
  drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held.clear();
  }
}
