export type { CompiledQuery } from '../dialect/printer.js';
export { compileContext, type CompileContext, type ContextSource, type LinkedMembershipSource } from './context.js';
export { compileMembership, compileCount } from './membership.js';
export { compileEntityMatches, compileMembershipMatches, entityOccurrences, type EntityMatchOptions } from './entityMatches.js';
export { quoteIdent, quoteTable } from '../dialect/identifiers.js';
