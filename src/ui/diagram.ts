import type { DataGraph, Relationship } from '../model/graph.js';
import { html, type Html } from './html.js';

/*
 * The Data Graph as inline SVG: the profile on the left, each relationship's entity one column
 * further right than its parent, a junction table drawn on its edge. Laid out on the server as a
 * tree (relationships form one: each has one parent), so the drawing needs no script.
 */

const BOX_W = 220;
const BOX_H = 54;
const COL_GAP = 90;
const ROW_GAP = 22;
const PAD = 16;

interface Placed {
  id: string;
  title: string;
  subtitle: string;
  x: number;
  y: number;
  parent?: string;
  relationship?: Relationship;
}

/** Depth-first: each node's row is the next free one, so children sit next to their parent. */
function layout(graph: DataGraph): Placed[] {
  const entities = new Map(graph.entities.map((e) => [e.slug, e]));
  const placed: Placed[] = [{ id: '', title: 'Profile', subtitle: graph.profile.table, x: PAD, y: PAD }];
  let row = 0;
  const visit = (parent: string | null, depth: number) => {
    for (const r of graph.relationships.filter((x) => x.parent === parent)) {
      const e = entities.get(r.entity);
      placed.push({
        id: r.slug,
        title: r.name,
        subtitle: `${e?.name ?? r.entity} · ${e?.table ?? ''}`,
        x: PAD + depth * (BOX_W + COL_GAP),
        y: PAD + row * (BOX_H + ROW_GAP),
        parent: parent ?? '',
        relationship: r,
      });
      row++;
      visit(r.slug, depth + 1);
    }
  };
  visit(null, 1);
  return placed;
}

const clip = (s: string, n = 28) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function graphDiagram(graph: DataGraph): Html {
  const nodes = layout(graph);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const width = Math.max(...nodes.map((n) => n.x)) + BOX_W + PAD;
  const height = Math.max(...nodes.map((n) => n.y)) + BOX_H + PAD;
  const edges = nodes
    .filter((n) => n.parent !== undefined)
    .map((n) => {
      const p = byId.get(n.parent!)!;
      const x1 = p.x + BOX_W;
      const y1 = p.y + BOX_H / 2;
      const x2 = n.x;
      const y2 = n.y + BOX_H / 2;
      const mx = (x1 + x2) / 2;
      const join = n.relationship!.join;
      const junction =
        join.type === 'junction'
          ? html`<rect x="${mx - 40}" y="${(y1 + y2) / 2 - 10}" width="80" height="20" rx="3" fill="#fff4e0" stroke="#b26a00"/><text x="${mx}" y="${(y1 + y2) / 2 + 4}" text-anchor="middle" font-size="10" fill="#5c3700">${clip(join.table, 14)}</text>`
          : '';
      return html`<g><title>${n.relationship!.slug}: ${joinText(n.relationship!)}</title><path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="#5a6370" stroke-width="1.5"/>${junction}</g>`;
    });
  const boxes = nodes.map(
    (n) =>
      html`<g class="node"><rect x="${n.x}" y="${n.y}" width="${BOX_W}" height="${BOX_H}" rx="6" fill="${n.id ? '#eef3fb' : '#1f5fbf'}" stroke="#1f5fbf"/><text x="${n.x + 10}" y="${n.y + 22}" font-size="13" font-weight="bold" fill="${n.id ? '#0d2a57' : '#fff'}">${clip(n.title)}</text><text x="${n.x + 10}" y="${n.y + 40}" font-size="11" fill="${n.id ? '#333' : '#fff'}">${clip(n.subtitle, 34)}</text></g>`,
  );
  return html`<figure class="diagram"><svg viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-labelledby="graph-title" xmlns="http://www.w3.org/2000/svg"><title id="graph-title">Data Graph: the profile and ${graph.relationships.length} relationship${graph.relationships.length === 1 ? '' : 's'}</title>${edges}${boxes}</svg></figure>`;
}

/** How a relationship joins, in words (also the table under the diagram). */
export function joinText(r: Relationship): string {
  const j = r.join;
  if (j.type === 'profile') return `profile.${j.profileColumn} (${j.via}) = ${r.entity}.${j.entityColumn}`;
  if (j.type === 'entity') return `${r.parent}.${j.parentColumn} = ${r.entity}.${j.entityColumn}`;
  return `${r.parent}.${j.parentColumn} = ${j.table}.${j.junctionParentColumn}; ${j.table}.${j.junctionEntityColumn} = ${r.entity}.${j.entityColumn}`;
}
