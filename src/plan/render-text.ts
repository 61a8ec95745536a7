import { isSecretRef } from '../model/common.js';
import { printable, printableJson } from '../model/printable.js';
import type { Diagnostic } from '../model/diagnostics.js';
import { conditionBlockLines } from './render-condition.js';
import { cannotApplyLine } from './render-diagnostics.js';
import type { AttributeChange, AudienceImpact, Plan, PlanSummary, ResourceChange } from './types.js';

export interface TextRenderOptions {
  /** ANSI colours: only when writing to a TTY (the CLI decides, honouring NO_COLOR). */
  color?: boolean;
}

const ANSI = { green: 32, yellow: 33, red: 31, magenta: 35, bold: 1, dim: 2 } as const;
type Paint = (style: keyof typeof ANSI, s: string) => string;

const SYMBOL: Record<ResourceChange['action'], string> = { create: '+', update: '~', replace: '-/+', delete: '-', 'no-op': ' ' };
const STYLE: Record<ResourceChange['action'], keyof typeof ANSI> = { create: 'green', update: 'yellow', replace: 'magenta', delete: 'red', 'no-op': 'dim' };
const HEADLINE: Record<ResourceChange['action'], string> = {
  create: 'will be created',
  update: 'will be updated in place',
  replace: 'must be replaced',
  delete: 'will be destroyed',
  'no-op': 'is unchanged',
};

/**
 * A value as the plan prints it: JSON for scalars and containers, `(sensitive)` for a secret. The
 * value before a change is read from the state, which others applied: JSON escapes the C0 controls,
 * printableJson the rest a terminal acts on (DEL, C1, bidirectional controls).
 */
export function formatValue(v: unknown, sensitive: boolean): string {
  if (sensitive) return '(sensitive)';
  return v === undefined ? 'null' : printableJson(v);
}

function attributeLine(a: AttributeChange, paint: Paint): string {
  const symbol = a.action === 'add' ? '+' : a.action === 'remove' ? '-' : '~';
  const style = a.action === 'add' ? 'green' : a.action === 'remove' ? 'red' : 'yellow';
  const value =
    a.action === 'add'
      ? formatValue(a.after, a.sensitive)
      : a.action === 'remove'
        ? formatValue(a.before, a.sensitive)
        : `${formatValue(a.before, a.sensitive)} -> ${formatValue(a.after, a.sensitive)}`;
  const forces = a.forcesReplacement ? paint('red', ' # forces replacement') : '';
  return `      ${paint(style, symbol)} ${a.path} = ${value}${forces}`;
}

const isConditionAttribute = (a: AttributeChange) => a.path === 'condition' || a.path.startsWith('condition.');

/**
 * The lines of one resource change, Terraform-like. Shared by the terminal, markdown and audit
 * renderers. An audience's condition shows as the readable tree of its diff, in place of its
 * `condition.*` attributes.
 */
export function resourceChangeLines(
  c: Pick<ResourceChange, 'address' | 'kind' | 'key' | 'action' | 'attributes' | 'replaces' | 'notes' | 'conditionDiff' | 'constructPath'>,
  paint: Paint = (_s, t) => t,
): string[] {
  const declared = c.constructPath ? ` ${paint('dim', `(${c.constructPath})`)}` : '';
  const lines = [`  ${paint('bold', `# ${c.address}`)}${declared} ${HEADLINE[c.action]}${c.replaces ? ` (replaces ${c.kind}.${c.replaces})` : ''}`];
  const symbol = SYMBOL[c.action].padStart(3);
  lines.push(`${paint(STYLE[c.action], symbol)} ${c.kind} "${c.key}" {`);
  let conditionShown = false;
  for (const a of c.attributes) {
    if (c.conditionDiff && isConditionAttribute(a)) {
      if (!conditionShown) lines.push(...conditionBlockLines(c.conditionDiff, 6, paint));
      conditionShown = true;
      continue;
    }
    lines.push(attributeLine(a, paint));
  }
  lines.push('    }');
  for (const n of c.notes) lines.push(`    ${paint('dim', `# ${n}`)}`);
  return lines;
}

export function summaryLine(s: PlanSummary): string {
  return `Plan: ${s.create} to add, ${s.update} to change, ${s.replace} to replace, ${s.delete} to destroy.`;
}

/** A diagnostic in one line, safe for a terminal: its message can quote the warehouse (a column's name, an error). */
export function diagnosticLine(d: Diagnostic): string {
  const where = [d.resource, d.attribute].filter(Boolean).join(' ');
  return printable(`${d.severity === 'error' ? 'Error' : 'Warning'} [${d.code}]: ${d.message}${where ? ` (${where})` : ''}${d.hint ? ` ${d.hint}` : ''}`);
}

/**
 * An impact row's audience: its key, for one whose own condition is unchanged the changed audiences
 * that move it, and whether it is disabled. `code` writes a key (markdown: as code).
 */
export function impactAudience(i: AudienceImpact, code: (key: string) => string = (k) => k): string {
  const marks = [...(i.through ? [`through ${i.through.map(code).join(', ')}`] : []), ...(i.disabled ? ['disabled'] : [])];
  return marks.length ? `${code(i.key)} (${marks.join('; ')})` : code(i.key);
}

/** What the disabled rows of an impact table mean, or undefined when there is none: their counts are no movement on apply. */
export function disabledImpactNote(impact: readonly AudienceImpact[], code: (key: string) => string = (k) => k): string | undefined {
  const disabled = impact.filter((i) => i.disabled && !i.error);
  if (disabled.length === 0) return undefined;
  return `Disabled (${disabled.map((i) => code(i.key)).join(', ')}): not computed until enabled, so nobody enters or exits them on apply; their counts are what their conditions hold now.`;
}

export function impactRows(impact: readonly AudienceImpact[]): string[][] {
  return impact.map((i) =>
    i.error
      ? [impactAudience(i), '?', '?', '?', '?']
      : [impactAudience(i), i.currentSize === null ? '-' : String(i.currentSize), String(i.newSize), `+${i.entering}`, `-${i.exiting}`],
  );
}

/** The whole plan for a terminal. Without colour the text is stable (golden-tested). */
export function renderPlanText(plan: Plan, options: TextRenderOptions = {}): string {
  const paint: Paint = options.color ? (style, s) => `\u001b[${ANSI[style]}m${s}\u001b[0m` : (_style, s) => s;
  const out: string[] = [];
  for (const d of plan.diagnostics) out.push(paint(d.severity === 'error' ? 'red' : 'yellow', diagnosticLine(d)));
  if (plan.diagnostics.length) out.push('');
  const actionable = plan.changes.filter((c) => c.action !== 'no-op');
  if (actionable.length === 0) {
    out.push(`No changes. Stack "${plan.stack}" matches the applied state.`);
  } else {
    out.push(`Stack "${plan.stack}": linked will perform the following actions:`, '');
    for (const c of actionable) out.push(...resourceChangeLines(c, paint), '');
    out.push(paint('bold', summaryLine(plan.summary)));
  }
  if (plan.impact?.length) {
    out.push('', 'Impact (counted in the warehouse now):');
    const header = ['audience', 'current', 'new', 'entering', 'exiting'];
    const rows = impactRows(plan.impact);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [header, ...rows]) out.push('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    const disabled = disabledImpactNote(plan.impact);
    if (disabled) out.push(`  ${disabled}`);
    // The warehouse's own error message.
    for (const i of plan.impact.filter((x) => x.error)) out.push(printable(`  ${i.key}: ${i.error}`));
  }
  if (!plan.applicable) out.push('', paint('red', cannotApplyLine(plan.diagnostics)));
  return out.join('\n') + '\n';
}

/** A spec for display: every secret reference replaced by "(sensitive)". */
export function maskSecrets(value: unknown): unknown {
  if (isSecretRef(value)) return '(sensitive)';
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
  return value;
}
