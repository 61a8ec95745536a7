import type { AuditEntry } from '../data.js';
import { html, when, type Html } from '../html.js';
import { moreNote } from './parts.js';

/** The apply log joined with git: who applied which commit (PR, author, approvers), and each change's diff. */
export function auditPage(entries: readonly AuditEntry[], joinedWithGit: boolean, resource: string | undefined, more = false): Html {
  const items = entries.map(
    (e) => html`<section class="apply" aria-labelledby="${`apply-${e.applyId}`}">
<h2 id="${`apply-${e.applyId}`}">${when(e.appliedAt)}${e.subject ? html`: ${e.subject}` : ''}</h2>
<dl class="facts">
<dt>Commit</dt><dd>${e.commit ? html`<code>${e.commit}</code>${e.dirty ? ' + uncommitted changes' : ''}` : 'none recorded'}</dd>
${e.pr ? html`<dt>Pull request</dt><dd>#${e.pr}</dd>` : ''}
<dt>Author</dt><dd>${e.author ?? '-'}</dd>
<dt>Applied by</dt><dd>${e.appliedBy ?? '-'}</dd>
<dt>Approvers</dt><dd>${e.approvers.length ? e.approvers.join(', ') : '-'}</dd>
${e.stack ? html`<dt>Stack</dt><dd>${e.stack}</dd>` : ''}
${e.note ? html`<dt>Note</dt><dd class="muted">${e.note}</dd>` : ''}
</dl>
${e.diff.map((c) => html`<pre class="diff" aria-label="${`Change to ${c.address}`}"><code>${c.lines.map((l) => html`<span class="${/^\s*\+/.test(l) ? 'add' : /^\s*-/.test(l) ? 'del' : ''}">${l}</span>\n`)}</code></pre>`)}
</section>`,
  );
  return html`<h1>Audit${resource ? html` of <code>${resource}</code>` : ''}</h1>
<form class="filter" method="get" action="/audit" role="search">
<label for="resource">Resource (address or key)<input id="resource" name="resource" value="${resource ?? ''}" placeholder="audience.vip"></label>
<button type="submit">Filter</button>
</form>
<p class="muted">${joinedWithGit ? 'Commits read from the git clone of the project.' : 'The project directory is not a git clone: commits and authors as the apply recorded them.'}</p>
${items.length ? items : html`<p class="empty">No apply recorded${resource ? ' for this resource' : ''}.</p>`}
${moreNote(more, items.length, html`Filter by resource above, or read more with <code>linked audit --limit 1000</code>.`)}`;
}
