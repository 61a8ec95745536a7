import type { Condition } from './condition.js';
import { conditionLines, type ConditionLine } from './condition-text.js';

/*
 * The difference of two condition trees, node by node, over their readable lines
 * (condition-text.ts): what a plan shows a reviewer instead of attribute paths. Unchanged
 * subtrees are kept as one folded node with the number of conditions they hold, so renderers can
 * hide them and JSON consumers still see where they sit.
 */

export type ConditionDiffAction = 'add' | 'remove' | 'change' | 'unchanged';

export interface ConditionDiff {
  /** `change`: the line, or something under it, differs. */
  action: ConditionDiffAction;
  /** The line before (absent on `add`). */
  before?: string;
  /** The line after (absent on `remove`). */
  after?: string;
  /** Attribute path of the node: in the new condition, or in the old one for `remove`. */
  path: string;
  /** `unchanged` nodes list none (they are folded); `add` and `remove` list the whole subtree. */
  children: ConditionDiff[];
  /** On `unchanged`: how many conditions the folded subtree holds, itself included. */
  folded?: number;
}

/** The diff of two conditions; undefined when they read the same. Either side may be absent (create, delete). */
export function diffConditions(before: Condition | undefined, after: Condition | undefined): ConditionDiff | undefined {
  const d = diffLines(before && conditionLines(before), after && conditionLines(after));
  return d && d.action !== 'unchanged' ? d : undefined;
}

/** The diff of two line trees (exported for predicates and tests). */
export function diffLines(before: ConditionLine | undefined, after: ConditionLine | undefined): ConditionDiff | undefined {
  if (!before && !after) return undefined;
  if (!before) return whole('add', after!);
  if (!after) return whole('remove', before);
  if (signature(before) === signature(after)) return { action: 'unchanged', before: before.text, after: after.text, path: after.path, children: [], folded: size(after) };
  return { action: 'change', before: before.text, after: after.text, path: after.path, children: diffChildren(before.children, after.children) };
}

function whole(action: 'add' | 'remove', l: ConditionLine): ConditionDiff {
  const children = l.children.map((c) => whole(action, c));
  return action === 'add' ? { action, after: l.text, path: l.path, children } : { action, before: l.text, path: l.path, children };
}

const signatures = new WeakMap<ConditionLine, string>();
/** A subtree's identity: its lines and shape, not its paths (a condition that moved is unchanged). */
function signature(l: ConditionLine): string {
  let s = signatures.get(l);
  if (s === undefined) {
    s = JSON.stringify([l.text, l.children.map(signature)]);
    signatures.set(l, s);
  }
  return s;
}

const size = (l: ConditionLine): number => 1 + l.children.reduce((n, c) => n + size(c), 0);

/**
 * Siblings: identical subtrees are matched first (longest common subsequence, so an insertion
 * does not shift every later sibling into a change); between them, a removed and an added line
 * about the same subject, in order, are one condition changed.
 */
function diffChildren(before: ConditionLine[], after: ConditionLine[]): ConditionDiff[] {
  const anchors = commonSubsequence(before.map(signature), after.map(signature));
  const out: ConditionDiff[] = [];
  let i = 0;
  let j = 0;
  for (const [ai, aj] of [...anchors, [before.length, after.length] as const]) {
    out.push(...diffRun(before.slice(i, ai), after.slice(j, aj)));
    if (ai < before.length) out.push(diffLines(before[ai], after[aj])!);
    i = ai + 1;
    j = aj + 1;
  }
  return out;
}

function diffRun(before: ConditionLine[], after: ConditionLine[]): ConditionDiff[] {
  // Pair lines about the same subject, keeping order on both sides.
  const pairOf = new Map<number, number>();
  let next = 0;
  for (let bi = 0; bi < before.length; bi++) {
    const aj = after.findIndex((a, k) => k >= next && a.subject === before[bi].subject);
    if (aj >= 0) {
      pairOf.set(bi, aj);
      next = aj + 1;
    }
  }
  const paired = new Set(pairOf.values());
  const out: ConditionDiff[] = [];
  let bi = 0;
  let aj = 0;
  while (bi < before.length || aj < after.length) {
    if (bi < before.length && !pairOf.has(bi)) out.push(whole('remove', before[bi++]));
    else if (aj < after.length && !paired.has(aj)) out.push(whole('add', after[aj++]));
    else out.push(diffLines(before[bi++], after[aj++])!);
  }
  return out;
}

/** Index pairs of a longest common subsequence of two lists of signatures. */
function commonSubsequence(a: string[], b: string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const len: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) len[i][j] = a[i] === b[j] ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
  }
  const out: [number, number][] = [];
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (a[i] === b[j]) {
      out.push([i, j]);
      i++;
      j++;
    } else if (len[i + 1][j] >= len[i][j + 1]) i++;
    else j++;
  }
  return out;
}

/** How many conditions were added, removed and changed (a changed parent of changes is not counted). */
export function conditionChangeCounts(d: ConditionDiff): { add: number; remove: number; change: number } {
  const counts = { add: 0, remove: 0, change: 0 };
  const walk = (n: ConditionDiff) => {
    if (n.action === 'add' || n.action === 'remove') counts[n.action]++;
    if (n.action === 'change' && n.before !== n.after) counts.change++;
    n.children.forEach(walk);
  };
  walk(d);
  return counts;
}
