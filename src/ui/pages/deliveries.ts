import type { DeliveriesData, DeliveryFilterParams } from '../data.js';
import { href, html, when, type Html } from '../html.js';
import { formatCount } from '../../model/count.js';
import { emitterStateLabel } from '../../activation/health.js';
import { age, badge, dataTable, deliveryRunCells, emitterLink, moreNote } from './parts.js';

/** The search by emitter, user id and event name (as `linked deliveries`). */
export const deliveriesForm = (f: DeliveryFilterParams): Html => html`<form class="filter" method="get" action="/deliveries" role="search">
<label for="emitter">Emitter<input id="emitter" name="emitter" value="${f.emitter ?? ''}"></label>
<label for="user">User id<input id="user" name="user" value="${f.user ?? ''}"></label>
<label for="event">Event name<input id="event" name="event" value="${f.event ?? ''}"></label>
<button type="submit">Search</button>
</form>`;

/** When a delivering daemon tries a blocked emitter again; a time past means none has tried it since (as `linked status` says). */
const nextTry = (at: string): Html =>
  Date.parse(at) > Date.now() ? html`a daemon tries again at ${when(at)}` : html`a daemon tries again at its next look (due at ${when(at)})`;

/** Delivery per emitter and destination, the delivery log, dead letters with the response, and the search by user id or event name. */
export function deliveriesPage(d: DeliveriesData, f: DeliveryFilterParams): Html {
  const health = d.health.map((h) => [
    emitterLink(h.emitterKey),
    html`${h.destinationName} <span class="muted">(${h.destinationType})</span>`,
    html`${badge(h.state, emitterStateLabel(h))}${h.state === 'blocked' ? html` ${h.blockedReason ?? ''}` : ''}${h.state === 'blocked' && h.nextTryAt ? html`<br><span class="muted">${nextTry(h.nextTryAt)}</span>` : ''}${h.state === 'retrying' && h.retryBudgetEndsAt ? html`<br><span class="muted">dead letters at ${when(h.retryBudgetEndsAt)}</span>` : ''}`,
    html`${formatCount(h.pending)}`,
    html`${age(h.lagSeconds)}`,
    html`${when(h.lastSuccessAt)}`,
    html`${formatCount(h.consecutiveFailures)}`,
    html`${formatCount(h.deadLetters)}`,
    html`${h.lastError ?? ''}`,
  ]);
  const runs = d.runs.map((r) => [
    html`${when(r.startedAt)}`,
    html`<code title="${r.runId}">${r.runId.slice(0, 8)}</code>`,
    ...deliveryRunCells(r),
  ]);
  const dead = d.deadLetters.map((x) => [
    html`${when(x.createdAt)}`,
    emitterLink(x.emitterKey),
    html`<code>${x.userId}</code>`,
    html`${x.eventName}`,
    html`[${x.reasonCode}] ${x.reason}`,
    html`${x.httpStatus ?? '-'}`,
    html`${x.responseBody ? html`<pre><code>${x.responseBody}</code></pre>` : '-'}`,
    html`${x.replayedAt ? `replayed ${when(x.replayedAt)}` : x.replayCount ? `${x.replayCount} replays` : '-'}`,
  ]);
  const records = d.records.map((r) => [
    html`${when(r.deliveredAt)}`,
    emitterLink(r.emitterKey),
    html`<code>${r.userId}</code>`,
    html`${r.event}`,
    html`${r.entityId ?? ''}`,
    html`${r.status}`,
    html`<a href="${href('trace', r.messageId)}" title="Trace this event to its run, audience version and commit"><code>${r.messageId}</code></a>`,
  ]);
  return html`<h1>Deliveries${f.emitter ? html` of ${f.emitter}` : ''}</h1>
${deliveriesForm(f)}
<h2 id="health">Per emitter</h2>
${dataTable(
  'Delivery health per emitter',
  ['Emitter', 'Destination', 'State', { label: 'Pending', num: true }, 'Lag', 'Last success', { label: 'Failures', num: true }, { label: 'Dead letters', num: true }, 'Last error'],
  health,
  'No applied emitter.',
)}
<h2 id="sent">Sent events</h2>
${dataTable('Events sent, newest first', ['Delivered', 'Emitter', 'User', 'Event', 'Entity', 'Status', 'Message id'], records, 'No event matches.')}
${moreNote(d.more.records, records.length, 'Search by emitter, user id or event name above.')}
<h2 id="dead-letters">Dead letters</h2>
${dataTable('Dead letters not replayed, newest first', ['When', 'Emitter', 'User', 'Event', 'Reason', 'HTTP', 'Response', 'Replay'], dead, 'No dead letters.')}
${moreNote(d.more.deadLetters, dead.length, html`<code>linked dead-letters --limit 1000</code> lists more.`)}
${d.deadLetters.length ? html`<p class="muted">Replay them with <code>linked replay${f.emitter ? ` --emitter ${f.emitter}` : ''}</code> once the cause is fixed.</p>` : ''}
<h2 id="log">Delivery log</h2>
${dataTable('Delivery passes, newest first', ['Started', 'Delivery run', 'Emitter', 'Destination', 'Status', { label: 'Sent', num: true }, { label: 'Failed', num: true }, { label: 'Dead-lettered', num: true }, 'Last error'], runs, 'Nothing delivered yet.')}
${moreNote(d.more.runs, runs.length, 'Show one emitter with the form above.')}`;
}
