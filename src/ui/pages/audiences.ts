import { STATUSES } from '../../compute/types.js';
import type { AudienceFilter, AudiencesData } from '../data.js';
import { html, when, type Html } from '../html.js';
import { formatCount } from '../../model/count.js';
import { audienceLink, badge, dataTable, runLink } from './parts.js';

/** Every applied audience: status in the product's words, size, last and next run, schedule; filter and search by GET form (works without script). */
export function audiencesPage(d: AudiencesData, filter: AudienceFilter): Html {
  const rows = d.audiences.map((a) => [
    html`${audienceLink(a.audience)}${a.name && a.name !== a.audience ? html`<br><span class="muted">${a.name}</span>` : ''}`,
    html`${badge(a.status)}${a.paused ? html` <span class="muted">(paused)</span>` : ''}`,
    html`${formatCount(a.size)}`,
    a.lastRunId ? html`${runLink(a.lastRunId, when(a.lastRunAt))}` : html`-`,
    html`${a.status === 'Disabled' ? '-' : a.paused ? 'paused: linked resume' : a.nextRunAt ? when(a.nextRunAt) : 'due now'}`,
    html`${a.schedule}`,
    html`${a.emitters.length}`,
  ]);
  const counts = STATUSES.map((s) => html`<span>${badge(s)} ${formatCount(d.byStatus[s] ?? 0)}</span>`);
  return html`<h1>Audiences</h1>
<div class="counts" aria-label="Audiences by status">${counts}</div>
<form class="filter" method="get" action="/audiences" role="search">
<label for="q">Search<input id="q" name="q" type="search" value="${filter.q ?? ''}" placeholder="key, name or description"></label>
<label for="status">Status<select id="status" name="status"><option value="">any</option>${STATUSES.map(
    (s) => html`<option value="${s}"${filter.status === s ? html` selected` : ''}>${s}</option>`,
  )}</select></label>
<button type="submit">Filter</button>
</form>
${d.unreadable.length > 0 ? html`<section aria-label="Cannot be read in the state"><h2>Cannot be read in the state</h2><ul>${d.unreadable.map((m) => html`<li>${m}</li>`)}</ul></section>` : ''}
<p class="muted">${d.audiences.length} of ${d.total} audiences.</p>
${dataTable(
  'Applied audiences',
  ['Audience', 'Status', { label: 'Size', num: true }, 'Last run', 'Next run', 'Schedule', { label: 'Emitters', num: true }],
  rows,
  d.total === 0 ? 'No applied audiences: apply the stack (linked plan, linked apply), then they appear here.' : 'No audience matches the filter.',
)}`;
}
