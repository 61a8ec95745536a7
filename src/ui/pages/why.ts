import type { WhyEntityRows, WhyNode, WhyRowNode } from '../../why/explain.js';
import { repeatedIdNote, snapshotNote } from '../../why/why.js';
import type { WhyData } from '../data.js';
import { html, type Html } from '../html.js';
import { audienceLink, runLink } from './parts.js';

/* Why one profile is or is not in an audience (as `linked why`): the tree, each node held or not. */

/** One line of the tree: the verdict, what was asked and what decided it. */
function line(held: boolean, label: Html | string, decidedBy: string | null, verdict = held ? 'holds' : 'does not hold'): Html {
  return html`<span class="verdict" aria-label="${verdict}">${held ? '✓' : '✗'}</span> <span class="label">${label}</span>${decidedBy ? html` <span class="muted decided">[${decidedBy}]</span>` : ''}`;
}

/** The related rows an entity condition explains, each with its filter part by part, then how many more there are. */
function rows(r: WhyEntityRows): Html {
  const shown = r.shown.map(
    (row) =>
      html`<li class="row ${row.matched ? 'held' : 'not-held'}">${line(row.matched, html`${r.relationship} <code>${row.key}</code>`, row.matched ? 'counts' : 'does not count', row.matched ? 'counts' : 'does not count')}<ul>${rowNode(row.where)}</ul></li>`,
  );
  return html`${shown}${r.more > 0 ? html`<li class="more muted"><span class="label">… ${r.more} more ${r.relationship} not shown</span></li>` : ''}`;
}

function rowNode(n: WhyRowNode): Html {
  const below = [...(n.rows ? [rows(n.rows)] : []), ...n.children.map(rowNode)];
  return html`<li class="${n.held ? 'held' : 'not-held'}">${line(n.held, n.label, n.decidedBy)}${below.length > 0 ? html`<ul>${below}</ul>` : ''}</li>`;
}

function node(n: WhyNode): Html {
  const below = [...(n.rows ? [rows(n.rows)] : []), ...n.children.map(node)];
  return html`<li class="${n.held ? 'held' : 'not-held'}">${line(n.held, n.label, n.decidedBy)}${
    n.entityIds && n.entityIds.length > 0 ? html`<br><span class="muted">matching: ${n.entityIds.map((id, i) => html`${i ? ', ' : ''}<code>${id}</code>`)}</span>` : ''
  }${below.length > 0 ? html`<ul>${below}</ul>` : ''}</li>`;
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
