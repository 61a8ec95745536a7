import type { GraphData } from '../data.js';
import { graphDiagram, joinText } from '../diagram.js';
import { html, type Html } from '../html.js';
import { audienceLink, dataTable } from './parts.js';

const users = (keys: readonly string[] | undefined): Html => (keys?.length ? html`${keys.map((k, i) => html`${i ? ', ' : ''}${audienceLink(k)}`)}` : html`<span class="muted">none</span>`);

/** The applied Data Graph: the diagram, then its profile, relationships and columns with the audiences that use each. */
export function graphPage(d: GraphData): Html {
  const g = d.graph;
  if (!g) return html`<h1>Data Graph</h1><p class="empty">No Data Graph is applied: apply the stack first.</p>`;
  const entities = new Map(g.entities.map((e) => [e.slug, e]));
  const traits = [...new Set([...g.profile.traits, ...g.profile.identifiers])].map((t) => [
    html`<code>${t}</code>`,
    html`${g.profile.identifiers.includes(t) ? 'identifier' : 'trait'}`,
    users(d.usage.traits[t]),
  ]);
  const relationships = g.relationships.map((r) => {
    const e = entities.get(r.entity);
    const cols = Object.entries(d.usage.columns).filter(([k]) => k.startsWith(`${r.slug}.`));
    return [
      html`<strong>${r.name}</strong> <code>${r.slug}</code>`,
      html`${e?.name ?? r.entity} <code>${e?.table ?? ''}</code>`,
      html`${r.parent ?? 'profile'}`,
      html`<code>${joinText(r)}</code>${r.join.type === 'junction' ? html` <span class="muted">(junction)</span>` : ''}`,
      html`${e?.columns ? e.columns.join(', ') : html`<span class="muted">every column</span>`}`,
      users(d.usage.relationships[r.slug]),
      html`${cols.length ? cols.map(([k, v], i) => html`${i ? '; ' : ''}<code>${k.slice(r.slug.length + 1)}</code>: ${users(v)}`) : html`<span class="muted">-</span>`}`,
    ];
  });
  const events = Object.entries(d.usage.events).map(([name, keys]) => [html`${name}`, users(keys)]);
  return html`<h1>Data Graph <span class="muted">(${g.key})</span></h1>
${graphDiagram(g)}
<h2>Profile</h2>
<p><code>${g.profile.table}</code>, id <code>${g.profile.id}</code>${g.events ? html`; events in <code>${g.events.table}</code>` : ''}</p>
${dataTable('Profile columns', ['Column', 'Kind', 'Used by'], traits, 'No traits declared.')}
<h2>Relationships</h2>
${dataTable('Relationships', ['Relationship', 'Entity', 'Parent', 'Join', 'Columns', 'Used by', 'Columns filtered'], relationships, 'No relationships.')}
<h2>Events</h2>
${dataTable('Events used by audiences', ['Event', 'Used by'], events, 'No audience uses events.')}`;
}
