import { href, html, type Html } from '../html.js';
import { formatCount } from '../../model/count.js';
import type { DeliveryRunRow } from '../../activation/inspect.js';

/* Pieces several pages share. */

/** A status in the product's words, colored by a class (the word itself carries the meaning). */
export const badge = (status: string, label = status.replaceAll('_', ' ')): Html => html`<span class="status status-${status.replace(/[^A-Za-z_]/g, '')}">${label}</span>`;

export const audienceLink = (key: string): Html => html`<a href="${href('audiences', key)}">${key}</a>`;
export const runLink = (id: string, label = id.slice(0, 8)): Html => html`<a href="${href('runs', id)}" title="${id}">${label}</a>`;
export const emitterLink = (key: string): Html => html`<a href="${`/deliveries?emitter=${encodeURIComponent(key)}`}">${key}</a>`;

/** A delivery pass's cells from its emitter on (the deliveries page and a run's page show them alike). */
export const deliveryRunCells = (r: DeliveryRunRow): Html[] => [
  emitterLink(r.emitterKey),
  html`${r.destinationKey}`,
  badge(r.status),
  html`${formatCount(r.sent)}`,
  html`${formatCount(r.failed)}`,
  html`${formatCount(r.deadLettered)}`,
  html`${r.lastError ?? ''}`,
];

export { duration, formatAge as age } from '../../compute/format.js';

/**
 * A table with a caption for screen readers; `empty` replaces it when there are no rows. Wider
 * than a phone's screen, it scrolls inside its own box rather than widening the page; the box is
 * a named region that takes focus, so a keyboard can scroll it too.
 */
export function dataTable(caption: string, head: (string | { label: string; num: true })[], rows: Html[][], empty: string): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  const th = head.map((h) => (typeof h === 'string' ? html`<th scope="col">${h}</th>` : html`<th scope="col" class="num">${h.label}</th>`));
  const numeric = head.map((h) => typeof h !== 'string');
  return html`<div class="scroll" role="region" aria-label="${caption}" tabindex="0"><table><caption class="muted">${caption}</caption><thead><tr>${th}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((c, i) => (numeric[i] ? html`<td class="num">${c}</td>` : html`<td>${c}</td>`))}</tr>`,
  )}</tbody></table></div>`;
}

/** Said under a list cut at its limit, so a reader does not take the newest rows for all of them. */
export const moreNote = (more: boolean, shown: number, narrow: Html | string): Html | '' =>
  more ? html`<p class="muted more" role="note">Showing only the newest ${formatCount(shown)}; older ones are left out. ${narrow}</p>` : '';
