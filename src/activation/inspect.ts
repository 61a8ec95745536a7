import {
  DeliveryInspection,
  type DeadLetterFilter,
  type DeadLetterRow,
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliveryRunFilter,
  type DeliveryRunRow,
} from '../state/delivery/inspection.js';
import type { Warehouse } from '../warehouse/types.js';

export type { DeadLetterFilter, DeadLetterRow, DeliveryFilter, DeliveryRecord, DeliveryRunFilter, DeliveryRunRow } from '../state/delivery/inspection.js';

/** Dead letters, newest first; unreplayed only unless asked. */
export function listDeadLetters(wh: Warehouse, schema: string, f: DeadLetterFilter = {}): Promise<DeadLetterRow[]> {
  return new DeliveryInspection(wh, schema).deadLetters(f);
}

/** What was sent to whom (the seed's Step 3: search by user id or event name), newest first. */
export function findDeliveries(wh: Warehouse, schema: string, f: DeliveryFilter = {}): Promise<DeliveryRecord[]> {
  return new DeliveryInspection(wh, schema).deliveries(f);
}

/** The delivery log: per run and emitter, newest first; with `computeRun`, the runs that delivered events of that compute run. */
export function readDeliveryRuns(wh: Warehouse, schema: string, f: DeliveryRunFilter = {}): Promise<DeliveryRunRow[]> {
  return new DeliveryInspection(wh, schema).runs(f);
}
