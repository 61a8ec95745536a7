import { cannotApplyLine } from './render-diagnostics.js';
import { diagnosticLine, disabledImpactNote, impactAudience, impactRows, resourceChangeLines, summaryLine } from './render-text.js';
import type { Plan, ResourceChange } from './types.js';
import { printable } from '../model/printable.js';

const EMOJI: Record<ResourceChange['action'], string> = { create: '🟢', update: '🟡', replace: '🟣', delete: '🔴', 'no-op': '⚪' };

/** Keeps a value from closing a fenced block early. */
export const fenceSafe = (s: string) => s.replace(/```/g, '`\u200b``');

/** Text for one table cell or list item: a line break or a `|` in it would end the cell or the row early. */
export const markdownCell = (s: string) => s.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');

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

export interface MarkdownOptions {
  /**
   * What the footer names the plan by. `plan` (default): its planHash, which a saved plan file and
   * the apply log carry. `inputs`: the manifest and state it was made from, which stay the same
   * when the same code is planned again against the same state; the planHash does not (it covers
   * `createdAt`), so a comment kept up to date by comparing bodies must not show it.
   */
  identifyBy?: 'plan' | 'inputs';
}

/**
 * The plan for a PR comment: a summary table a reviewer scans, then the Terraform-like diff in a
 * ```diff block (GitHub colours its + and - lines). Secrets print as (sensitive), as in the terminal.
 * It quotes values read from the state, which others applied, and is printed to terminals and CI
 * logs as well: what would steer a terminal is written as its escape.
 */
export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const out: string[] = [`### linked plan: \`${plan.stack}\``, ''];
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  if (plan.diagnostics.length) {
    for (const d of plan.diagnostics) out.push(`- ${d.severity === 'error' ? '❌' : '⚠️'} ${markdownCell(diagnosticLine(d))}`);
    out.push('');
  }
  const actionable = plan.changes.filter((c) => c.action !== 'no-op');
  if (actionable.length === 0) {
    out.push(`No changes: stack \`${plan.stack}\` matches the applied state.`);
  } else {
    out.push(`**${summaryLine(plan.summary)}**`, '', '| | Resource | Action | Notes |', '|---|---|---|---|');
    for (const c of actionable) {
      const declared = c.constructPath ? ` <sub>${markdownCell(c.constructPath)}</sub>` : '';
      out.push(`| ${EMOJI[c.action]} | \`${c.address}\`${declared} | ${c.action} | ${markdownCell(c.notes.join('; '))} |`);
    }
    out.push('', '<details><summary>Details</summary>', '', '```diff');
    for (const c of actionable) out.push(...resourceChangeLines(c).map((l) => diffMarkerLine(fenceSafe(l))), '');
    out.push('```', '', '</details>');
  }
  if (plan.impact?.length) {
    out.push('', '**Impact** (counted in the warehouse when the plan was made)', '', '| Audience | Current | New | Entering | Exiting |', '|---|---:|---:|---:|---:|');
    const code = (key: string) => `\`${key}\``;
    for (const i of plan.impact) {
      const [, ...counts] = impactRows([i])[0];
      out.push(`| ${impactAudience(i, code)} | ${counts.join(' | ')} |`);
    }
    const disabled = disabledImpactNote(plan.impact, code);
    if (disabled) out.push('', disabled);
  }
  if (errors.length) out.push('', `**${markdownCell(cannotApplyLine(plan.diagnostics))}**`);
  const identity = options.identifyBy === 'inputs' ? `manifest ${plan.manifestHash.slice(0, 12)}` : `plan ${plan.planHash.slice(0, 12)}`;
  out.push('', `<sub>${identity} · state ${plan.stateHash.slice(0, 12)}</sub>`);
  return printable(out.join('\n') + '\n');
}
