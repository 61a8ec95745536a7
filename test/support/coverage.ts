import type { Condition, EntityPredicate } from '../../src/model/condition.js';
import type { World } from './world.js';

/** The features a case exercises, so a test can require that the generator covers all of them. */
export function features(condition: Condition, world: World): Set<string> {
  const out = new Set<string>();
  for (const r of world.graph.relationships) out.add(`join:${r.join.type}`);
  if (world.graph.timeZone) out.add('timeZone');
  const count = (c: { op: string; value: number }) => out.add(`count:${c.op}:${c.value === 0 ? 0 : c.value === 1 ? 1 : 'n'}`);
  const operand = (where: string, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if ('trait' in v) out.add(`${where}:operand:trait`);
      if ('relationship' in v) out.add(`${where}:operand:column`);
      if ('literal' in v) out.add(`${where}:operand:literal`);
    }
  };
  const predicate = (p: EntityPredicate, depth: number) => {
    out.add(`entity:${p.kind}`);
    if (p.kind === 'and' || p.kind === 'or') p.conditions.forEach((c) => predicate(c, depth));
    else if (p.kind === 'not') predicate(p.condition, depth);
    else if (p.kind === 'entity') {
      count(p.count);
      out.add(`depth:${depth + 1}`);
      if (p.where) predicate(p.where, depth + 1);
    } else {
      out.add(`column:${p.operator}`);
      if (p.junction) out.add('column:junction');
      operand('column', 'value' in p ? p.value : undefined);
    }
  };
  const walk = (c: Condition) => {
    out.add(`profile:${c.kind}`);
    switch (c.kind) {
      case 'and':
      case 'or':
        c.conditions.forEach(walk);
        break;
      case 'not':
        walk(c.condition);
        break;
      case 'trait':
        out.add(`trait:${c.operator}`);
        operand('trait', 'value' in c ? c.value : undefined);
        break;
      case 'entity':
        count(c.count);
        out.add('depth:2');
        if (c.where) predicate(c.where, 2);
        break;
      case 'event':
        count(c.count);
        out.add(`window:${c.window?.type ?? 'none'}`);
        for (const f of c.where) out.add(`property:${f.operator}`);
        break;
      case 'audience': {
        const linked = c.source === 'linked' ? world.linked[c.audience] : undefined;
        out.add(`audience:${c.source}${linked ? `:${linked.kind}` : ''}:${c.negate ? 'not' : 'is'}`);
        if (linked?.kind === 'inline') walk(linked.condition);
        break;
      }
    }
  };
  walk(condition);
  return out;
}
