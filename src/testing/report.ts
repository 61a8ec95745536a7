import type { EntityPair, TestFailure, TestResult } from './run.js';

/*
 * A test run as a person reads it (one line per test, then each failure with what was expected
 * and what the audience selected), as JSON, and as JUnit XML for CI systems that show test results.
 */

export interface TestSummary {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  durationMs: number;
}

export function summarize(results: readonly TestResult[], durationMs: number): TestSummary {
  const count = (s: TestResult['status']) => results.filter((r) => r.status === s).length;
  return { total: results.length, passed: count('passed'), failed: count('failed'), errors: count('error'), durationMs };
}

export interface TextOptions {
  color?: boolean;
  /** Print the audience's membership SQL under each failure. */
  sql?: boolean;
}

const ANSI = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

const ids = (list: readonly string[], max = 20) => (list.length === 0 ? '(none)' : list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`);
const pairs = (list: readonly EntityPair[]) => ids(list.map((p) => `${p.profile} → ${p.entity}`));
const ms = (n: number) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);
const where = (r: TestResult) => (r.source ? `${r.source.file}:${r.source.line}` : undefined);

export function renderText(results: readonly TestResult[], summary: TestSummary, options: TextOptions = {}): string {
  const paint = (style: keyof typeof ANSI, s: string) => (options.color ? `\u001b[${ANSI[style]}m${s}\u001b[0m` : s);
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.status === 'passed' ? paint('green', 'PASS') : r.status === 'failed' ? paint('red', 'FAIL') : paint('yellow', 'ERROR');
    lines.push(`${mark} ${r.stack} › ${r.name} ${paint('dim', `(audience ${r.audience}, ${ms(r.durationMs)})`)}`);
  }
  const broken = results.filter((r) => r.status !== 'passed');
  for (const r of broken) {
    lines.push('', paint('bold', `● ${r.stack} › ${r.name}`));
    if (where(r)) lines.push(`  declared at ${where(r)}`);
    lines.push(`  audience ${r.audience}, now ${r.now}`);
    if (r.error) lines.push(...`${r.error.code}: ${r.error.message}`.split('\n').map((l) => `  ${paint('yellow', l)}`));
    for (const f of r.failures) lines.push(...describeFailure(f, paint));
    if (options.sql && r.sql) {
      lines.push('  membership SQL:', ...r.sql.text.split('\n').map((l) => `    ${l}`));
      if (r.sql.params.length > 0) lines.push(`  bound values: ${JSON.stringify(r.sql.params)}`);
    }
  }
  const parts = [
    summary.failed > 0 ? paint('red', `${summary.failed} failed`) : undefined,
    summary.errors > 0 ? paint('yellow', `${summary.errors} errored`) : undefined,
    paint('green', `${summary.passed} passed`),
  ].filter((p) => p !== undefined);
  lines.push('', `Tests: ${parts.join(', ')}, ${summary.total} total (${ms(summary.durationMs)})`);
  return lines.join('\n') + '\n';
}

function describeFailure(f: TestFailure, paint: (style: keyof typeof ANSI, s: string) => string): string[] {
  switch (f.kind) {
    case 'members':
      return [
        '  members differ:',
        `    expected: ${ids(f.expected)}`,
        `    actual:   ${ids(f.actual)}`,
        ...(f.missing.length ? [paint('red', `    - missing (expected in, selected out): ${ids(f.missing)}`)] : []),
        ...(f.unexpected.length ? [paint('red', `    + unexpected (expected out, selected in): ${ids(f.unexpected)}`)] : []),
      ];
    case 'includes':
      return [paint('red', `  expected to include, but not selected: ${ids(f.missing)}`)];
    case 'excludes':
      return [paint('red', `  expected to exclude, but selected: ${ids(f.unexpected)}`)];
    case 'entityMatches':
      return [
        `  entity matches along ${f.path} differ:`,
        ...(f.missing.length ? [paint('red', `    - missing: ${pairs(f.missing)}`)] : []),
        ...(f.unexpected.length ? [paint('red', `    + unexpected: ${pairs(f.unexpected)}`)] : []),
      ];
  }
}

export function toJson(results: readonly TestResult[], summary: TestSummary) {
  return { ok: summary.failed === 0 && summary.errors === 0, summary, tests: results };
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The start of the report's root element: what tells a `--junit` report of `linked test` from other XML. */
const JUNIT_ROOT = '<testsuites name="linked test"';

/** True when a file's first bytes are those of a report `renderJUnit` wrote. */
export const isJUnitReportHead = (head: string): boolean => head.startsWith('<?xml') && head.slice(0, 100).includes(JUNIT_ROOT);

/** JUnit XML: one testsuite per stack, one testcase per test; failures and errors carry the text report. */
export function renderJUnit(results: readonly TestResult[], summary: TestSummary): string {
  const stacks = [...new Set(results.map((r) => r.stack))];
  const suites = stacks.map((stack) => {
    const mine = results.filter((r) => r.stack === stack);
    const seconds = (n: number) => (n / 1000).toFixed(3);
    const cases = mine.map((r) => {
      const attrs = `name="${xml(r.name)}" classname="${xml(`${stack}.${r.audience}`)}" time="${seconds(r.durationMs)}"${r.source ? ` file="${xml(r.source.file)}" line="${r.source.line}"` : ''}`;
      if (r.status === 'passed') return `    <testcase ${attrs}/>`;
      const detail = renderText([r], summarize([r], r.durationMs)).trim();
      const tag = r.status === 'failed' ? 'failure' : 'error';
      const message = r.error ? r.error.message.split('\n')[0] : r.failures.map((f) => f.kind).join(', ') + ' differ';
      return `    <testcase ${attrs}>\n      <${tag} message="${xml(message)}">${xml(detail)}</${tag}>\n    </testcase>`;
    });
    const failed = mine.filter((r) => r.status === 'failed').length;
    const errors = mine.filter((r) => r.status === 'error').length;
    const time = seconds(mine.reduce((n, r) => n + r.durationMs, 0));
    return `  <testsuite name="${xml(stack)}" tests="${mine.length}" failures="${failed}" errors="${errors}" time="${time}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const head = `${JUNIT_ROOT} tests="${summary.total}" failures="${summary.failed}" errors="${summary.errors}" time="${(summary.durationMs / 1000).toFixed(3)}">`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${head}\n${suites.join('\n')}\n</testsuites>\n`;
}
