import type { RecordedStatement } from '../test/support/recording-warehouse.js';

const duration = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

/**
 * Statements grouped by their first words (verb and table), the `top` kinds that took longest in
 * all, a line each: time, count, kind.
 */
export function slowestKinds(statements: readonly RecordedStatement[], top: number): string[] {
  const kinds = new Map<string, { n: number; ms: number }>();
  for (const s of statements) {
    const kind = s.sql.replace(/\s+/g, ' ').slice(0, 90);
    const k = kinds.get(kind) ?? { n: 0, ms: 0 };
    k.n++;
    k.ms += s.ms ?? 0;
    kinds.set(kind, k);
  }
  return [...kinds]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([kind, k]) => `${duration(k.ms).padStart(8)} ${String(k.n).padStart(5)} x ${kind}`);
}
