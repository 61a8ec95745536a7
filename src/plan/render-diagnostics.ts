import { printable } from '../model/printable.js';
import type { Diagnostic } from '../model/diagnostics.js';

/*
 * The errors and warnings of a plan once more, after it: a long plan prints them at its top,
 * where nobody looks once it has scrolled by. Written to stderr by the CLI, so a plan piped to a
 * file or a PR comment stays the plan.
 */

export interface DiagnosticSummaryOptions {
  color?: boolean;
  /** Model address -> construct path (from cdktf.out): where in the app to look. */
  constructPaths?: ReadonlyMap<string, string>;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Where a diagnostic points: its resource, the construct that declared it, the attribute. */
export function diagnosticWhere(d: Diagnostic, constructPaths?: ReadonlyMap<string, string>): string {
  const construct = d.resource ? constructPaths?.get(d.resource) : undefined;
  return [d.resource, construct && `construct ${construct}`, d.attribute && `at ${d.attribute}`].filter(Boolean).join(', ');
}

/** "2 errors, 1 warning" (an empty string when there are none). */
export function diagnosticCounts(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return [errors && plural(errors, 'error'), warnings && plural(warnings, 'warning')].filter(Boolean).join(', ');
}

/** The line that ends a plan that cannot be applied: it names every error. */
export function cannotApplyLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const named = errors.map((d) => (d.resource ? `${d.code} (${d.resource})` : d.code));
  return `This plan has ${plural(errors.length, 'error')} and cannot be applied: ${named.join(', ')}.`;
}

/**
 * Errors first, then warnings, one line each with the construct path, then whether the plan can
 * be applied. Empty when the plan has no diagnostics.
 */
export function renderDiagnosticSummary(plan: { diagnostics: readonly Diagnostic[]; applicable: boolean }, options: DiagnosticSummaryOptions = {}): string {
  const ds = plan.diagnostics;
  if (ds.length === 0) return '';
  const paint = (code: number, s: string) => (options.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const sorted = [...ds.filter((d) => d.severity === 'error'), ...ds.filter((d) => d.severity === 'warning')];
  const out = [paint(1, `Diagnostics: ${diagnosticCounts(ds)}`)];
  for (const d of sorted) {
    const where = diagnosticWhere(d, options.constructPaths);
    const label = d.severity === 'error' ? paint(31, 'Error') : paint(33, 'Warning');
    // A message can quote the warehouse (a column's name, an error): written safe for a terminal.
    out.push(`  ${label} ${printable(`[${d.code}]${where ? ` ${where}` : ''}: ${d.message}${d.hint ? ` ${d.hint}` : ''}`)}`);
  }
  if (!plan.applicable) out.push(paint(31, cannotApplyLine(ds)));
  return out.join('\n') + '\n';
}
