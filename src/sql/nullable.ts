import { FALSE, coalesce, type Expr } from '../dialect/ast.js';

/**
 * Whether a predicate may evaluate to NULL. SQL's three-valued AND / OR treat NULL like FALSE as far
 * as a WHERE clause can tell, so only NOT needs care: NOT NULL is NULL, but the model's `not` is the
 * two-valued complement. Knowing which predicates can be NULL keeps COALESCE out of the common case
 * (EXISTS, IS NULL and counts are never NULL), which keeps the SQL plain for the planner.
 */
export function nullable(e: Expr): boolean {
  switch (e.kind) {
    case 'column':
    case 'inQuery':
    case 'fn':
    case 'window':
    case 'case':
    case 'arithmetic':
    case 'jsonText':
    case 'tryCast':
      return true;
    case 'param':
    case 'literal':
    case 'countStar':
    case 'isNull':
    case 'exists':
      return false;
    case 'keyword':
      return e.word === 'NULL';
    case 'compare':
      return nullable(e.left) || nullable(e.right);
    case 'and':
    case 'or':
      return e.items.some(nullable);
    case 'not':
      return nullable(e.expr);
    case 'inList':
      return nullable(e.expr) || e.list.some(nullable);
    case 'cast':
      return nullable(e.expr);
    case 'tuple':
      return e.items.some(nullable);
    case 'coalesce':
      return e.items.every(nullable);
    case 'stringTest':
      return nullable(e.text) || nullable(e.part);
    case 'addInterval':
      return nullable(e.timestamp) || nullable(e.amount);
    case 'scalarSubquery': {
      // An ungrouped COUNT(*) is never NULL (0 on no rows); any other scalar subquery may be.
      const q = e.query;
      return !(q.columns.length === 1 && 'expr' in q.columns[0] && q.columns[0].expr.kind === 'countStar' && !q.groupBy?.length);
    }
  }
}

/** The predicate with NULL read as FALSE. */
export const twoValued = (e: Expr): Expr => (nullable(e) ? coalesce(e, FALSE) : e);
