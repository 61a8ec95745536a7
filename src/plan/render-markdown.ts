import { cannotApplyLine } from './render-diagnostics.js';
import { diagnosticLine, impactRows, resourceChangeLines, summaryLine } from './render-text.js';
import type { Plan, ResourceChange } from './types.js';

const EMOJI: Record<ResourceChange['action'], string> = { create: '🟢', update: '🟡', replace: '🟣', delete: '🔴', 'no-op': '⚪' };

/** Keeps a value from closing a fenced block early. */
const fenceSafe = (s: string) => s.replace(/```/g, '`\u200b``');

/**
 * GitHub colours a ```diff line by its first character only: the change marker moves to column 0
 * (`~` becomes `!`, which GitHub shows as changed) and leaves a space where it was.
 */
export function diffMarkerLine(line: string): string {
  const i = line.search(/\S/);
  const marker = { '+': '+', '-': '-', '~': '!' }[line[i] as '+' | '-' | '~'];
  if (i <= 0 || !marker || line[i + 1] !== ' ') return line;
  return marker + line.slice(1, i) + ' ' + line.slice(i + 1);
}

/**
 * The plan for a PR comment: a summary table a reviewer scans, then the Terraform-like diff in a
 * ```diff block (GitHub colours its + and - lines). Secrets print as (sensitive), as in the terminal.
 */
export function renderPlanMarkdown(plan: Plan): string {
  const out: string[] = [`### linked plan: \`${plan.stack}\``, ''];
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  if (plan.diagnostics.length) {
    for (const d of plan.diagnostics) out.push(`- ${d.severity === 'error' ? '❌' : '⚠️'} ${diagnosticLine(d).replace(/\|/g, '\\|')}`);
    out.push('');
  }
  const actionable = plan.changes.filter((c) => c.action !== 'no-op');
  if (actionable.length === 0) {
    out.push(`No changes: stack \`${plan.stack}\` matches the applied state.`);
  } else {
    out.push(`**${summaryLine(plan.summary)}**`, '', '| | Resource | Action | Notes |', '|---|---|---|---|');
    for (const c of actionable) {
      const declared = c.constructPath ? ` <sub>${c.constructPath.replace(/\|/g, '\\|')}</sub>` : '';
      out.push(`| ${EMOJI[c.action]} | \`${c.address}\`${declared} | ${c.action} | ${c.notes.join('; ').replace(/\|/g, '\\|')} |`);
    }
    out.push('', '<details><summary>Details</summary>', '', '```diff');
    for (const c of actionable) out.push(...resourceChangeLines(c).map((l) => diffMarkerLine(fenceSafe(l))), '');
    out.push('```', '', '</details>');
  }
  if (plan.impact?.length) {
    out.push('', '**Impact** (counted in the warehouse when the plan was made)', '', '| Audience | Current | New | Entering | Exiting |', '|---|---:|---:|---:|---:|');
    for (const r of impactRows(plan.impact)) out.push(`| \`${r[0]}\` | ${r.slice(1).join(' | ')} |`);
  }
  if (errors.length) out.push('', `**${cannotApplyLine(plan.diagnostics).replace(/\|/g, '\\|')}**`);
  out.push('', `<sub>plan ${plan.planHash.slice(0, 12)} · state ${plan.stateHash.slice(0, 12)}</sub>`);
  return out.join('\n') + '\n';
}
