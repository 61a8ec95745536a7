/**
 * Runs `tasks` with at most `concurrency` at once, starting a task only after every task it
 * depends on (within this set) has finished: an audience that uses another linked audience
 * computes after it. Dependencies outside the set are already computed; cycles (which validation
 * rejects) are broken by key order so the loop cannot stall.
 */
export async function runOrdered<T extends { key: string; dependsOn: readonly string[] }>(
  tasks: readonly T[],
  concurrency: number,
  run: (task: T) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const keys = new Set(tasks.map((t) => t.key));
  const pending = new Map(tasks.map((t) => [t.key, t]));
  const done = new Set<string>();
  const running = new Map<string, Promise<void>>();
  const ready = (t: T) => t.dependsOn.every((d) => d === t.key || !keys.has(d) || done.has(d));

  while ((pending.size > 0 && !shouldStop()) || running.size > 0) {
    if (!shouldStop()) {
      let candidates = [...pending.values()].filter(ready);
      if (candidates.length === 0 && running.size === 0 && pending.size > 0) {
        candidates = [[...pending.values()].sort((a, b) => a.key.localeCompare(b.key))[0]!]; // a cycle
      }
      for (const t of candidates) {
        if (running.size >= Math.max(1, concurrency)) break;
        pending.delete(t.key);
        running.set(
          t.key,
          run(t).finally(() => {
            running.delete(t.key);
            done.add(t.key);
          }),
        );
      }
    }
    if (running.size > 0) await Promise.race(running.values()).catch(() => undefined);
  }
}
