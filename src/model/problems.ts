import type { z } from 'zod';

/*
 * zod issues -> "attribute: message" lines a person can act on. Shared by the constructs (which
 * prefix the construct path) and the loader (which prefixes the resource address), so a mistake
 * reads the same wherever it is caught. Messages never quote the offending value: it may be a
 * secret pasted where a reference belongs.
 */

export type PathSegment = string | number;

export interface Problem {
  path: PathSegment[];
  message: string;
}

/** `condition.conditions[1].value` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/** Validates and explains: the parsed value, or the problems with their paths. */
export function parseWithProblems<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; value: z.output<S> } | { ok: false; problems: Problem[] } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  const problems = r.error.issues.flatMap((issue) => explain(issue, [], input));
  return { ok: false, problems: problems.map((p) => refineSecret(schema, input, p)) };
}

function explain(issue: Issue, prefix: PathSegment[], input: unknown): Problem[] {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const types = sameLevelTypeMismatch(issue.errors);
    if (types) return [{ path, message: withOperator(`expected ${types.expected.join(' or ')}, received ${types.received}`, path, input) }];
    return bestBranch(issue.errors).flatMap((i) => explain(i, path, input));
  }
  // A schema's own message for a wrong type (zod's own start "Invalid input") says more than the types.
  if (issue.code === 'invalid_type') return [{ path, message: withOperator(issue.message.startsWith('Invalid input') ? plainTypeMessage(issue) : issue.message, path, input) }];
  return [{ path, message: withOperator(issue.message, path, input) }];
}

/** A union of scalar types that all failed on the value itself: one "expected a or b" line. */
function sameLevelTypeMismatch(branches: Issue[][]): { expected: string[]; received: string } | undefined {
  const expected: string[] = [];
  let received: string | undefined;
  for (const branch of branches) {
    if (branch.length !== 1) return undefined;
    const i = branch[0];
    if (i.code !== 'invalid_type' || i.path.length > 0) return undefined;
    expected.push(i.expected);
    received = receivedOf(i);
  }
  return received ? { expected: [...new Set(expected)], received } : undefined;
}

function receivedOf(i: Issue): string | undefined {
  return /received (\w+)/.exec(i.message)?.[1];
}

function plainTypeMessage(i: Extract<Issue, { code: 'invalid_type' }>): string {
  const received = receivedOf(i);
  return received === 'undefined' ? `is required (expected ${i.expected})` : `expected ${i.expected}, received ${received ?? 'another type'}`;
}

/**
 * The union branch the user most likely meant: the one without unknown or missing keys (those
 * mean "a different shape"), then the one that got deepest, then the one with fewest issues.
 */
function bestBranch(branches: Issue[][]): Issue[] {
  const wrongShape = (b: Issue[]) =>
    b.filter((i) => i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && receivedOf(i) === 'undefined')).length;
  const depth = (b: Issue[]) => Math.max(0, ...b.map((i) => i.path.length));
  return [...branches].sort((a, b) => wrongShape(a) - wrongShape(b) || depth(b) - depth(a) || a.length - b.length)[0];
}

/** A wrong comparison value says which operator it is wrong for. */
function withOperator(message: string, path: PathSegment[], input: unknown): string {
  const at = path.lastIndexOf('value');
  if (at < 0) return message;
  const owner = valueAt(input, path.slice(0, at));
  const operator = owner && typeof owner === 'object' ? (owner as Record<string, unknown>).operator : undefined;
  if (typeof operator !== 'string') return message;
  // An ordered comparison takes a number or a date; zod only reports the date half of that union.
  const ordered = ['lt', 'lte', 'gt', 'gte'].includes(operator) && /ISO-8601/.test(message);
  return `${ordered ? 'expected a number or an ISO-8601 date or timestamp' : message} (for operator "${operator}")`;
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = input;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PathSegment, unknown>)[seg];
  }
  return cur;
}

function withValueAt(input: unknown, path: readonly PathSegment[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(input) ? [...input] : { ...(input as object) }) as Record<PathSegment, unknown>;
  copy[head] = withValueAt(copy[head], rest, value);
  return copy;
}

/**
 * A plain string where the schema wants a secret reference: say so. Decided by probing (a
 * reference in that place makes the problem go away), so no list of secret fields is kept here.
 */
function refineSecret(schema: z.ZodType, input: unknown, p: Problem): Problem {
  if (typeof valueAt(input, p.path) !== 'string' || !/expected object/.test(p.message)) return p;
  const probed = schema.safeParse(withValueAt(input, p.path, { secret: 'PROBE' }));
  const stillThere = !probed.success && probed.error.issues.some((i) => formatPath(i.path as PathSegment[]).startsWith(formatPath(p.path)));
  if (stillThere) return p;
  return { path: p.path, message: `a secret reference is required, not a plain string: use secret('ENV_VAR_NAME') and set the value in the environment` };
}
