import type { Condition } from '../model/condition.js';
import { ConditionCompiler } from './compiler.js';
import type { CompileContext } from './context.js';
import { quoteIdent } from '../dialect/identifiers.js';
import { systemName } from '../dialect/dialect.js';
import { printerFor, type CompiledQuery } from '../dialect/printer.js';

/** The audience's members: one VARCHAR column `profile_id`, distinct. */
export function compileMembership(condition: Condition, ctx: CompileContext): CompiledQuery {
  const compiler = new ConditionCompiler(ctx);
  return printerFor(ctx.dialect).print(compiler.membershipSelect(condition, 'p'));
}

/** `SELECT COUNT(*) AS n` over a compiled query (preview counts). */
export function compileCount(q: CompiledQuery, ctx: Pick<CompileContext, 'dialect'>): CompiledQuery {
  const name = (s: string) => quoteIdent(ctx.dialect, systemName(ctx.dialect, s));
  return { sql: `SELECT COUNT(*) AS ${name('n')}\nFROM (\n${q.sql}\n) AS ${name('q')}`, params: [...q.params] };
}
