import { ref, type Expr } from '../dialect/ast.js';

/** The named state columns, each selected under its own name. */
export function columns(names: readonly string[]): Record<string, Expr> {
  return Object.fromEntries(names.map((name) => [name, ref(name)]));
}
