import type { GraphIndex } from '../model/graph-index.js';
import { LinkedError } from '../model/errors.js';
import type { Entity } from '../model/graph.js';
import { quoteIdent, quoteTable } from '../dialect/identifiers.js';
import type { Dialect } from '../dialect/dialect.js';

/** One relationship of a join chain: its alias in the SQL text and the entity it reaches. */
export interface ChainStep {
  relationship: string;
  entity: Entity;
  alias: string;
}

/**
 * The JOIN clauses that walk `path` (relationship slugs, each the child of the previous) starting
 * from `fromAlias`: the profile table when `path[0]` is a relationship of the profile, else the
 * entity of `path[0]`'s parent. Every identifier goes through quoteIdent/quoteTable (DESIGN D4).
 * Kept here, narrow, because activation only needs plain inner joins along one branch; the
 * condition compiler (src/sql) builds its own correlated forms.
 */
export function joinChain(
  dialect: Dialect,
  graph: GraphIndex,
  path: readonly string[],
  fromAlias: string,
  aliasPrefix: string,
): { sql: string; steps: ChainStep[] } {
  const q = (n: string) => quoteIdent(dialect, n);
  const parts: string[] = [];
  const steps: ChainStep[] = [];
  let parentAlias = fromAlias;
  path.forEach((slug, i) => {
    const rel = graph.relationship(slug);
    const entity = graph.entityOf(slug);
    if (!rel || !entity) {
      throw new LinkedError('ENRICH_UNKNOWN_RELATIONSHIP', `The relationship "${slug}" is not in the Data Graph.`);
    }
    const alias = `${aliasPrefix}${i}`;
    const table = `${quoteTable(dialect, entity.table)} ${q(alias)}`;
    const join = rel.join;
    if (join.type === 'profile') {
      parts.push(`JOIN ${table} ON ${q(parentAlias)}.${q(join.profileColumn)} = ${q(alias)}.${q(join.entityColumn)}`);
    } else if (join.type === 'entity') {
      parts.push(`JOIN ${table} ON ${q(parentAlias)}.${q(join.parentColumn)} = ${q(alias)}.${q(join.entityColumn)}`);
    } else {
      const j = `${alias}_j`;
      parts.push(
        `JOIN ${quoteTable(dialect, join.table)} ${q(j)} ON ${q(parentAlias)}.${q(join.parentColumn)} = ${q(j)}.${q(join.junctionParentColumn)}`,
        `JOIN ${table} ON ${q(j)}.${q(join.junctionEntityColumn)} = ${q(alias)}.${q(join.entityColumn)}`,
      );
    }
    steps.push({ relationship: slug, entity, alias });
    parentAlias = alias;
  });
  return { sql: parts.join('\n'), steps };
}

/** `CAST(alias.col AS VARCHAR)`: ids compare as text, as the outbox stores them. */
export function asText(dialect: Dialect, alias: string, column: string): string {
  return `CAST(${quoteIdent(dialect, alias)}.${quoteIdent(dialect, column)} AS VARCHAR)`;
}

/** `?, ?, ?` for an IN list of n bound values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
