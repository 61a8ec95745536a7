import { html, when, type Html } from './html.js';
import { formatCount } from '../model/count.js';

/*
 * Audience size over time as inline SVG, drawn on the server: no script, no chart library, no
 * request for anything. Colors come as attributes, not style (the page's CSP allows no inline
 * style). The numbers are also in the runs table under the chart, for readers without images.
 */

export interface SizePoint {
  at: Date;
  members: number;
  entered: number;
  exited: number;
}

const W = 720;
const H = 240;
const PAD = { left: 64, right: 16, top: 16, bottom: 48 };
const SIZE_COLOR = '#1f5fbf';
const ENTERED_COLOR = '#2e7d32';
const EXITED_COLOR = '#b3261e';

/**
 * 1, 2, 5 x 10^n steps: about four gridlines up to `max`. Members are counted, so a step is never
 * below 1: a fractional step for a small audience would round to the same label twice.
 */
function ticks(max: number): number[] {
  if (max <= 0) return [0];
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!);
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

/** Members (line) and entered / exited (two bars side by side) per run, oldest left. */
export function sizeChart(points: readonly SizePoint[], title: string): Html {
  if (points.length === 0) return html`<p class="empty">No successful run yet: the chart appears after the first.</p>`;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxY = Math.max(1, ...points.map((p) => Math.max(p.members, p.entered)));
  const grid = ticks(maxY);
  const top = grid.at(-1)!;
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const slot = plotW / points.length;
  const x = (i: number) => PAD.left + slot * (i + 0.5);
  const barW = Math.max(2, Math.min(18, slot / 3));
  const line = points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.members).toFixed(1)}`).join(' ');
  const labelEvery = Math.max(1, Math.ceil(points.length / 6));
  // Runs minutes apart need the time to the second; runs days apart, the date.
  const withinADay = points.at(-1)!.at.getTime() - points[0]!.at.getTime() < 86_400_000;
  const label = (d: Date) => (withinADay ? when(d).slice(11, 19) : when(d).slice(5, 16));
  const desc = `${points.length} runs from ${when(points[0]!.at)} to ${when(points.at(-1)!.at)}; size now ${formatCount(points.at(-1)!.members)}.`;
  return html`<figure class="chart">
<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">
<title id="chart-title">${title}</title><desc id="chart-desc">${desc}</desc>
${grid.map((v) => html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#d0d4da" stroke-width="1"/><text x="${PAD.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#333">${formatCount(v)}</text>`)}
${points.map(
  (p, i) => html`<rect x="${(x(i) - barW).toFixed(1)}" y="${y(p.entered).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(p.entered)).toFixed(1)}" fill="${ENTERED_COLOR}"><title>${when(p.at)}: entered ${formatCount(p.entered)}</title></rect><rect x="${x(i).toFixed(1)}" y="${y(p.exited).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(p.exited)).toFixed(1)}" fill="${EXITED_COLOR}"><title>${when(p.at)}: exited ${formatCount(p.exited)}</title></rect>`,
)}
<path d="${line}" fill="none" stroke="${SIZE_COLOR}" stroke-width="2.5"/>
${points.map((p, i) => html`<circle cx="${x(i).toFixed(1)}" cy="${y(p.members).toFixed(1)}" r="3.5" fill="${SIZE_COLOR}"><title>${when(p.at)}: ${formatCount(p.members)} members</title></circle>`)}
${points.map((p, i) => (i % labelEvery === 0 || i === points.length - 1 ? html`<text x="${x(i).toFixed(1)}" y="${H - PAD.bottom + 18}" text-anchor="middle" font-size="11" fill="#333">${label(p.at)}</text>` : ''))}
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333" stroke-width="1"/>
</svg>
<figcaption><span class="key size">members</span> <span class="key entered">entered</span> <span class="key exited">exited</span> per run</figcaption>
</figure>`;
}
