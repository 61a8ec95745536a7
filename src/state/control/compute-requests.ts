import { randomUUID } from 'node:crypto';
import { and, eq, insert, isNull, notExists, ONE, param, ref, select, star, stateTable, update, values } from '../../dialect/ast.js';
import { touchedRows } from '../compute/rows.js';
import { StateStore } from '../store.js';

/*
 * "Compute now" while a controller runs: the CLI records a request; the controller claims it for a
 * run at its next tick and marks it served only when that run has ended (committed, or failed and
 * recorded). A controller killed mid-run leaves the request pending, so the next tick (of this
 * controller restarted, or another) serves it again and `linked compute --wait` sees that run.
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
    const byId = eq(ref('id'), param(r.id));
    const absent = notExists(select({ one: ONE }, { from: stateTable(this.t.compute_requests), where: byId }));
    const row = select({ id: param(r.id), audience_key: param(r.audienceKey), requested_at: param(r.requestedAt), requested_by: param(r.requestedBy) }, { where: absent });
    // Two controllers may import the same file at once: the lock makes the second see the first's row.
    await this.wh.transaction(async (tx) => {
      const s = this.in(tx);
      await s.lockTable(this.t.compute_requests, 'requested_by', byId);
      await s.run(insert(this.t.compute_requests, REQUEST_COLUMNS, row));
    });
  }

  /** The audiences with a request not yet picked up. */
  async pending(): Promise<Set<string>> {
    const { rows } = await this.run<{ audience_key: string }>(
      select({ audience_key: ref('audience_key') }, { distinct: true, from: stateTable(this.t.compute_requests), where: isNull(ref('picked_at')) }),
    );
    return new Set(rows.map((r) => r.audience_key));
  }

  /**
   * Claims every pending request of the audience for run `runId`; they stay pending until
   * `complete`. Returns whether there was one (undefined when the warehouse does not say).
   */
  async claim(audienceKey: string, runId: string): Promise<boolean | undefined> {
    const { rows } = await this.run(update(this.t.compute_requests, { run_id: param(runId) }, and(eq(ref('audience_key'), param(audienceKey)), isNull(ref('picked_at')))));
    return touchedRows(rows);
  }

  /** Marks the requests claimed by `runId` as served: the run ended and its outcome is recorded. */
  async complete(runId: string, now = new Date()): Promise<void> {
    await this.run(update(this.t.compute_requests, { picked_at: param(now) }, and(eq(ref('run_id'), param(runId)), isNull(ref('picked_at')))));
  }

  /** Marks every pending request of the audience as served by `runId` at once (null: could not be served). */
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
