import { randomUUID } from 'node:crypto';
import { and, eq, insert, isNull, notExists, ONE, param, ref, select, star, stateTable, update, values } from '../../dialect/ast.js';
import { StateStore } from '../store.js';

/*
 * "Compute now" while a controller runs: the CLI records a request; the controller picks it up at
 * its next tick, and records which run served it so the CLI can follow that run.
 */

export interface ComputeRequest {
  id: string;
  audienceKey: string;
  requestedAt: Date;
  pickedAt: Date | null;
  runId: string | null;
}

export interface NewComputeRequest {
  id: string;
  audienceKey: string;
  requestedAt: Date;
  requestedBy: string;
}

const REQUEST_COLUMNS = ['id', 'audience_key', 'requested_at', 'requested_by'];

/** `compute_requests`: "compute now" requests waiting for (or served by) a controller. */
export class ComputeRequestStore extends StateStore {
  /** Records a request; returns its id. */
  async create(audienceKey: string, requestedBy: string, now = new Date()): Promise<string> {
    const id = randomUUID();
    await this.run(insert(this.t.compute_requests, REQUEST_COLUMNS, values([param(id), param(audienceKey), param(now), param(requestedBy)])));
    return id;
  }

  /** Records a request made elsewhere (a request file), unless its id is already recorded. */
  async import(r: NewComputeRequest): Promise<void> {
    const absent = notExists(select({ one: ONE }, { from: stateTable(this.t.compute_requests), where: eq(ref('id'), param(r.id)) }));
    const row = select({ id: param(r.id), audience_key: param(r.audienceKey), requested_at: param(r.requestedAt), requested_by: param(r.requestedBy) }, { where: absent });
    await this.run(insert(this.t.compute_requests, REQUEST_COLUMNS, row));
  }

  /** The audiences with a request not yet picked up. */
  async pending(): Promise<Set<string>> {
    const { rows } = await this.run<{ audience_key: string }>(
      select({ audience_key: ref('audience_key') }, { distinct: true, from: stateTable(this.t.compute_requests), where: isNull(ref('picked_at')) }),
    );
    return new Set(rows.map((r) => r.audience_key));
  }

  /** Marks every pending request of the audience as served by `runId` (null: could not be served). */
  async pick(audienceKey: string, runId: string | null, now = new Date()): Promise<void> {
    await this.run(
      update(this.t.compute_requests, { picked_at: param(now), run_id: param(runId) }, and(eq(ref('audience_key'), param(audienceKey)), isNull(ref('picked_at')))),
    );
  }

  async read(id: string): Promise<ComputeRequest | undefined> {
    const { rows } = await this.run<Record<string, unknown>>(select([star()], { from: stateTable(this.t.compute_requests), where: eq(ref('id'), param(id)) }));
    const r = rows[0];
    if (!r) return undefined;
    return {
      id,
      audienceKey: String(r.audience_key),
      requestedAt: r.requested_at as Date,
      pickedAt: (r.picked_at as Date | null) ?? null,
      runId: (r.run_id as string | null) ?? null,
    };
  }
}
