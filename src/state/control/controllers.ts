import { hostname } from 'node:os';
import { and, compare, eq, insert, isNull, notExists, NULL, ONE, or, param, ref, select, stateTable, TRUE, update } from '../../dialect/ast.js';
import { touchedRows } from '../compute/rows.js';
import { StateStore } from '../store.js';
import { processIsDead } from './holder.js';

/** How long a beat keeps a controller live when the controller does not say (a lease TTL's worth). */
export const FALLBACK_ALIVE_MS = 30_000;

/** A controller that counts as live, and what its last beat said. */
export interface LiveController {
  id: string;
  /** The stack it serves (null: a controller from before controllers said). */
  stack: string | null;
  host: string | null;
  pid: number | null;
  heartbeatAt: Date | null;
  /** Until when its last beat promised it stays live: its next look at the warehouse is due before (null: a beat from before beats said). */
  aliveUntil: Date | null;
}

/**
 * `controllers`: each controller announces itself at every tick and, while a tick works, on a
 * heartbeat; `linked compute` hands its run to a live one. A controller is live while its beats
 * are recent and it has not said it stopped; one on this host whose process is gone is dead at once.
 */
export class ControllerStore extends StateStore {
  /**
   * Records a beat; the controller counts as live for `aliveForMs` without another one. Only the
   * controller itself writes its row, so a beat that updated it is done: the row is created (unless
   * present) only at the first beat, or when the warehouse does not say what it updated.
   */
  async heartbeat(id: string, now = new Date(), aliveForMs = FALLBACK_ALIVE_MS, stack?: string): Promise<void> {
    const aliveUntil = new Date(now.getTime() + aliveForMs);
    const beat = update(this.t.controllers, { heartbeat_at: param(now), alive_until: param(aliveUntil), stopped_at: NULL }, eq(ref('id'), param(id)));
    if (touchedRows((await this.run(beat)).rows)) return;
    const absent = notExists(select({ one: ONE }, { from: stateTable(this.t.controllers), where: eq(ref('id'), param(id)) }));
    const row = select(
      { id: param(id), host: param(hostname()), pid: param(process.pid), started_at: param(now), heartbeat_at: param(now), stack: param(stack ?? null) },
      { where: absent },
    );
    await this.run(insert(this.t.controllers, ['id', 'host', 'pid', 'started_at', 'heartbeat_at', 'stack'], row));
    await this.run(beat);
  }

  async markStopped(id: string, now = new Date()): Promise<void> {
    await this.run(update(this.t.controllers, { stopped_at: param(now) }, eq(ref('id'), param(id))));
  }

  /**
   * Controllers live now: within the time their last beat promised (rows from before that was
   * recorded: a beat within FALLBACK_ALIVE_MS), not stopped, and not known dead on this host.
   */
  async live(now = new Date()): Promise<string[]> {
    return (await this.liveControllers(now)).map((c) => c.id);
  }

  /**
   * The live controllers (as `live`), with their last beat and what it promised. With `stack`,
   * those that serve it: another stack's controller in the same state schema never computes it.
   */
  async liveControllers(now = new Date(), stack?: string): Promise<LiveController[]> {
    const promised = compare('>=', ref('alive_until'), param(now));
    const legacy = and(isNull(ref('alive_until')), compare('>=', ref('heartbeat_at'), param(new Date(now.getTime() - FALLBACK_ALIVE_MS))));
    const ofStack = stack === undefined ? TRUE : or(isNull(ref('stack')), eq(ref('stack'), param(stack)));
    const { rows } = await this.run<{ id: string; stack: string | null; host: string | null; pid: unknown; heartbeat_at: unknown; alive_until: unknown }>(
      select(
        { id: ref('id'), stack: ref('stack'), host: ref('host'), pid: ref('pid'), heartbeat_at: ref('heartbeat_at'), alive_until: ref('alive_until') },
        { from: stateTable(this.t.controllers), where: and(isNull(ref('stopped_at')), or(promised, legacy), ofStack) },
      ),
    );
    const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));
    return rows
      .map((r) => ({ id: r.id, stack: r.stack ?? null, host: r.host, pid: r.pid === null || r.pid === undefined ? null : Number(r.pid), heartbeatAt: date(r.heartbeat_at), aliveUntil: date(r.alive_until) }))
      .filter((c) => !processIsDead(c.host, c.pid))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The stack a controller with this id announced, live or not: null when it named none, undefined when there is no such controller. */
  async stackOf(id: string): Promise<string | null | undefined> {
    const { rows } = await this.run<{ stack: string | null }>(select({ stack: ref('stack') }, { from: stateTable(this.t.controllers), where: eq(ref('id'), param(id)) }));
    return rows.length === 0 ? undefined : (rows[0]!.stack ?? null);
  }

  /** Whether a controller with this id ever announced itself (for `linked force-unlock <controller id>`). */
  async exists(id: string): Promise<boolean> {
    const { rows } = await this.run(select({ id: ref('id') }, { from: stateTable(this.t.controllers), where: eq(ref('id'), param(id)) }));
    return rows.length > 0;
  }
}
