export type { CompiledQuery } from '../dialect/printer.js';
export { EVENTS_JOIN, compileContext, type CompileContext, type ContextSource, type LinkedMembershipSource } from './context.js';
export { compileMembership, compileCount, countQuery, membershipQuery } from './membership.js';
export {
  compileEntityMatches,
  compileMembershipMatches,
  entityMatchesQuery,
  entityOccurrences,
  membershipMatchesQuery,
  type EntityMatchOptions,
} from './entityMatches.js';
export { quoteIdent, quoteTable } from '../dialect/identifiers.js';
export { ConditionCompiler, type RelatedRows, type Scope } from './compiler.js';
export { hasProfileId, otherCaseProfileIdsQuery, repeatedKeyQuery, repeatedKeyText, repeatedProfileIdQuery } from './profile-id.js';
