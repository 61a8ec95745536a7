import type { Condition } from '../model/condition.js';
import { countStar, select, type Query, type Select } from '../dialect/ast.js';
import { printSql, type CompiledQuery } from '../dialect/printer.js';
import { ConditionCompiler } from './compiler.js';
import type { CompileContext } from './context.js';

/** The audience's members: one VARCHAR column `profile_id`, distinct. */
export function compileMembership(condition: Condition, ctx: CompileContext): CompiledQuery {
  return printSql(ctx.dialect, membershipQuery(condition, ctx));
}

/** compileMembership as AST. */
export function membershipQuery(condition: Condition, ctx: CompileContext): Select {
  return new ConditionCompiler(ctx).membershipSelect(condition, 'p');
}

/** The number of rows of `query`, as column `n`. */
export function countQuery(query: Query): Select {
  return select({ n: countStar }, { from: { kind: 'derived', query, alias: 'q' } });
}

/** The count of a query's rows (preview counts). */
export function compileCount(query: Query, ctx: Pick<CompileContext, 'dialect'>): CompiledQuery {
  return printSql(ctx.dialect, countQuery(query));
}
