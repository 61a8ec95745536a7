import { unreadableVersionNote, type Trace } from '../../trace/trace.js';
import { html, when, type Html } from '../html.js';
import { audienceLink, badge, emitterLink, runLink } from './parts.js';

/* An event's trace (as `linked trace`): delivery, outbox row, run, audience version, apply, commit. */

const or = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '-' : String(v));

/** The form that asks for a messageId or a user id; `error` says why the last one found nothing. */
export function traceForm(id: string | undefined, error?: string): Html {
  return html`<form class="filter" method="get" action="/trace" role="search">
<label for="trace-id">messageId or user id<input id="trace-id" name="id" value="${id ?? ''}" required></label>
<button type="submit">Trace</button>
</form>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}`;
}

export function tracePage(t: Trace): Html {
  const d = t.delivery;
  const s = t.source;
  const r = t.run;
  const v = t.version;
  const a = t.apply;
  return html`<h1>Trace of <code>${d.messageId}</code></h1>
<p>Event <strong>${d.event}</strong> to <code>${d.userId}</code>${d.entityId ? html` (entity <code>${d.entityId}</code>)` : ''}${s ? html` — <a href="${`/why?audience=${encodeURIComponent(s.audienceKey)}&user=${encodeURIComponent(d.userId)}`}">why is ${d.userId} in or out of ${s.audienceKey} now?</a>` : ''}</p>
<h2 id="delivery">${d.status === 'dead_lettered' ? 'Dead-lettered' : 'Delivered'}</h2>
<dl class="facts">
<dt>When</dt><dd>${when(d.deliveredAt)}</dd>
<dt>Status</dt><dd>${badge(d.status)}</dd>
<dt>Destination</dt><dd>${d.destinationKey}, by emitter ${emitterLink(d.emitterKey)} (delivery run <code>${d.deliveryRunId}</code>)</dd>
${d.response ? html`<dt>Response</dt><dd>${or(d.response.httpStatus)} ${d.response.reason}${d.response.body ? html`<pre><code>${d.response.body.slice(0, 2000)}</code></pre>` : ''}</dd>` : ''}
</dl>
${
  s
    ? html`<h2 id="source">${s.source === 'outbox' ? 'Outbox row' : 'Backfill row'}</h2>
<dl class="facts">
<dt>Row</dt><dd>${s.id}: ${s.kind} <code>${s.profileId}</code>${s.entityId ? html` ${s.entityPath}/<code>${s.entityId}</code>` : ''}${s.baseline ? ' (baseline)' : ''}</dd>
<dt>Audience</dt><dd>${audienceLink(s.audienceKey)}</dd>
<dt>${s.source === 'outbox' ? 'Written' : 'Copied'}</dt><dd>${when(s.createdAt)}</dd>
</dl>`
    : ''
}
${
  r
    ? html`<h2 id="run">Computed</h2>
<dl class="facts">
<dt>Run</dt><dd>${runLink(r.id, r.id)} (${r.trigger === 'manual' ? 'compute now' : r.trigger}), ${badge(r.status)}</dd>
<dt>Started</dt><dd>${when(r.startedAt)}, ${or(r.durationMs)} ms</dd>
${r.queryIds.length > 0 ? html`<dt>Query ids</dt><dd>${r.queryIds.map((q, i) => html`${i ? ', ' : ''}<code>${q}</code>`)}</dd>` : ''}
</dl>`
    : ''
}
${
  v
    ? html`<h2 id="definition">Definition</h2>
<p>Audience <code>${v.key}</code> version ${v.version}${v.link === 'inferred' ? ' (in effect when the run started; the run predates recorded versions)' : ''}${v.deleted ? ' (deleted since)' : ''}, spec <code>${v.specHash.slice(0, 12)}</code></p>
${v.definition ? html`<pre class="definition"><code>${v.definition}</code></pre>` : ''}${v.problem !== null ? html`<p class="error">Definition not shown: ${unreadableVersionNote(v)}.</p>` : ''}`
    : ''
}
${
  a
    ? html`<h2 id="apply">Applied</h2>
<dl class="facts">
<dt>Applied</dt><dd>${when(a.appliedAt)} by ${or(a.appliedBy)} (apply <code>${a.id}</code>, stack ${a.stack})</dd>
<dt>Commit</dt><dd><code>${or(a.commitSha)}</code>${a.dirty ? ' (the working tree had uncommitted changes)' : ''}${a.commitSubject ? html` <q>${a.commitSubject}</q>${a.commitSubjectFrom === 'git' ? ' (from git: not recorded at apply)' : ''}` : a.commitSha ? ' (commit message not recorded)' : ''}</dd>
<dt>Author</dt><dd>${or(a.author)}</dd>
${a.prNumber !== null ? html`<dt>Pull request</dt><dd>#${a.prNumber}${a.repository ? ` in ${a.repository}` : ''}${a.approvers.length > 0 ? `, approved by ${a.approvers.join(', ')}` : ''}</dd>` : ''}
${a.runUrl ? html`<dt>CI run</dt><dd>${a.runUrl}</dd>` : ''}
</dl>`
    : ''
}
${t.gaps.map((g) => html`<p class="muted">The chain ends here: ${g}</p>`)}`;
}
