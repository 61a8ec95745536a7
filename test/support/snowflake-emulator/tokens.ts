/*
 * Snowflake SQL as tokens and parenthesized groups: the unit the translator rewrites. Strings are
 * unescaped here (Snowflake reads backslash escapes inside '…'; DuckDB does not), quoted
 * identifiers are kept as written, unquoted words are left for the translator to classify.
 */
import { syntaxError } from './errors.js';

export type Token =
  | { readonly t: 'word'; readonly v: string }
  | { readonly t: 'qident'; readonly v: string }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly v: string }
  | { readonly t: 'param' }
  | { readonly t: 'op'; readonly v: string };

export type Node = Token | { readonly t: 'group'; readonly items: Node[] };

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' };
const OPERATORS = ['::', '<=', '>=', '<>', '!=', '||', '=>'];

function readQuoted(sql: string, start: number, quote: string, backslash: boolean): [string, number] {
  let out = '';
  let i = start + 1;
  for (;;) {
    if (i >= sql.length) throw syntaxError(`line 1 at position ${start} unexpected end of input: unterminated ${quote === '"' ? 'identifier' : 'string'}`);
    const ch = sql[i];
    if (backslash && ch === '\\' && i + 1 < sql.length) {
      out += ESCAPES[sql[i + 1]] ?? sql[i + 1];
      i += 2;
    } else if (ch === quote) {
      if (sql[i + 1] === quote) {
        out += quote;
        i += 2;
      } else return [out, i + 1];
    } else {
      out += ch;
      i++;
    }
  }
}

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const rest = sql.slice(i);
    if (/\s/.test(ch)) {
      i++;
    } else if (rest.startsWith('--') || rest.startsWith('//')) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw syntaxError('unterminated comment');
      i = end + 2;
    } else if (ch === '"') {
      const [v, next] = readQuoted(sql, i, '"', false);
      if (v.length === 0) throw syntaxError(`line 1 at position ${i}: empty identifier`);
      tokens.push({ t: 'qident', v });
      i = next;
    } else if (ch === "'") {
      const [v, next] = readQuoted(sql, i, "'", true);
      tokens.push({ t: 'string', v });
      i = next;
    } else if (rest.startsWith('$$')) {
      const end = sql.indexOf('$$', i + 2);
      if (end < 0) throw syntaxError('unterminated $$ string');
      tokens.push({ t: 'string', v: sql.slice(i + 2, end) });
      i = end + 2;
    } else if (ch === '?') {
      tokens.push({ t: 'param' });
      i++;
    } else if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest)!;
      tokens.push({ t: 'number', v: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest)!;
      tokens.push({ t: 'word', v: m[0] });
      i += m[0].length;
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o)) ?? ch;
      tokens.push({ t: 'op', v: op });
      i += op.length;
    }
  }
  return tokens;
}

/** Nests the tokens by parentheses. */
export function group(tokens: Token[]): Node[] {
  const stack: Node[][] = [[]];
  for (const tok of tokens) {
    if (tok.t === 'op' && tok.v === '(') {
      stack.push([]);
    } else if (tok.t === 'op' && tok.v === ')') {
      const items = stack.pop()!;
      if (stack.length === 0) throw syntaxError("unexpected ')'");
      stack[stack.length - 1].push({ t: 'group', items });
    } else {
      stack[stack.length - 1].push(tok);
    }
  }
  if (stack.length !== 1) throw syntaxError("unexpected end of statement: missing ')'");
  return stack[0];
}

/** Splits a list at its top-level commas. */
export function splitCommas(nodes: readonly Node[]): Node[][] {
  const parts: Node[][] = [[]];
  for (const n of nodes) {
    if (n.t === 'op' && n.v === ',') parts.push([]);
    else parts[parts.length - 1].push(n);
  }
  return nodes.length === 0 ? [] : parts;
}

export function isWord(n: Node | undefined, ...words: string[]): boolean {
  return n?.t === 'word' && (words.length === 0 || words.includes(n.v.toUpperCase()));
}

export function isOp(n: Node | undefined, op: string): boolean {
  return n?.t === 'op' && n.v === op;
}
