import type { UnreadableSpec } from '../compute/model.js';
import type { ResourceKind } from '../model/desired.js';
import { unreadableError } from '../state/apply/resources.js';

/**
 * The daemon's log lines for applied resources it skips because their stored spec cannot be read:
 * each said once while it stays so (the loops read the model at every tick and look), and again
 * if it breaks anew. Each loop says the kinds it would have acted on.
 */
export class UnreadableNotices {
  private told = new Set<string>();

  constructor(
    private readonly kinds: readonly ResourceKind[],
    private readonly log: (line: string) => void,
  ) {}

  tell(unreadable: readonly UnreadableSpec[] = []): void {
    const now = new Set<string>();
    for (const r of unreadable) {
      if (!this.kinds.includes(r.kind)) continue;
      const line = `${r.kind}.${r.key}: skipped: ${unreadableError(r).message}`;
      now.add(line);
      if (!this.told.has(line)) this.log(line);
    }
    this.told = now;
  }
}
