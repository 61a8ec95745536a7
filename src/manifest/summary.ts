import type { Desired } from '../model/desired.js';

/** What a stack declares, in counts: `linked validate`'s output and `npm start`'s summary. */
export interface DesiredSummary {
  stack: string;
  warehouse: string;
  counts: {
    entities: number;
    relationships: number;
    classicAudiences: number;
    audiences: number;
    enabledAudiences: number;
    destinations: number;
    emitters: number;
  };
  audiences: { key: string; enabled: boolean; schedule: string }[];
}

export function summarizeDesired(d: Desired): DesiredSummary {
  const w = d.warehouse;
  return {
    stack: d.stack,
    warehouse: w.type === 'duckdb' ? `duckdb ${w.path}` : `snowflake ${w.account}/${w.database}`,
    counts: {
      entities: d.graph.entities.length,
      relationships: d.graph.relationships.length,
      classicAudiences: d.classicAudiences.length,
      audiences: d.audiences.length,
      enabledAudiences: d.audiences.filter((a) => a.enabled).length,
      destinations: d.destinations.length,
      emitters: d.emitters.length,
    },
    audiences: d.audiences.map((a) => ({
      key: a.key,
      enabled: a.enabled,
      schedule: a.schedule.type === 'interval' ? `every ${a.schedule.every}` : `cron ${a.schedule.expression}`,
    })),
  };
}

/** A few aligned lines for a terminal. */
export function renderSummary(s: DesiredSummary): string {
  const c = s.counts;
  const rows: [string, string][] = [
    ['data graph', `1 (${c.entities} entities, ${c.relationships} relationships)`],
    ['classic audiences', String(c.classicAudiences)],
    ['audiences', `${c.audiences} (${c.enabledAudiences} enabled)`],
    ['destinations', String(c.destinations)],
    ['event emitters', String(c.emitters)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`Stack ${s.stack} (${s.warehouse}): valid`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const a of s.audiences) lines.push(`    ${a.key}: ${a.enabled ? 'enabled' : 'disabled'}, ${a.schedule}`);
  return lines.join('\n');
}
