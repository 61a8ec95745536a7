import type { StateTableName } from '../dialect/ast.js';
import type { ClassicAudience } from '../model/audience.js';
import type { Condition } from '../model/condition.js';
import type { DataGraph } from '../model/graph.js';
import type { Dialect } from '../dialect/dialect.js';

/**
 * The entry of `castJoins` for the events table's join to the profile (its profileKey to the
 * profile id). Not a slug (slugs start with a letter), so no relationship can take the name.
 */
export const EVENTS_JOIN = '@events';

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
  /**
   * Relationships joining an integer key to a string key, and EVENTS_JOIN when the events' profile
   * key and the profile id are of those two kinds: joined on both keys cast to text.
   */
  castJoins?: ReadonlySet<string>;
}

/** What a compile context is made from: one model (applied, synthesized, or one side of a plan). */
export interface ContextSource {
  dialect: Dialect;
  graph: DataGraph;
  classicAudiences: ClassicAudience[];
  now: Date;
  /** A linked audience's condition, and whether it computes (so has a snapshot); undefined when unknown. */
  audience(key: string): { condition: Condition; enabled: boolean } | undefined;
  /**
   * The snapshot table of computed audiences: "part of" an enabled audience reads its members
   * there. Omitted (nothing computed yet, as in preview and plan): every one is compiled inline.
   */
  snapshots?: StateTableName;
  /** The error for a "part of" an audience the model lacks. */
  unknownAudience(key: string): Error;
  /** Relationship slugs (and EVENTS_JOIN) whose keys differ in type (from the catalog: `castJoins` of src/graph). */
  castJoins?: readonly string[];
}

/** The one way a CompileContext is made. */
export function compileContext(source: ContextSource): CompileContext {
  return {
    dialect: source.dialect,
    graph: source.graph,
    classicAudiences: source.classicAudiences,
    now: source.now,
    castJoins: new Set(source.castJoins ?? []),
    linkedAudience(key) {
      const other = source.audience(key);
      if (!other) throw source.unknownAudience(key);
      return source.snapshots && other.enabled ? { kind: 'snapshot', table: source.snapshots, audienceKey: key } : { kind: 'inline', condition: other.condition };
    },
  };
}
