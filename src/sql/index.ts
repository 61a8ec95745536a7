export type { CompiledQuery } from '../dialect/printer.js';
export type { CompileContext, LinkedMembershipSource } from './context.js';
export { compileMembership, compileCount } from './membership.js';
export { compileEntityMatches, compileMembershipMatches, entityOccurrences, type EntityMatchOptions } from './entityMatches.js';
export { quoteIdent, quoteTable } from '../dialect/identifiers.js';
export { ConditionCompiler, type RelatedRows, type Scope } from './compiler.js';
