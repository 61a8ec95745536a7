import type { RunData } from '../data.js';
import { href, html, when, type Html } from '../html.js';
import { formatCount } from '../../model/count.js';
import type { RunRow } from '../../compute/status.js';
import { RUN_HEAD, runRows } from './audience.js';
import { audienceLink, badge, dataTable, deliveryRunCells, duration, emitterLink, moreNote } from './parts.js';

/** The run history, of one audience when `audience` is given; `error` says why that key shows nothing. */
export function runsPage(runs: readonly RunRow[], audience: string | undefined, more = false, error?: string): Html {
  const head = [RUN_HEAD[0]!, 'Audience', ...RUN_HEAD.slice(1)];
  if (error) {
    return html`<h1>Runs</h1>
${runsForm(audience)}
<p class="error" role="alert">${error}</p>`;
  }
  return html`<h1>Runs${audience ? html` of ${audienceLink(audience)}` : ''}</h1>
${runsForm(audience)}
${dataTable('Run history, newest first', head, runRows(runs, true), audience ? `No runs of ${audience}.` : 'No runs yet.')}
${moreNote(more, runs.length, html`${audience ? '' : 'Show one audience with the form above. '}<code>linked runs${audience ? ` ${audience}` : ''} --limit 1000</code> lists more.`)}`;
}

const runsForm = (audience: string | undefined): Html => html`<form class="filter" method="get" action="/runs" role="search">
<label for="audience">Audience key<input id="audience" name="audience" value="${audience ?? ''}"></label>
<button type="submit">Show</button>
</form>`;

/** One run: its counts, the step it reached, its error with the seed's message, and the delivery passes that delivered its events. */
export function runPage(d: RunData): Html {
  const r = d.run;
  const deliveries = d.deliveries.map((x) => [html`${when(x.startedAt)}`, ...deliveryRunCells(x)]);
  return html`<h1>Run <code>${r.id}</code></h1>
<dl class="facts">
<dt>Audience</dt><dd>${audienceLink(r.audienceKey)}</dd>
<dt>Status</dt><dd>${badge(r.status)}</dd>
<dt>Trigger</dt><dd>${r.trigger}</dd>
<dt>Started</dt><dd>${when(r.startedAt)}</dd>
<dt>Ended</dt><dd>${when(r.endedAt)}</dd>
<dt>Duration</dt><dd>${duration(r.durationMs)}</dd>
<dt>Step</dt><dd>${r.step ?? '-'}</dd>
<dt>Members</dt><dd>${formatCount(r.members)}</dd>
<dt>Entered / exited</dt><dd>+${formatCount(r.entered)} / -${formatCount(r.exited)}</dd>
<dt>Entities added / removed</dt><dd>+${formatCount(r.entitiesAdded)} / -${formatCount(r.entitiesRemoved)}</dd>
${r.baseline ? html`<dt>Baseline</dt><dd>yes: the first run records members without sending them as entered</dd>` : ''}
${r.holder ? html`<dt>Computed by</dt><dd>${r.holder}</dd>` : ''}
${r.queryIds.length ? html`<dt>Warehouse queries</dt><dd><code>${r.queryIds.join(', ')}</code></dd>` : ''}
</dl>
${r.errorCode ? html`<h2>Error</h2><p class="error">[${r.errorCode}] ${r.errorMessage ?? ''}</p>${r.errorDetail ? html`<pre><code>${r.errorDetail}</code></pre>` : ''}` : ''}
<h2>Deliveries</h2>
<p class="muted">Delivery passes that sent or dead-lettered the events of this run (emitters of ${r.audienceKey}: ${d.emitters.length ? d.emitters.map((e, i) => html`${i ? ', ' : ''}${emitterLink(e)}`) : 'none'}).</p>
${dataTable('Delivery passes', ['Started', 'Emitter', 'Destination', 'Status', { label: 'Sent', num: true }, { label: 'Failed', num: true }, { label: 'Dead-lettered', num: true }, 'Last error'], deliveries, 'No delivery pass has delivered events of this run.')}
<p><a href="${href('runs') + `?audience=${encodeURIComponent(r.audienceKey)}`}">Other runs of ${r.audienceKey}</a></p>`;
}
