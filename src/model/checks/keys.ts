import { resourceAddress } from '../address.js';
import type { Desired, ResourceKind } from '../desired.js';
import type { Diagnostic } from '../diagnostics.js';
import { error } from './context.js';

/** A key used twice for one resource kind: reported once per extra occurrence. */
export function checkDuplicateKeys(desired: Desired, out: Diagnostic[]): void {
  const lists: [ResourceKind, { key: string }[]][] = [
    ['classic_audience', desired.classicAudiences],
    ['audience', desired.audiences],
    ['destination', desired.destinations],
    ['event_emitter', desired.emitters],
  ];
  for (const [kind, items] of lists) {
    duplicates(items.map((i) => i.key)).forEach((key) => {
      out.push(error('DUPLICATE_KEY', `Duplicate ${kind.replace(/_/g, ' ')} key "${key}": keys must be unique in a stack`, resourceAddress(kind, key), 'key'));
    });
  }
}

/** Each value seen before, once per extra occurrence. */
function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    if (seen.has(v)) out.push(v);
    seen.add(v);
  }
  return out;
}
