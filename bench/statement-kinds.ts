import type { RecordedStatement } from '../test/support/recording-warehouse.js';

const duration = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

/** A statement's shape: its first words (verb and table), whitespace folded. */
const kindOf = (sql: string) => sql.replace(/\s+/g, ' ').slice(0, 90);

/** Statements grouped by their shape (`kindOf`), most frequent first. */
export function countedKinds(sqls: readonly string[]): { count: number; kind: string }[] {
  const counts = new Map<string, number>();
  for (const sql of sqls) counts.set(kindOf(sql), (counts.get(kindOf(sql)) ?? 0) + 1);
  return [...counts].map(([kind, count]) => ({ count, kind })).sort((a, b) => b.count - a.count);
}

/**
 * Statements grouped by their first words (verb and table), the `top` kinds that took longest in
 * all, a line each: time, count, kind.
 */
export function slowestKinds(statements: readonly RecordedStatement[], top: number): string[] {
  const kinds = new Map<string, { n: number; ms: number }>();
  for (const s of statements) {
    const kind = kindOf(s.sql);
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
