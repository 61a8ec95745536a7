import { html, trusted, type Html } from './html.js';

/* The page shell and the one stylesheet, both served by this process (no CDN, no build step). */

export const NAV = [
  { path: '/audiences', label: 'Audiences' },
  { path: '/runs', label: 'Runs' },
  { path: '/deliveries', label: 'Deliveries' },
  { path: '/audit', label: 'Audit' },
  { path: '/graph', label: 'Data Graph' },
] as const;

export type Section = (typeof NAV)[number]['path'];

export interface PageOptions {
  title: string;
  section?: Section;
  /** Shown in the header: which stack and state schema the pages read. */
  context: string;
}

export function page(o: PageOptions, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · linked</title>
<link rel="stylesheet" href="/assets/ui.css">
<link rel="icon" href="data:,">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">linked</span>
<nav aria-label="Sections"><ul>${NAV.map((n) => html`<li><a href="${n.path}"${o.section === n.path ? trusted(' aria-current="page"') : ''}>${n.label}</a></li>`)}</ul></nav>
<span class="context">${o.context} · read-only</span>
</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

/** The stylesheet at /assets/ui.css. Contrast of text on its background is 4.5:1 or more. */
export const STYLESHEET = `
:root { --fg: #1b1f24; --muted: #4a5360; --line: #d0d4da; --accent: #1f5fbf; --bg: #fff; --soft: #f4f6f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; }
header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #0d2a57; color: #fff; flex-wrap: wrap; }
header a { color: #fff; text-decoration: none; padding: 4px 2px; }
header a[aria-current="page"] { border-bottom: 2px solid #fff; font-weight: 600; }
header nav ul { display: flex; flex-wrap: wrap; gap: 4px 18px; list-style: none; margin: 0; padding: 0; }
.brand { font-weight: 700; font-size: 17px; }
.context { margin-left: auto; font-size: 13px; color: #dbe4f3; }
main { padding: 20px 24px 48px; max-width: 1200px; }
h1 { font-size: 24px; margin: 4px 0 12px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
.scroll { overflow-x: auto; }
/* At the start of the line, not centered over a table wider than the screen, where it would sit off screen. */
caption { text-align: left; }
.scroll:focus-visible { outline: 2px solid var(--accent); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--soft); padding: 10px; overflow-x: auto; border: 1px solid var(--line); white-space: pre-wrap; word-break: break-word; }
.status { display: inline-block; white-space: nowrap; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; }
.status-Live { background: #dff3e2; color: #1b5e20; }
.status-Computing { background: #e3ecfa; color: #0d3c85; }
.status-Disabled { background: #eceff1; color: #37474f; }
.status-Failed, .status-blocked, .status-failed { background: #fde3e1; color: #8c1d18; }
.status-delivered { background: #dff3e2; color: #1b5e20; }
.status-partial { background: #fff1d6; color: #6b4100; }
.status-retrying { background: #fff1d6; color: #6b4100; }
.status-pending, .status-waiting_for_compute, .status-up_to_date { background: #e3ecfa; color: #0d3c85; }
form.filter { display: flex; gap: 12px; align-items: end; flex-wrap: wrap; margin: 8px 0 12px; }
form.filter label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
form.filter input, form.filter select { font: inherit; padding: 4px 6px; border: 1px solid #8a93a0; border-radius: 4px; }
button { font: inherit; padding: 5px 14px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 4px; cursor: pointer; }
.muted, .empty { color: var(--muted); }
.error { color: #8c1d18; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
/* A commit hash, an e-mail or a list of bound values has no space to break at: break it anywhere rather than widen the page. */
dl.facts dd, code { overflow-wrap: anywhere; }
ul.condition, ul.condition ul { list-style: none; padding-left: 18px; border-left: 2px solid var(--line); margin: 4px 0; }
ul.condition { border-left: none; padding-left: 0; }
ul.condition li { margin: 3px 0; }
ul.why, ul.why ul { list-style: none; padding-left: 18px; border-left: 2px solid var(--line); margin: 4px 0; }
ul.why { border-left: none; padding-left: 0; }
ul.why li { margin: 3px 0; }
ul.why .verdict { font-weight: 700; }
ul.why li.held > .verdict { color: #1a6b2f; }
ul.why li.not-held > .verdict { color: #8c1d18; }
.group { font-weight: 600; color: #0d3c85; }
figure { margin: 8px 0; }
figure.diagram, figure.chart { overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: var(--muted); }
.key::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.key.size::before { background: #1f5fbf; }
.key.entered::before { background: #2e7d32; }
.key.exited::before { background: #b3261e; }
.diff { margin: 4px 0 12px; }
.diff .add { color: #1b5e20; }
.diff .del { color: #8c1d18; }
.counts { display: flex; gap: 10px; flex-wrap: wrap; margin: 4px 0; font-size: 14px; }
`;
