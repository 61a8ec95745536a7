import { randomUUID } from 'node:crypto';
import { LinkedError } from '../model/errors.js';
import { DeliveryHealthStore } from '../state/delivery/health.js';
import { DeliveryInspection, type DeadLetterFilter, type DeadLetterRow } from '../state/delivery/inspection.js';
import { DeliveryRecorder, type ReplayHealth, type ReplayOutcome } from '../state/delivery/recorder.js';
import type { RunCounts, SourceRow } from '../state/delivery/types.js';
import type { Warehouse } from '../warehouse/types.js';
import { eventBytes, MAX_EVENT_BYTES, type BuiltEvent, type SegmentEvent } from './build-event.js';
import { destinationsOf, readActivationModel, resolveEmitter, type ActivationModel, type ResolvedEmitter } from './emitter-context.js';
import { requestsOf } from './send/batch.js';
import { answerOf } from './send/budget.js';
import { blockedFailure, Sender, type BlockedAnswer, type SenderOptions } from './send/sender.js';
import { serialized } from './serial.js';

export interface ReplayOptions extends SenderOptions {
  stack?: string;
  model?: ActivationModel;
  /** Re-send dead letters even when a newer event of the same user and emitter was delivered since. */
  force?: boolean;
  /** The clock of the record (replays, the emitter's last success). Default the system clock. */
  now?: () => Date;
}

export interface ReplayResult {
  runId: string;
  replayed: number[];
  /** Refused again (the dead letter stays, with the new response) or still too large. */
  rejected: { id: number; reason: string }[];
  /** Not attempted or gave up on transient errors: replay again later. */
  pending: { id: number; reason: string }[];
  /**
   * Not sent: a newer event of the same user and emitter was delivered since (sending the older
   * one would leave the destination with the older state). They stay dead letters; `force` sends them.
   */
  skipped: { id: number; reason: string; supersededBy: string }[];
}

/**
 * Re-sends dead letters (by id, or all of an emitter's) through the emitter's current destination
 * and mapping, with their original event and messageId. A success marks the dead letter replayed
 * and records the delivery; a refusal keeps it with the destination's new response.
 */
export async function replayDeadLetters(wh: Warehouse, schema: string, filter: DeadLetterFilter, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const serial = serialized(wh);
  const inspection = new DeliveryInspection(serial, schema);
  const recorder = new DeliveryRecorder(serial, schema);
  const model = opts.model ?? (await readActivationModel(serial, schema, opts.stack));
  const letters = await inspection.deadLetters({ ...filter, includeReplayed: false });
  if (filter.ids && filter.ids.length > 0) {
    const missing = filter.ids.filter((id) => !letters.some((l) => l.id === id));
    if (missing.length > 0) throw new LinkedError('DEAD_LETTER_NOT_FOUND', `No unreplayed dead letter with id ${missing.join(', ')}.`);
  }
  const runId = `replay-${randomUUID()}`;
  const result: ReplayResult = { runId, replayed: [], rejected: [], pending: [], skipped: [] };
  const superseded = opts.force ? new Map() : await inspection.superseded(letters.map((l) => l.id));
  const toSend: DeadLetterRow[] = [];
  for (const l of letters.sort((a, b) => a.id - b.id)) {
    const newer = superseded.get(l.id);
    if (!newer) toSend.push(l);
    else {
      const when = newer.deliveredAt ? ` at ${newer.deliveredAt}` : '';
      result.skipped.push({ id: l.id, supersededBy: newer.messageId, reason: `user ${l.userId}: a newer event of this emitter (messageId ${newer.messageId}) was delivered${when}` });
    }
  }
  const sender = new Sender(destinationsOf(model), { ...opts, warehouse: serial });
  const events = await inspection.deadLetterEvents(toSend.map((l) => l.id));
  const byEmitter = new Map<string, DeadLetterRow[]>();
  for (const l of toSend) byEmitter.set(l.emitterKey, [...(byEmitter.get(l.emitterKey) ?? []), l]);

  const ctx: ReplayContext = { runId, sender, recorder, health: new DeliveryHealthStore(serial, schema), events, result, now: opts.now ?? (() => new Date()) };
  for (const [emitterKey, list] of byEmitter) {
    let r: ResolvedEmitter;
    try {
      const emitter = model.applied?.emitter(emitterKey);
      if (!emitter) throw new LinkedError('EMITTER_NOT_FOUND', `the event emitter "${emitterKey}" is no longer applied`);
      r = resolveEmitter(model, emitter);
    } catch (e) {
      for (const l of list) result.pending.push({ id: l.id, reason: (e as Error).message });
      continue;
    }
    await replayEmitter(ctx, r, list);
  }
  return result;
}

interface ReplayContext {
  runId: string;
  sender: Sender;
  recorder: DeliveryRecorder;
  health: DeliveryHealthStore;
  /** The dead letters' events, as first built. */
  events: Map<number, unknown>;
  result: ReplayResult;
  now: () => Date;
}

/**
 * Re-sends one emitter's dead letters in its destination's batches, in order; each batch's outcome
 * is recorded in one transaction. A batch that stops (transient failure, credentials refused)
 * stops the emitter's replay: the rest stay pending, so a user's events keep their order.
 */
async function replayEmitter(ctx: ReplayContext, r: ResolvedEmitter, letters: DeadLetterRow[]): Promise<void> {
  const { result } = ctx;
  const counts: RunCounts = { sent: 0, failed: 0, deadLettered: 0, requests: 0, retries: 0, lastError: null };
  let stopped: string | undefined;
  let answeredHere = false;
  for (const chunk of requestsOf(r, sendable(ctx, r, letters))) {
    if (stopped !== undefined) {
      for (const c of chunk) result.pending.push({ id: c.row.id, reason: `not attempted: ${stopped}` });
      continue;
    }
    const res = await ctx.sender.sendChunk(r, chunk, counts);
    const outcomes: ReplayOutcome[] = [
      ...res.sent.map((row) => ({ id: row.id, accepted: true as const })),
      ...res.deadLetters.map((d) => ({ id: d.row.id, accepted: false as const, reasonCode: d.reasonCode, reason: d.reason, httpStatus: d.httpStatus, responseBody: d.responseBody })),
    ];
    // The destination answered (not with a refusal of the credentials): the emitter's block and failure episode are over.
    const answer = answerOf({ sent: res.sent.length, deadLetters: res.deadLetters });
    const answered = answer === undefined ? undefined : { emitterKey: r.emitter.key, accepted: answer === 'accepted' };
    answeredHere ||= answered !== undefined;
    const blocked = res.kind === 'gave_up' && res.blocked ? await blockOf(ctx, r, res.blocked, answeredHere) : undefined;
    if (outcomes.length > 0 || blocked) await ctx.recorder.recordReplay(ctx.runId, r.destination.key, outcomes, ctx.now(), { answered, blocked });
    result.replayed.push(...res.sent.map((row) => row.id));
    result.rejected.push(...res.deadLetters.map((d) => ({ id: d.row.id, reason: d.reason })));
    if (res.kind === 'gave_up') {
      // Nothing resumes a replay: what it did not get through stays a dead letter until replayed again.
      stopped = `${res.reason}; still a dead letter: replay it again once ${r.destination.key} recovers`;
      const handled = new Set(outcomes.map((o) => o.id));
      for (const c of chunk) if (!handled.has(c.row.id)) result.pending.push({ id: c.row.id, reason: stopped });
    }
  }
}

/**
 * A replay stopped on refused credentials (or a secret not set): they hold for the emitter's
 * delivery too, so its health records the block as a delivery's stop does, one more failed attempt
 * of its failure episode (the first, when this replay's answers ended the one on record).
 */
async function blockOf(ctx: ReplayContext, r: ResolvedEmitter, blocked: BlockedAnswer, episodeEnded: boolean): Promise<ReplayHealth['blocked']> {
  const [record] = await ctx.health.forDelivery([{ emitterKey: r.emitter.key, destinationKey: r.destination.key }], ctx.now());
  const failures = (episodeEnded ? 0 : record.consecutiveFailures) + 1;
  return { emitterKey: r.emitter.key, failure: blockedFailure(blocked, ctx.now(), failures) };
}

/** The dead letters' events that may be sent again (those still over 32 KB are rejected), as built events keyed by dead letter id. */
function sendable(ctx: ReplayContext, r: ResolvedEmitter, letters: DeadLetterRow[]): BuiltEvent[] {
  const built: BuiltEvent[] = [];
  for (const l of letters) {
    const event = ctx.events.get(l.id) as SegmentEvent;
    const bytes = eventBytes(event);
    if (bytes > MAX_EVENT_BYTES) {
      ctx.result.rejected.push({ id: l.id, reason: `still ${bytes} bytes (over 32 KB)` });
      continue;
    }
    const row: SourceRow = { source: 'outbox', id: l.id, audienceKey: r.emitter.audience, kind: 'entered', profileId: l.userId, entityPath: null, entityId: null, createdAt: event.timestamp };
    built.push({ row, event, bytes });
  }
  return built;
}
