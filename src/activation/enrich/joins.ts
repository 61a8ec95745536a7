import type { Dialect } from '../../dialect/dialect.js';
import { compare, type Join } from '../../dialect/ast.js';
import { LinkedError } from '../../model/errors.js';
import type { DataGraph } from '../../model/graph.js';
import { ConditionCompiler, type Scope } from '../../sql/index.js';

/** The joins down a path of relationships and the alias of each level's entity row. */
export interface JoinedPath {
  joins: Join[];
  /** Per relationship of the path, the alias of its entity row. */
  aliases: string[];
  /** Per relationship of the path, the alias of its junction row (many-to-many only). */
  junctions: (string | undefined)[];
}

/**
 * Joins along relationship paths for enrichment, made by the condition compiler's `relatedRows`:
 * the one place that knows how a relationship's rows join their parent (profile key, entity key,
 * or a junction table). Enrichment walks plain inner joins along one branch; it compiles no
 * condition, so the compiler's context holds no audiences.
 */
export class PathJoins {
  private readonly compiler: ConditionCompiler;

  constructor(dialect: Dialect, graph: DataGraph, castJoins: readonly string[] = []) {
    this.compiler = new ConditionCompiler({
      dialect,
      graph,
      castJoins: new Set(castJoins),
      classicAudiences: [],
      linkedAudience: (key) => {
        throw new LinkedError('INVALID_CONDITION', `Enrichment compiles no audience condition (asked for "${key}").`);
      },
      now: new Date(0),
    });
  }

  /** From the profile row aliased `profileAlias` down `path` (its first relationship a profile's). */
  fromProfile(profileAlias: string, path: readonly string[]): JoinedPath {
    return this.walk({ profile: profileAlias, entities: new Map(), relationship: null }, path);
  }

  /** From the row of the entity of relationship `slug`, aliased `alias`, down `path` (below it). */
  fromEntity(slug: string, alias: string, path: readonly string[]): JoinedPath {
    return this.walk({ profile: alias, entities: new Map([[slug, alias]]), relationship: slug }, path);
  }

  private walk(scope: Scope, path: readonly string[]): JoinedPath {
    const joins: Join[] = [];
    const aliases: string[] = [];
    const junctions: (string | undefined)[] = [];
    for (const slug of path) {
      const rows = this.compiler.relatedRows(slug, scope);
      joins.push({ from: rows.from, on: compare('=', rows.parentKey, rows.childKey) }, ...rows.joins);
      aliases.push(rows.alias);
      junctions.push(rows.junction);
      scope = this.compiler.childScope(scope, slug, rows.alias, rows.junction);
    }
    return { joins, aliases, junctions };
  }
}
