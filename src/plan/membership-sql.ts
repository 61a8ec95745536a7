import { LinkedError } from '../model/errors.js';
import { compileMembership } from '../sql/index.js';
import type { MembershipCompiler } from './impact.js';

/**
 * --impact's compiler: src/sql's compileMembership on one side of the plan. A "part of" condition
 * on another linked audience is compiled inline from that side's condition (not the compute
 * snapshot), so both sizes are evaluated on the same data at the same moment.
 */
export const compileMembershipForImpact: MembershipCompiler = (condition, side, wh) =>
  compileMembership(condition, {
    dialect: wh.dialect,
    graph: side.graph,
    classicAudiences: side.classicAudiences,
    now: side.now,
    linkedAudience: (key) => {
      const c = side.audiences.get(key);
      if (!c) throw new LinkedError('AUDIENCE_NOT_FOUND', `Audience ${key} is referenced but not declared.`);
      return { kind: 'inline', condition: c };
    },
  });
