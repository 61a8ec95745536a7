/** Outbox kinds, as compute writes them. */
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

/** Where an emitter's delivery stands: rows up to these are handled (sent or dead-lettered). */
export interface Cursor {
  emitterKey: string;
  lastOutboxId: number;
  backfillEpoch: string;
  backfillTotal: number;
  backfillDone: number;
  emitterCreatedAt: string | null;
}

/** The counts of one delivery run of one emitter. */
export interface RunCounts {
  sent: number;
  failed: number;
  deadLettered: number;
  requests: number;
  retries: number;
  lastError: string | null;
}

/** An event a destination refused (or too large to send), with the destination's answer. */
export interface DeadLetterInput {
  row: SourceRow;
  messageId: string;
  eventName: string;
  event: unknown;
  reasonCode: string;
  reason: string;
  httpStatus: number | null;
  responseBody: string | null;
}
