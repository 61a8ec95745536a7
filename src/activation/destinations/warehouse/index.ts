import type { Destination } from '../../../model/destination.js';
import { execute } from '../../../warehouse/execute.js';
import type { Warehouse } from '../../../warehouse/types.js';
import type { DestinationDefinition } from '../../actions-core.js';
import type { SegmentEvent } from '../../build-event.js';
import type { SendOutcome } from '../../send/classify.js';
import type { DestinationAdapter, DirectWriteContext } from '../types.js';
import { createTableSql, insertEvents } from './table.js';

export interface WarehouseDestinationSettings {
  table: string;
}

const notHttp = () => Promise.reject(new Error('The warehouse destination writes through the delivery connection, not an HTTP request.'));

/**
 * A definition for the mapping stage (previews, test events): one action, `write`, whose payload
 * is the event as built. The rows are written by `write` below, not by actions-core.
 */
export const warehouseDefinition: DestinationDefinition<WarehouseDestinationSettings> = {
  name: 'Warehouse',
  slug: 'linked-warehouse',
  mode: 'cloud',
  presets: [{ name: 'Write every event', subscribe: 'type = "track" or type = "identify"', partnerAction: 'write', mapping: {}, type: 'automatic' }],
  actions: {
    write: {
      title: 'Write',
      description: 'Insert the event into the table, once per messageId.',
      defaultSubscription: 'type = "track" or type = "identify"',
      fields: {},
      perform: notHttp,
      performBatch: notHttp,
    },
  },
};

/** Tables this process has created (or found): created once, re-checked after a failed write. */
const ensured = new Set<string>();

/** Writes a batch into the table, creating it when missing; warehouse errors retry, as a 5xx would. */
async function writeEvents(destination: Destination, events: readonly SegmentEvent[], ctx: DirectWriteContext): Promise<SendOutcome> {
  if (destination.type !== 'warehouse') throw new Error('not a warehouse destination');
  const wh: Warehouse | undefined = ctx.warehouse;
  if (!wh) return { kind: 'retry', status: null, retryAfterMs: undefined, reason: 'no warehouse connection was given to this delivery' };
  const table = destination.settings.table;
  const key = `${wh.dialect}:${table}`;
  try {
    if (!ensured.has(key)) {
      await wh.query(createTableSql(wh.dialect, table));
      ensured.add(key);
    }
    await execute(wh, insertEvents(table, events, { audienceKey: ctx.audienceKey, emitterKey: ctx.emitterKey, writtenAt: new Date() }));
    return { kind: 'done', events: events.map(() => ({ kind: 'sent', status: 200 })) };
  } catch (e) {
    ensured.delete(key);
    return { kind: 'retry', status: null, retryAfterMs: undefined, reason: `writing to ${table}: ${(e as Error).message}` };
  }
}

export const warehouse: DestinationAdapter<WarehouseDestinationSettings> = {
  type: 'warehouse',
  definition: warehouseDefinition,
  maxBatchSize: 1000,
  settings(destination: Destination): WarehouseDestinationSettings {
    if (destination.type !== 'warehouse') throw new Error('not a warehouse destination');
    return { table: destination.settings.table };
  },
  preset: () => 'write',
  write: writeEvents,
};
