import type { ConditionDiff } from '../model/condition-diff.js';

/*
 * A condition diff as plan lines, the way Terraform shows a nested block: `~` changed, `+` added,
 * `-` removed, each level indented four more columns, and each run of unchanged sibling
 * conditions folded into one `# (N unchanged conditions hidden)` line. Shared by the terminal,
 * markdown and audit renderings.
 */

export type Paint = (style: 'green' | 'yellow' | 'red' | 'dim', s: string) => string;
const plain: Paint = (_style, s) => s;

const MARK = { add: ['+', 'green'], remove: ['-', 'red'], change: ['~', 'yellow'] } as const;

/** Splits a condition line into words, keeping quoted strings and [lists] whole. */
const words = (text: string) => text.match(/"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+/g) ?? [];

/**
 * One line edited in place: the words both sides share stay, the differing middle reads
 * `before -> after` (`trait lifetime_value >= 30 -> 1000`, `cards: at least 1 -> 3 where ...`).
 */
export function inlineChange(before: string, after: string): string {
  if (before === after) return after;
  const b = words(before);
  const a = words(after);
  let prefix = 0;
  while (prefix < b.length && prefix < a.length && b[prefix] === a[prefix]) prefix++;
  let suffix = 0;
  while (suffix < b.length - prefix && suffix < a.length - prefix && b[b.length - 1 - suffix] === a[a.length - 1 - suffix]) suffix++;
  // A side with nothing in the middle (words only added or removed) keeps one shared word, so both sides read.
  if (prefix === b.length - suffix || prefix === a.length - suffix) {
    if (prefix > 0) prefix--;
    else if (suffix > 0) suffix--;
  }
  if (prefix === 0 && suffix === 0) return `${before} -> ${after}`;
  const middle = (w: string[]) => w.slice(prefix, w.length - suffix).join(' ');
  return [...b.slice(0, prefix), middle(b), '->', middle(a), ...b.slice(b.length - suffix)].join(' ');
}

const hidden = (n: number) => `# (${n} unchanged condition${n === 1 ? '' : 's'} hidden)`;

/** The lines of one diff node and its children; `indent` is the column of its change marker. */
export function conditionDiffLines(d: ConditionDiff, indent: number, paint: Paint = plain): string[] {
  if (d.action === 'unchanged') return [`${' '.repeat(indent + 2)}${paint('dim', hidden(1))}`];
  const [symbol, style] = MARK[d.action];
  const text = d.action === 'add' ? d.after! : d.action === 'remove' ? d.before! : inlineChange(d.before!, d.after!);
  const out = [`${' '.repeat(indent)}${paint(style, symbol)} ${text}`];
  const childIndent = indent + 4;
  let folded = 0;
  const flush = () => {
    if (folded) out.push(`${' '.repeat(childIndent + 2)}${paint('dim', hidden(folded))}`);
    folded = 0;
  };
  for (const child of d.children) {
    if (child.action === 'unchanged') {
      folded++;
      continue;
    }
    flush();
    out.push(...conditionDiffLines(child, childIndent, paint));
  }
  flush();
  return out;
}

/** An audience's `condition` as a nested block of a resource change, at the attributes' indent. */
export function conditionBlockLines(d: ConditionDiff, indent: number, paint: Paint = plain): string[] {
  const [symbol, style] = MARK[d.action === 'unchanged' ? 'change' : d.action];
  return [
    `${' '.repeat(indent)}${paint(style, symbol)} condition {`,
    ...conditionDiffLines(d, indent + 4, paint),
    `${' '.repeat(indent + 2)}}`,
  ];
}
