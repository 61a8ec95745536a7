/** Edit distance (insertions, deletions, substitutions; a swap of two neighbours counts once). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate a mistyped name most likely meant: the closest by edit distance (case ignored),
 * if it is close enough to be a typo rather than another name (a third of the name's length).
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: { candidate: string; d: number } | undefined;
  for (const candidate of candidates) {
    const d = distance(wanted, candidate.toLowerCase());
    if (!best || d < best.d) best = { candidate, d };
  }
  return best && best.d <= Math.max(1, Math.floor(name.length / 3)) ? best.candidate : undefined;
}

/** ` Did you mean "x"?` for the closest candidate, or '' when none is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closestName(name, candidates);
  return match === undefined ? '' : ` Did you mean "${match}"?`;
}

/** ` Known: a, b, c.` (the first few, sorted), or ' None is applied.' for an empty list. */
export function knownNames(candidates: Iterable<string>, limit = 10): string {
  const all = [...candidates].sort();
  if (all.length === 0) return ' None is applied.';
  const shown = all.slice(0, limit).join(', ');
  return ` Known: ${shown}${all.length > limit ? `, and ${all.length - limit} more` : ''}.`;
}
