import { and, cast, compare, eq, FALSE, isNotNull, lit, param, ref, select, stateTable, type Expr, type Select } from '../../dialect/ast.js';
import { RESOURCE_KINDS, type ResourceKind } from '../../model/desired.js';
import type { ApplyLogEntry } from '../apply/apply-log.js';
import { readStoredSpec, type ResourceSpecs } from '../apply/resources.js';
import { ApplyLogStore } from '../apply/apply-log.js';
import { isoTimestamp } from '../canonical.js';
import { num } from '../compute/rows.js';
import { RunStore, type RunRow } from '../compute/runs.js';
import { DeliveryStore, textOrNull } from '../delivery/columns.js';

/** One line of the delivery record (`delivery_log`), with the dead letter's response when it was refused. */
export interface TracedDelivery {
  messageId: string;
  deliveredAt: string | null;
  /** The delivery run. */
  deliveryRunId: string;
  emitterKey: string;
  destinationKey: string;
  userId: string;
  event: string;
  kind: string;
  entityId: string | null;
  /** sent | dead_lettered | replayed … as the record holds it. */
  status: string;
  /** Where the event came from: an outbox row, or a backfill of current members. */
  source: 'outbox' | 'backfill';
  sourceId: number;
  response: { httpStatus: number | null; reason: string; body: string | null } | null;
}

/** The outbox (or backfill) row an event was built from. */
export interface TracedSource {
  source: 'outbox' | 'backfill';
  id: number;
  audienceKey: string;
  /** The compute run that wrote the row (a backfill: the run whose membership or entity match it copied). */
  computeRunId: string;
  kind: string;
  profileId: string;
  entityPath: string | null;
  entityId: string | null;
  baseline: boolean | null;
  createdAt: string | null;
}

/** One applied version of a resource, as `resource_versions` keeps it. */
export interface ResourceVersion {
  kind: string;
  key: string;
  version: number;
  /** The spec as applied, read as this code's model; null when it cannot be (`problem` says why). */
  spec: ResourceSpecs[ResourceKind] | null;
  /**
   * Why the spec as applied cannot be read: a linked of another version wrote it (an older spec
   * shape), or the row is damaged. Attribute by attribute, never a value of the spec. Null when it reads.
   */
  problem: string | null;
  specHash: string;
  appliedAt: string | null;
  appliedBy: string | null;
  commitSha: string | null;
  applyId: string | null;
  stack: string | null;
  deleted: boolean;
}

const DELIVERY_COLUMNS = ['message_id', 'delivered_at', 'run_id', 'emitter_key', 'destination_key', 'user_id', 'event', 'kind', 'entity_id', 'status', 'source', 'source_id'];
const VERSION_COLUMNS = ['kind', 'key', 'version', 'spec', 'spec_hash', 'applied_at', 'applied_by', 'commit_sha', 'apply_id', 'stack', 'deleted'];
const columns = (names: readonly string[]) => Object.fromEntries(names.map((c) => [c, ref(c)]));

/**
 * The reads of a trace: each link was recorded when it happened (the delivery record names its
 * source row, the row its compute run, the run the audience version it compiled, the version its
 * apply), so the chain holds after later applies and after the audience is deleted.
 */
export class TraceStore extends DeliveryStore {
  /** Deliveries of one messageId (a replayed event has several lines), newest first. */
  async deliveriesByMessageId(messageId: string): Promise<TracedDelivery[]> {
    return this.deliveries(eq(ref('message_id'), param(messageId)), 10);
  }

  /** A user's deliveries, newest first, optionally of one event name. */
  async deliveriesOfUser(userId: string, event: string | undefined, limit: number): Promise<TracedDelivery[]> {
    const where = event === undefined ? eq(ref('user_id'), param(userId)) : and(eq(ref('user_id'), param(userId)), eq(ref('event'), param(event)));
    return this.deliveries(where, limit);
  }

  private async deliveries(where: Expr, limit: number): Promise<TracedDelivery[]> {
    const { rows } = await this.run(
      select(columns(DELIVERY_COLUMNS), {
        from: stateTable(this.t.delivery_log),
        where,
        orderBy: [{ expr: ref('delivered_at'), desc: true }, { expr: ref('source_id'), desc: true }],
        limit,
      }),
    );
    const g = this.get;
    const out: TracedDelivery[] = rows.map((r) => ({
      messageId: String(g(r, 'message_id')),
      deliveredAt: isoTimestamp(g(r, 'delivered_at')),
      deliveryRunId: String(g(r, 'run_id')),
      emitterKey: String(g(r, 'emitter_key')),
      destinationKey: String(g(r, 'destination_key')),
      userId: String(g(r, 'user_id')),
      event: String(g(r, 'event')),
      kind: String(g(r, 'kind')),
      entityId: textOrNull(g(r, 'entity_id')),
      status: String(g(r, 'status')),
      source: String(g(r, 'source')) === 'backfill' ? 'backfill' : 'outbox',
      sourceId: Number(g(r, 'source_id')),
      response: null,
    }));
    for (const d of out) if (d.status === 'dead_lettered') d.response = await this.deadLetterResponse(d);
    return out;
  }

  private async deadLetterResponse(d: TracedDelivery): Promise<TracedDelivery['response']> {
    const { rows } = await this.run(
      select(columns(['http_status', 'reason', 'response_body']), {
        from: stateTable(this.t.dead_letters),
        where: and(eq(ref('emitter_key'), param(d.emitterKey)), eq(ref('run_id'), param(d.deliveryRunId)), eq(ref('source'), param(d.source)), eq(ref('source_id'), param(d.sourceId))),
        limit: 1,
      }),
    );
    const r = rows[0];
    return r ? { httpStatus: num(this.get(r, 'http_status')), reason: String(this.get(r, 'reason')), body: textOrNull(this.get(r, 'response_body')) } : null;
  }

  /**
   * The outbox or backfill row a delivery was built from. A backfill's rows are dropped once it is
   * delivered: its delivery record keeps what the trace needs of each (migration 10), found by
   * messageId (unique to the backfill's epoch, and shared by a dead letter's replay); a line
   * recorded before that is followed to the row while the backfill still holds it.
   */
  async source(d: Pick<TracedDelivery, 'source' | 'sourceId' | 'emitterKey' | 'messageId'>): Promise<TracedSource | undefined> {
    const row = ['audience_key', 'kind', 'entity_path', 'entity_id'];
    if (d.source === 'outbox') {
      return this.sourceRow(d, select(columns([...row, 'run_id', 'profile_id', 'baseline', 'created_at']), { from: stateTable(this.t.outbox), where: eq(ref('id'), param(d.sourceId)) }));
    }
    const recorded = select(
      { ...columns(row), run_id: ref('compute_run_id'), profile_id: ref('user_id'), created_at: ref('source_created_at') },
      {
        from: stateTable(this.t.delivery_events),
        where: and(
          eq(ref('emitter_key'), param(d.emitterKey)),
          eq(ref('source'), lit('backfill')),
          eq(ref('source_id'), param(d.sourceId)),
          eq(ref('message_id'), param(d.messageId)),
          isNotNull(ref('compute_run_id')),
        ),
        limit: 1,
      },
    );
    const backfillRow = select(columns([...row, 'run_id', 'profile_id', 'created_at']), {
      from: stateTable(this.t.delivery_backfill),
      where: and(eq(ref('emitter_key'), param(d.emitterKey)), eq(ref('seq'), param(d.sourceId))),
    });
    return (await this.sourceRow(d, recorded)) ?? this.sourceRow(d, backfillRow);
  }

  /** The first row of a query of source columns, as a traced source. */
  private async sourceRow(d: Pick<TracedDelivery, 'source' | 'sourceId'>, query: Select): Promise<TracedSource | undefined> {
    const r = (await this.run(query)).rows[0];
    if (!r) return undefined;
    const g = this.get;
    return {
      source: d.source,
      id: d.sourceId,
      audienceKey: String(g(r, 'audience_key')),
      computeRunId: String(g(r, 'run_id')),
      kind: String(g(r, 'kind')),
      profileId: String(g(r, 'profile_id')),
      entityPath: textOrNull(g(r, 'entity_path')),
      entityId: textOrNull(g(r, 'entity_id')),
      baseline: d.source === 'outbox' ? Boolean(g(r, 'baseline')) : null,
      createdAt: isoTimestamp(g(r, 'created_at')),
    };
  }

  /** The compute run that wrote an outbox row. */
  computeRun(runId: string): Promise<RunRow | undefined> {
    return new RunStore(this.wh, this.schema).readRun(runId);
  }

  /** One recorded version of a resource. */
  async version(kind: string, key: string, version: number): Promise<ResourceVersion | undefined> {
    return (await this.versions(and(eq(ref('kind'), param(kind)), eq(ref('key'), param(key)), eq(ref('version'), param(version))), 1))[0];
  }

  /**
   * The version in effect at `at` (the latest applied at or before it): for a run recorded before
   * runs named their version.
   */
  async versionAt(kind: string, key: string, at: Date): Promise<ResourceVersion | undefined> {
    const where = and(eq(ref('kind'), param(kind)), eq(ref('key'), param(key)), compare('<=', ref('applied_at'), cast(param(at.toISOString()), 'TIMESTAMP')), eq(ref('deleted'), FALSE));
    return (await this.versions(where, 1))[0];
  }

  /** Every recorded version of a resource, newest first. */
  async history(kind: string, key: string): Promise<ResourceVersion[]> {
    return this.versions(and(eq(ref('kind'), param(kind)), eq(ref('key'), param(key))), 1000);
  }

  private async versions(where: Expr, limit: number): Promise<ResourceVersion[]> {
    const { rows } = await this.run(
      select(columns(VERSION_COLUMNS), {
        from: stateTable(this.t.resource_versions),
        where,
        orderBy: [{ expr: ref('version'), desc: true }],
        limit,
      }),
    );
    const g = this.get;
    return rows.map((r) => ({
      kind: String(g(r, 'kind')),
      key: String(g(r, 'key')),
      version: Number(g(r, 'version')),
      ...storedSpec(String(g(r, 'kind')), String(g(r, 'spec'))),
      specHash: String(g(r, 'spec_hash')),
      appliedAt: isoTimestamp(g(r, 'applied_at')),
      appliedBy: textOrNull(g(r, 'applied_by')),
      commitSha: textOrNull(g(r, 'commit_sha')),
      applyId: textOrNull(g(r, 'apply_id')),
      stack: textOrNull(g(r, 'stack')),
      deleted: Boolean(g(r, 'deleted')),
    }));
  }

  /**
   * What the audience's snapshot says of one profile: whether it holds it, and the run that
   * committed the snapshot, the last Live run of the audience's current incarnation (null before
   * its first). The membership row's own run is the one the profile entered in, older when it
   * stayed in since.
   */
  async snapshotOf(audienceKey: string, profileId: string): Promise<{ member: boolean; runId: string | null }> {
    const last = await new RunStore(this.wh, this.schema).snapshotRun(audienceKey);
    const { rows } = await this.run(
      select({ profile_id: ref('profile_id') }, { from: stateTable(this.t.membership), where: and(eq(ref('audience_key'), param(audienceKey)), eq(ref('profile_id'), param(profileId))), limit: 1 }),
    );
    return { member: rows.length > 0, runId: last?.id ?? null };
  }

  /** The apply log entry of one apply. */
  apply(applyId: string): Promise<ApplyLogEntry | undefined> {
    return new ApplyLogStore(this.wh, this.schema).byId(applyId);
  }
}

/** A version's spec, or why it cannot be read: a trace goes on past it, saying so. */
function storedSpec(kind: string, text: string): Pick<ResourceVersion, 'spec' | 'problem'> {
  if (!(RESOURCE_KINDS as readonly string[]).includes(kind)) return { spec: null, problem: `it is of a kind this linked does not know ("${kind}")` };
  const read = readStoredSpec(kind as ResourceKind, text);
  return 'spec' in read ? { spec: read.spec, problem: null } : { spec: null, problem: read.problem };
}
