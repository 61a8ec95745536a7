import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AudienceTestsFile, TESTS_FILE, type AudienceTestSpec } from '../model/audience-test.js';
import { LinkedError } from '../model/errors.js';
import { formatPath, parseWithProblems } from '../model/problems.js';
import { listStacks } from '../manifest/load.js';

/** A stack's tests, read from linked-tests.json beside its cdk.tf.json; none when the stack declares none. */
export function loadAudienceTests(outDir: string, stack: string): AudienceTestSpec[] {
  const stackFile = listStacks(outDir).get(stack);
  if (!stackFile) throw new LinkedError('STACK_UNKNOWN', `No stack "${stack}" in ${outDir}; stacks: ${[...listStacks(outDir).keys()].join(', ')}.`);
  const file = join(dirname(stackFile), TESTS_FILE);
  if (!existsSync(file)) return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new LinkedError('TESTS_UNREADABLE', `Cannot read ${file}: ${(e as Error).message}. Run "linked synth" again.`);
  }
  const parsed = parseWithProblems(AudienceTestsFile, json);
  if (!parsed.ok) {
    const lines = parsed.problems.map((p) => `  ${formatPath(p.path)}: ${p.message}`);
    throw new LinkedError('TESTS_INVALID', `${file} is not a valid tests file:\n${lines.join('\n')}\nIt is written by synth: run "linked synth" again with this version of linked-audiences.`);
  }
  return parsed.value.tests;
}

/**
 * Whether a test is selected by a pattern: a substring of its name or its audience's key, or a
 * glob (`*` any text) over either. No pattern selects every test.
 */
export function matchesPattern(test: Pick<AudienceTestSpec, 'name' | 'audience'>, pattern: string | undefined): boolean {
  if (!pattern) return true;
  const candidates = [test.name, test.audience];
  if (!pattern.includes('*')) return candidates.some((c) => c.includes(pattern));
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return candidates.some((c) => re.test(c));
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
