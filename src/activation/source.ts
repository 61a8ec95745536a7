import type { EventEmitter, Trigger } from '../model/emitter.js';

/** Outbox kinds (written by compute, migration 002). */
export type OutboxKind = 'entered' | 'exited' | 'entity_added' | 'entity_removed';

/**
 * One change to deliver, read from the outbox or from an emitter's backfill (the snapshot of
 * current members / entities copied when an emitter with sendForCurrent started).
 */
export interface SourceRow {
  source: 'outbox' | 'backfill';
  /** Outbox id, or the backfill sequence number. Increasing in delivery order. */
  id: number;
  audienceKey: string;
  kind: OutboxKind;
  profileId: string;
  entityPath: string | null;
  entityId: string | null;
  /** When the change was committed (the event's timestamp: identical on every resend). */
  createdAt: string;
}

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

/** Tags of the two sources inside a messageId, so ids of the two never collide. */
export function sourceTag(source: SourceRow['source'], backfillEpoch: string): string {
  return source === 'outbox' ? 'outbox' : `backfill:${backfillEpoch}`;
}
