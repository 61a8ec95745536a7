/*
 * HTML built only through the `html` tag: every interpolated value is escaped unless it is
 * already Html (built by this tag, or a constant marked `trusted`). Names in the state come from
 * user code and destination responses; none of them may become markup.
 */

const SAFE = Symbol('html');

export interface Html {
  readonly [SAFE]: true;
  readonly text: string;
}

const make = (text: string): Html => ({ [SAFE]: true, text });

const isHtml = (v: unknown): v is Html => typeof v === 'object' && v !== null && (v as Partial<Html>)[SAFE] === true;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text safe in an element's content and in a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (isHtml(value)) return value.text;
  return escapeHtml(String(value));
}

/** Markup with its interpolations escaped; arrays are joined, null / undefined / false print nothing. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return make(out);
}

/** Markup written in this code base (a constant, never data). */
export const trusted = (text: string): Html => make(text);

/** A path with each segment URL-encoded: keys go into links as data, not as paths. */
export function href(...segments: (string | number)[]): string {
  return '/' + segments.map((s) => encodeURIComponent(String(s))).join('/');
}

/** An ISO instant without milliseconds; null -> `-`. */
export const when = (iso: string | Date | null | undefined): string =>
  iso ? (typeof iso === 'string' ? iso : iso.toISOString()).replace(/\.\d{3}Z$/, 'Z').replace('T', ' ') : '-';
