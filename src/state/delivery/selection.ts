import {
  FALSE,
  NULL,
  TRUE,
  and,
  cast,
  eq,
  inList,
  lit,
  param,
  ref,
  select,
  stateTable,
  sysCol,
  type Expr,
  type Select,
} from '../../dialect/ast.js';
import { SEND_FOR_CURRENT_TRIGGERS, type EventEmitter, type Trigger } from '../../model/emitter.js';
import type { StateTables } from '../tables.js';
import type { OutboxKind } from './types.js';

/** Which outbox kinds an emitter's trigger listens to. Membership changed is derived from both. */
export function kindsOf(trigger: Trigger): OutboxKind[] {
  switch (trigger) {
    case 'audience_entered':
      return ['entered'];
    case 'audience_exited':
      return ['exited'];
    case 'entity_added':
      return ['entity_added'];
    case 'entity_removed':
      return ['entity_removed'];
    case 'audience_membership_changed':
      return ['entered', 'exited'];
  }
}

/** The entity path an emitter listens to, as the outbox spells it (slugs joined by '.'). */
export function entityPathOf(emitter: EventEmitter): string | null {
  return emitter.entityPath && emitter.entityPath.length > 0 ? emitter.entityPath.join('.') : null;
}

/** Whether an emitter backfills current members / entities (only where the seed allows it). */
export const sendsForCurrent = (e: EventEmitter) => e.sendForCurrent && SEND_FOR_CURRENT_TRIGGERS.includes(e.trigger);

/** Which outbox rows are an emitter's: the same in reads, counts and the delivery record. */
export interface OutboxSelection {
  audienceKey: string;
  kinds: OutboxKind[];
  entityPath: string | null;
  /** Rows of an audience's (or entity path's) first run go only to emitters that send for current. */
  withBaseline: boolean;
}

export function outboxSelection(emitter: EventEmitter): OutboxSelection {
  return {
    audienceKey: emitter.audience,
    kinds: kindsOf(emitter.trigger),
    entityPath: entityPathOf(emitter),
    withBaseline: sendsForCurrent(emitter),
  };
}

/** The condition selecting an emitter's rows of the outbox aliased `alias`. */
export function outboxFilter(emitter: EventEmitter, alias: string): Expr {
  const o = outboxSelection(emitter);
  return and(
    eq(sysCol(alias, 'audience_key'), param(o.audienceKey)),
    inList(
      sysCol(alias, 'kind'),
      o.kinds.map((k) => param(k)),
    ),
    o.entityPath !== null ? eq(sysCol(alias, 'entity_path'), param(o.entityPath)) : TRUE,
    o.withBaseline ? TRUE : eq(sysCol(alias, 'baseline'), FALSE),
  );
}

/**
 * The snapshot an emitter with sendForCurrent backfills, as columns kind, profile_id, entity_path,
 * entity_id, run_id: its entity matches for entity_added, else the audience's members.
 */
export function backfillSource(t: StateTables, emitter: EventEmitter): Select {
  if (emitter.trigger === 'entity_added') {
    return select(
      { kind: lit('entity_added'), profile_id: ref('profile_id'), entity_path: ref('entity_path'), entity_id: ref('entity_id'), run_id: ref('run_id') },
      { from: stateTable(t.entity_matches), where: and(eq(ref('audience_key'), param(emitter.audience)), eq(ref('entity_path'), param(entityPathOf(emitter)))) },
    );
  }
  return select(
    { kind: lit('entered'), profile_id: ref('profile_id'), entity_path: cast(NULL, 'VARCHAR'), entity_id: cast(NULL, 'VARCHAR'), run_id: ref('run_id') },
    { from: stateTable(t.membership), where: eq(ref('audience_key'), param(emitter.audience)) },
  );
}
