import type { WhyNode } from '../../why/explain.js';
import { repeatedIdNote, snapshotNote } from '../../why/why.js';
import type { WhyData } from '../data.js';
import { html, type Html } from '../html.js';
import { audienceLink, runLink } from './parts.js';

/* Why one profile is or is not in an audience (as `linked why`): the tree, each node held or not. */

function node(n: WhyNode): Html {
  return html`<li class="${n.held ? 'held' : 'not-held'}"><span class="verdict" aria-label="${n.held ? 'holds' : 'does not hold'}">${n.held ? '✓' : '✗'}</span> <span class="label">${n.label}</span>${n.decidedBy ? html` <span class="muted decided">[${n.decidedBy}]</span>` : ''}${
    n.entityIds && n.entityIds.length > 0 ? html`<br><span class="muted">matching: ${n.entityIds.map((id, i) => html`${i ? ', ' : ''}<code>${id}</code>`)}</span>` : ''
  }${n.children.length > 0 ? html`<ul>${n.children.map(node)}</ul>` : ''}</li>`;
}

/** The form (user id and audience) and, once both are given, the explanation; `error` says why there is none. */
export function whyPage(d: WhyData, error?: string): Html {
  const w = d.why;
  const form = html`<form class="filter" method="get" action="/why">
<label for="why-user">User id<input id="why-user" name="user" value="${d.form.user ?? ''}" required></label>
<label for="why-audience">Audience<select id="why-audience" name="audience" required>${
    // Without an applied audience asked for, none is chosen for the reader: the first would be explained unasked.
    d.form.audience !== undefined && d.audiences.includes(d.form.audience) ? '' : html`<option value="" selected>choose an audience</option>`
  }${d.audiences.map((k) => html`<option value="${k}"${k === d.form.audience ? html` selected` : ''}>${k}</option>`)}</select></label>
<button type="submit">Explain</button>
</form>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}`;
  if (!w) return html`<h1>Why is a profile in or out of an audience?</h1>${form}`;
  const at = w.definition.runId ? html` as computed by run ${runLink(w.definition.runId)} (version ${w.definition.version})` : '';
  return html`<h1>Why <code>${w.profileId}</code> is ${w.member ? 'in' : 'not in'} ${w.audienceKey}</h1>
${form}
<p class="verdict-line">Profile <code>${w.profileId}</code> is <strong>${w.member ? 'IN' : 'NOT IN'}</strong> audience ${audienceLink(w.audienceKey)}${at}, evaluated at ${w.definition.now}.</p>
${repeatedIdNote(w) ? html`<p class="muted">${repeatedIdNote(w)}</p>` : ''}
<p class="muted snapshot">${snapshotNote(w, (runId) => runLink(runId))}</p>
<ul class="why">${node(w.tree)}</ul>`;
}
