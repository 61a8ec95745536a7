import { ref, type Expr } from '../dialect/ast.js';

/** `SELECT a, b, c`: each state column under its own name. */
export function columns(names: readonly string[]): Record<string, Expr> {
  return Object.fromEntries(names.map((name) => [name, ref(name)]));
}
