import { isSecretRef } from '../model/common.js';
import type { AttributeChange } from './types.js';

/**
 * Attribute-by-attribute difference of two specs. Secret references and scalars are leaves.
 * Arrays of objects identified by `key` or `slug` are matched by identity (`entities["card"]`), so
 * an insertion does not show as a change of every later element; other arrays by index.
 */
export function diffAttributes(
  before: unknown,
  after: unknown,
  forcesReplacement: (path: string) => boolean = () => false,
): AttributeChange[] {
  const out: AttributeChange[] = [];
  walk(before, after, '', out, forcesReplacement);
  return out;
}

/** Every leaf of one spec, as `add` (create) or `remove` (delete) changes. */
export function listAttributes(spec: unknown, action: 'add' | 'remove'): AttributeChange[] {
  return action === 'add' ? diffAttributes(undefined, spec) : diffAttributes(spec, undefined);
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
const isLeaf = (v: unknown) => v === undefined || isSecretRef(v) || (!Array.isArray(v) && !isObject(v));
const isEmptyContainer = (v: unknown) => (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

function identityOf(items: unknown[]): 'key' | 'slug' | undefined {
  for (const id of ['key', 'slug'] as const) {
    if (items.length > 0 && items.every((i) => isObject(i) && typeof i[id] === 'string')) {
      const ids = items.map((i) => (i as Obj)[id]);
      if (new Set(ids).size === ids.length) return id;
    }
  }
  return undefined;
}

const join = (base: string, prop: string) => (base === '' ? prop : `${base}.${prop}`);

function walk(before: unknown, after: unknown, path: string, out: AttributeChange[], forces: (p: string) => boolean): void {
  // Leaves, empty containers, and values whose shape changed (object <-> array <-> scalar) compare whole.
  const beforeLeaf = isLeaf(before) || isEmptyContainer(before);
  const afterLeaf = isLeaf(after) || isEmptyContainer(after);
  const sameShape = Array.isArray(before) === Array.isArray(after) && isObject(before) === isObject(after);
  const bothPresent = before !== undefined && after !== undefined;
  if ((beforeLeaf && afterLeaf) || (bothPresent && (beforeLeaf || afterLeaf || !sameShape))) {
    if (JSON.stringify(before) === JSON.stringify(after)) return;
    const action = before === undefined ? 'add' : after === undefined ? 'remove' : 'change';
    const change: AttributeChange = { path, action, sensitive: isSecretRef(before) || isSecretRef(after), forcesReplacement: forces(path) };
    if (before !== undefined) change.before = before;
    if (after !== undefined) change.after = after;
    out.push(change);
    return;
  }
  if (Array.isArray(before) || Array.isArray(after)) {
    const b = Array.isArray(before) ? before : [];
    const a = Array.isArray(after) ? after : [];
    const idB = b.length ? identityOf(b) : undefined;
    const idA = a.length ? identityOf(a) : undefined;
    const id = b.length && a.length ? (idB === idA ? idB : undefined) : (idB ?? idA);
    if (id) {
      const bBy = new Map(b.map((i) => [(i as Obj)[id] as string, i]));
      const aBy = new Map(a.map((i) => [(i as Obj)[id] as string, i]));
      for (const k of new Set([...bBy.keys(), ...aBy.keys()])) walk(bBy.get(k), aBy.get(k), `${path}[${JSON.stringify(k)}]`, out, forces);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(b[i], a[i], `${path}[${i}]`, out, forces);
    return;
  }
  const b = isObject(before) ? before : {};
  const a = isObject(after) ? after : {};
  for (const k of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) walk(b[k], a[k], join(path, k), out, forces);
}
