import { and, cast, col, compare, countStar, fn, isNotNull, lit, param, select, table, type Expr, type Select } from '../dialect/ast.js';
import type { DataGraph } from '../model/graph.js';

/**
 * Whether a profile row has an id, and so can be a member. NULL is no id, and neither is empty
 * text: events would go to `userId ""`, which no destination can attribute to anyone. Compared as
 * text, so an id of any type reads the same way (docs/conditions.md, NULL semantics).
 */
export const hasProfileId = (id: Expr): Expr => and(isNotNull(id), compare('<>', cast(id, 'VARCHAR'), param('')));

/**
 * One key that more than one row of `tableRef` holds, its columns as text in key order;
 * no row when the key is unique. Rows without a key (`hasKey`; by default a NULL in any column)
 * are not keyed and never repeat. Stops at the first repeat the warehouse finds.
 */
export function repeatedKeyQuery(tableRef: string, key: readonly string[], hasKey: (columns: Expr[]) => Expr = (k) => and(...k.map(isNotNull))): Select {
  const k = key.map((c) => col('t', c));
  return select(
    k.map((expr, i) => ({ expr: cast(expr, 'VARCHAR'), as: `k${i}` })),
    { from: table(tableRef, 't'), where: hasKey(k), groupBy: k, having: compare('>', countStar, lit(1)), limit: 1 },
  );
}

/** A repeated key as `repeatedKeyQuery` found it, in words: `More than one row of main.profiles has user_id "u1".` */
export const repeatedKeyText = (tableRef: string, key: readonly string[], values: readonly unknown[]): string =>
  `More than one row of ${tableRef} has ${key.map((k, i) => `${k} ${JSON.stringify(String(values[i]))}`).join(', ')}.`;

/** Whether a profile row's key (its one id column) is a key at all: `repeatedKeyQuery`'s `hasKey` for the profile table. */
export const hasProfileKey = ([id]: Expr[]): Expr => hasProfileId(id!);

/** One profile id that more than one profile row holds (rows without an id aside); no row when ids are unique. */
export const repeatedProfileIdQuery = (graph: Pick<DataGraph, 'profile'>): Select => repeatedKeyQuery(graph.profile.table, [graph.profile.id], hasProfileKey);

/**
 * Profile ids (as text, at most `limit`) that differ from `id` in letter case only: ids compare
 * exactly, so `alfki` finds no profile where `ALFKI` is one, and an id not found names them.
 */
export function otherCaseProfileIdsQuery(graph: Pick<DataGraph, 'profile'>, id: string, limit = 3): Select {
  const pid = cast(col('p', graph.profile.id), 'VARCHAR');
  return select({ id: pid }, { distinct: true, from: table(graph.profile.table, 'p'), where: and(compare('=', fn('LOWER', pid), fn('LOWER', param(id))), compare('<>', pid, param(id))), limit });
}
