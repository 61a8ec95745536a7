import { sizeChart } from '../chart.js';
import { renderCondition } from '../condition.js';
import type { AudienceData } from '../data.js';
import { href, html, when, type Html } from '../html.js';
import { formatCount } from '../../model/count.js';
import { emitterStateLabel } from '../../activation/health.js';
import type { RunRow } from '../../compute/status.js';
import { age, audienceLink, badge, dataTable, duration, emitterLink, runLink } from './parts.js';

export function runRows(runs: readonly RunRow[], withAudience: boolean): Html[][] {
  return runs.map((r) => [
    runLink(r.id, when(r.startedAt)),
    ...(withAudience ? [audienceLink(r.audienceKey)] : []),
    badge(r.status),
    html`${r.trigger}`,
    html`${duration(r.durationMs)}`,
    html`${formatCount(r.members)}`,
    html`${r.entered === null ? '-' : `+${formatCount(r.entered)}`}`,
    html`${r.exited === null ? '-' : `-${formatCount(r.exited)}`}`,
    // What an entity-triggered emitter sends: `linked runs` shows them as ENT+ and ENT-.
    html`${r.entitiesAdded === null ? '-' : `+${formatCount(r.entitiesAdded)}`}`,
    html`${r.entitiesRemoved === null ? '-' : `-${formatCount(r.entitiesRemoved)}`}`,
    html`${r.errorCode ? html`<span class="error">[${r.errorCode}]</span> ${r.errorMessage ?? ''}` : ''}`,
  ]);
}

export const RUN_HEAD = ['Started', 'Status', 'Trigger', 'Duration', { label: 'Members', num: true as const }, { label: 'Entered', num: true as const }, { label: 'Exited', num: true as const }, { label: 'Entities added', num: true as const }, { label: 'Entities removed', num: true as const }, 'Error'];

/** One audience: size over time, its condition, its SQL per dialect, runs, emitters and their delivery health, apply history. */
export function audiencePage(d: AudienceData): Html {
  const a = d.audience;
  const s = d.status;
  const live = d.runs.filter((r) => r.status === 'Live' && r.members !== null).reverse();
  const points = live.map((r) => ({ at: r.startedAt, members: r.members ?? 0, entered: r.entered ?? 0, exited: r.exited ?? 0 }));
  const emitters = d.emitters.map((e) => [
    emitterLink(e.emitterKey),
    html`${e.trigger}`,
    html`${e.destinationName} <span class="muted">(${e.destinationType})</span>`,
    html`${badge(e.state, emitterStateLabel(e))}${e.blockedReason ? html` ${e.blockedReason}` : ''}`,
    html`${formatCount(e.pending)}`,
    html`${age(e.lagSeconds)}`,
    html`${when(e.lastSuccessAt)}`,
    html`${e.deadLetters > 0 ? html`<a href="${`/deliveries?emitter=${encodeURIComponent(e.emitterKey)}#dead-letters`}">${formatCount(e.deadLetters)}</a>` : '0'}`,
  ]);
  const history = d.history.map((h) => [
    html`${when(h.appliedAt)}`,
    html`${h.changes.map((c) => c.action).join(', ')}`,
    html`${h.commitSha ? html`<code>${h.commitSha.slice(0, 12)}</code>` : '-'}${h.prNumber ? html` PR #${h.prNumber}` : ''}`,
    html`${h.author ?? '-'}`,
    html`${h.appliedBy ?? '-'}`,
  ]);
  return html`<h1>${a.name || a.key} <span class="muted">(${a.key})</span></h1>
${a.description ? html`<p>${a.description}</p>` : ''}
<dl class="facts">
<dt>Status</dt><dd>${badge(s.status)}${s.paused ? html` paused: ${s.pausedReason ?? ''} (<code>linked resume ${a.key}</code>)` : ''}</dd>
<dt>Size</dt><dd>${formatCount(s.size)}</dd>
<dt>Last run</dt><dd>${s.lastRunId ? runLink(s.lastRunId, when(s.lastRunAt)) : '-'}</dd>
<dt>Next run</dt><dd>${s.status === 'Disabled' ? '-' : s.nextRunAt ? when(s.nextRunAt) : 'due now'}</dd>
<dt>Schedule</dt><dd>${s.schedule}</dd>
${d.usedBy.length ? html`<dt>Used by</dt><dd>${d.usedBy.map((k, i) => html`${i ? ', ' : ''}${audienceLink(k)}`)}</dd>` : ''}
</dl>
<h2>Size over time</h2>
${sizeChart(points, `Size of ${a.key} per run`)}
<h2>Condition</h2>
${renderCondition(a.condition)}
<h2 id="why">Why is a profile in or out?</h2>
<form class="filter" method="get" action="/why">
<input type="hidden" name="audience" value="${a.key}">
<label for="why-user">User id<input id="why-user" name="user" required></label>
<button type="submit">Explain</button>
</form>
<h2>Runs</h2>
<p class="muted">Newest first; <a href="${href('runs') + `?audience=${encodeURIComponent(a.key)}`}">all runs of ${a.key}</a>.</p>
${dataTable(`Runs of ${a.key}`, RUN_HEAD, runRows(d.runs.slice(0, 20), false), 'No runs yet.')}
<h2>Emitters</h2>
${dataTable(
  `Emitters of ${a.key}`,
  ['Emitter', 'Trigger', 'Destination', 'State', { label: 'Pending', num: true }, 'Lag', 'Last success', { label: 'Dead letters', num: true }],
  emitters,
  'No event emitter sends this audience anywhere.',
)}
<h2>SQL</h2>
${d.sql.map(
  (q) => html`<details><summary>${q.dialect}</summary>${q.error ? html`<p class="error">${q.error}</p>` : html`<pre><code>${q.text}</code></pre><p class="muted">Bound values, in order: <code>${JSON.stringify(q.params)}</code></p>`}</details>`,
)}
<h2>Changes</h2>
${dataTable(`Applies that changed ${a.key}`, ['Applied', 'Change', 'Commit', 'Author', 'Applied by'], history, 'No apply recorded for this audience.')}
<p class="muted"><a href="${`/audit?resource=${encodeURIComponent(`audience.${a.key}`)}`}">Diffs of these changes</a></p>`;
}
