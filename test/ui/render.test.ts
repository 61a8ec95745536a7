import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/model/condition.js';
import { sizeChart } from '../../src/ui/chart.js';
import { renderCondition } from '../../src/ui/condition.js';
import { graphDiagram } from '../../src/ui/diagram.js';
import { escapeHtml, href, html, trusted } from '../../src/ui/html.js';
import { bank } from '../fixtures/bank.js';
import type { EmitterView } from '../../src/ui/data.js';
import { deliveriesPage } from '../../src/ui/pages/deliveries.js';

/* The renderers on their own: escaping, the condition tree, the SVG pieces. */

const HOSTILE = `<b x='1'>"&\``;

describe('html', () => {
  it('escapes every interpolation unless it is markup built by the tag', () => {
    expect(escapeHtml(HOSTILE)).toBe('&lt;b x=&#39;1&#39;&gt;&quot;&amp;&#96;');
    expect(html`<p title="${HOSTILE}">${HOSTILE}</p>`.text).toBe(`<p title="${escapeHtml(HOSTILE)}">${escapeHtml(HOSTILE)}</p>`);
    expect(html`${[html`<i>${'<'}</i>`, '<', 1, null, undefined, false]}`.text).toBe('<i>&lt;</i>&lt;1');
    expect(html`${trusted('<hr>')}`.text).toBe('<hr>');
    // An object that only looks like markup is text.
    expect(html`${{ text: '<hr>' } as unknown as string}`.text).toBe('[object Object]');
    expect(href('audiences', 'a/b?c#d')).toBe('/audiences/a%2Fb%3Fc%23d');
  });
});

describe('renderCondition', () => {
  it('reads every condition kind of the bank audiences as sentences, values escaped', () => {
    const text = bank.audiences.map((a) => renderCondition(a.condition).text).join('\n');
    for (const phrase of ['All of', 'has at least 1 <strong>accounts</strong>', 'is within the last 90 days', 'event <strong>Payment Made</strong>', 'part of audience']) {
      expect(text).toContain(phrase);
    }
    const hostile: Condition = {
      kind: 'or',
      conditions: [
        { kind: 'trait', trait: 'plan', operator: 'equals', value: { literal: HOSTILE } },
        { kind: 'not', condition: { kind: 'audience', audience: 'vip', source: 'linked', negate: true } },
        { kind: 'event', name: HOSTILE, where: [], count: { op: 'exactly', value: 0 } },
      ],
    };
    const out = renderCondition(hostile).text;
    expect(out).not.toContain('<b ');
    expect(out).toContain('Any of');
    expect(out).toContain('None of');
    expect(out).toContain('not part of audience <a href="/audiences/vip">vip</a>');
    expect(out).toContain('never did event');
  });
});

describe('SVG', () => {
  it('draws a point and two bars per run, and says so when there is no run', () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
    const svg = sizeChart([{ at: at(0), members: 10, entered: 10, exited: 0 }, { at: at(5), members: 7, entered: 1, exited: 4 }], HOSTILE).text;
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg.match(/<rect /g)).toHaveLength(4);
    expect(svg).toContain(escapeHtml(HOSTILE));
    expect(svg).not.toContain('style=');
    expect(sizeChart([], 'x').text).toContain('No successful run yet');
  });

  it('labels the size axis with whole, distinct counts however small the audience', () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
    for (const top of [0, 1, 2, 3, 7, 40, 1234]) {
      const svg = sizeChart([{ at: at(0), members: top, entered: top, exited: 0 }, { at: at(5), members: Math.floor(top / 2), entered: 0, exited: top - Math.floor(top / 2) }], 'x').text;
      const labels = [...svg.matchAll(/<text [^>]*text-anchor="end"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
      expect(new Set(labels).size, `labels ${labels.join(', ')} for ${top} members`).toBe(labels.length);
      for (const l of labels) expect(l).toMatch(/^\d[\d,]*$/);
      // The highest gridline holds the largest point.
      expect(Number(labels.at(-1)!.replaceAll(',', ''))).toBeGreaterThanOrEqual(top);
    }
  });

  it('draws the Data Graph with a box per relationship and the junction table on its edge', () => {
    const svg = graphDiagram(bank.graph).text;
    expect(svg.match(/<g class="node">/g)).toHaveLength(bank.graph.relationships.length + 1);
    expect(svg).toContain('main.card_off');
    expect(svg).not.toContain('style=');
  });
});

describe('deliveriesPage', () => {
  it("says when a daemon tries a blocked emitter again, as `linked status` does", () => {
    const blocked: EmitterView = {
      emitterKey: 'premium-entered',
      destinationKey: 'hook',
      destinationName: 'hook',
      destinationType: 'webhook',
      trigger: 'audience_entered',
      state: 'blocked',
      blockedReason: 'credentials rejected',
      blockedSince: '2026-12-08T01:00:00.000Z',
      nextTryAt: '2026-12-08T01:05:00.000Z',
      retryBudgetEndsAt: null,
      lastSuccessAt: null,
      lastFailureAt: '2026-12-08T01:04:00.000Z',
      consecutiveFailures: 3,
      failingSince: null,
      lastError: 'hook refused the credentials: HTTP 401',
      lastHttpStatus: 401,
      waitingForCompute: null,
      pending: 10,
      oldestPendingAt: '2026-12-08T00:59:00.000Z',
      lagSeconds: 360,
      deadLetters: 0,
    };
    const page = (h: EmitterView) => deliveriesPage({ health: [h], runs: [], deadLetters: [], records: [], more: { runs: false, deadLetters: false, records: false } }, {}).text;
    const soon = new Date(Date.now() + 60_000).toISOString();
    expect(page({ ...blocked, nextTryAt: soon })).toContain(`a daemon tries again at ${soon.replace(/\.\d{3}Z$/, 'Z').replace('T', ' ')}`);
    expect(page(blocked)).toContain('a daemon tries again at its next look (due at 2026-12-08 01:05:00Z)');
    expect(page({ ...blocked, state: 'retrying', blockedReason: null, nextTryAt: null, retryBudgetEndsAt: '2026-12-08T05:00:00.000Z' })).not.toContain('tries again');
  });
});
