export type { CompiledQuery } from './printer.js';
export type { CompileContext, LinkedMembershipSource } from './context.js';
export { compileMembership, compileCount } from './membership.js';
export { compileEntityMatches, compileMembershipMatches, entityOccurrences, type EntityMatchOptions } from './entityMatches.js';
export { quoteIdent, quoteTable } from './identifiers.js';
