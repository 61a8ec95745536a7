import type { CompileContext } from '../../src/sql/index.js';
import type { Dialect } from '../../src/dialect/dialect.js';
import type { World } from './world.js';

/** The compile context of a generated or hand-built world. */
export function contextFor(world: World, dialect: Dialect = 'duckdb'): CompileContext {
  return {
    dialect,
    graph: world.graph,
    classicAudiences: world.classicAudiences,
    linkedAudience: (key) => {
      const source = world.linked[key];
      if (!source) throw new Error(`unknown linked audience ${key}`);
      return source;
    },
    now: world.now,
  };
}
