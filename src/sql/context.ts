import type { StateTableName } from '../dialect/ast.js';
import type { ClassicAudience } from '../model/audience.js';
import type { Condition } from '../model/condition.js';
import type { DataGraph } from '../model/graph.js';
import type { Dialect } from '../dialect/dialect.js';

/** Where the members of a linked audience referenced by "part of" come from. */
export type LinkedMembershipSource =
  /** `table`: a state table with columns audience_key VARCHAR, profile_id VARCHAR. */
  | { kind: 'snapshot'; table: StateTableName; audienceKey: string }
  /** No snapshot yet: the audience's own condition is compiled in place. */
  | { kind: 'inline'; condition: Condition };

export interface CompileContext {
  dialect: Dialect;
  graph: DataGraph;
  classicAudiences: ClassicAudience[];
  /** The compute layer passes its snapshot table once one exists. */
  linkedAudience(key: string): LinkedMembershipSource;
  /** Bound as a parameter: relative windows count from it, so runs and tests are reproducible. */
  now: Date;
}
