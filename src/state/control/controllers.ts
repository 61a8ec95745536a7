import { and, compare, eq, insert, isNull, notExists, NULL, ONE, param, ref, select, stateTable, update } from '../../dialect/ast.js';
import { StateStore } from '../store.js';

/** `controllers`: each controller announces itself at every tick; `linked compute` hands its run to a live one. */
export class ControllerStore extends StateStore {
  async heartbeat(id: string, now = new Date()): Promise<void> {
    const absent = notExists(select({ one: ONE }, { from: stateTable(this.t.controllers), where: eq(ref('id'), param(id)) }));
    const row = select(
      { id: param(id), host: param(process.env.HOSTNAME ?? null), pid: param(process.pid), started_at: param(now), heartbeat_at: param(now) },
      { where: absent },
    );
    await this.run(insert(this.t.controllers, ['id', 'host', 'pid', 'started_at', 'heartbeat_at'], row));
    await this.run(update(this.t.controllers, { heartbeat_at: param(now), stopped_at: NULL }, eq(ref('id'), param(id))));
  }

  async markStopped(id: string, now = new Date()): Promise<void> {
    await this.run(update(this.t.controllers, { stopped_at: param(now) }, eq(ref('id'), param(id))));
  }

  /** Controllers that beat within `withinMs` and have not said they stopped. */
  async live(withinMs: number, now = new Date()): Promise<string[]> {
    const recent = compare('>=', ref('heartbeat_at'), param(new Date(now.getTime() - withinMs)));
    const { rows } = await this.run<{ id: string }>(select({ id: ref('id') }, { from: stateTable(this.t.controllers), where: and(isNull(ref('stopped_at')), recent) }));
    return rows.map((r) => r.id);
  }
}
