import type { Command } from 'commander';
import { declaredEditNote, repeatedIdNote, snapshotNote, whyProfile, type WhyResult } from '../../why/why.js';
import type { WhyEntityRows, WhyNode, WhyRowNode } from '../../why/explain.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { positiveInt } from '../command-options.js';
import { printable } from '../../model/printable.js';

export function register(program: Command): void {
  withProjectOptions(
    program
      .command('why <audience> <profileId>')
      .description("why a profile is or is not in an audience: each condition evaluated for that profile, with the values that decided it"),
  )
    .option('--at <runId>', 'explain the audience version that run computed (its windows as of the run; the data as it is now)')
    .option('--entity-ids <n>', 'matching entity ids to list per entity condition', '10')
    .option('--rows <n>', 'related rows to explain per entity condition with filters (per parent row), each with the filter part by part', '5')
    .action(async (audience: string, profileId: string, flags: ProjectFlags & { at?: string; entityIds: string; rows: string }) => {
      const entityLimit = positiveInt(flags.entityIds, '--entity-ids');
      const rowLimit = positiveInt(flags.rows, '--rows');
      const project = await openProject(projectOptions(flags));
      try {
        const why = await whyProfile(project.warehouse, project.stateSchema, { audienceKey: audience, profileId, atRun: flags.at, stack: flags.stack, entityLimit, rowLimit, declared: project.desired.audiences });
        if (flags.json) return printJson({ why });
        process.stdout.write(printable(renderWhy(why)));
      } finally {
        await project.close();
      }
    });
}

/** The linked audiences the tree's "part of" leaves name, once each, in tree order. */
function linkedAudiencesNamed(tree: WhyNode): string[] {
  const keys = new Set<string>();
  const walk = (n: WhyNode) => {
    if (n.membership?.source === 'linked') keys.add(n.membership.audience);
    n.children.forEach(walk);
  };
  walk(tree);
  return [...keys];
}

export function renderWhy(w: WhyResult): string {
  const at = w.definition.runId ? ` as computed by run ${w.definition.runId} (version ${w.definition.version})` : '';
  const lines = [`Profile ${w.profileId} is ${w.member ? 'IN' : 'NOT IN'} audience ${w.audienceKey}${at}, evaluated at ${w.definition.now}.`];
  for (const note of [declaredEditNote(w), repeatedIdNote(w)]) if (note) lines.push(note);
  lines.push(snapshotNote(w, (runId) => runId).join(''));
  const line = (n: WhyNode | WhyRowNode, indent: string) => lines.push(`${indent}${n.held ? '✓' : '✗'} ${n.label}${n.decidedBy ? `  [${n.decidedBy}]` : ''}`);
  // Each related row explained under its condition: whether it counts, then its filter part by part.
  const rows = (r: WhyEntityRows, indent: string) => {
    for (const row of r.shown) {
      lines.push(`${indent}${row.matched ? '✓' : '✗'} ${r.relationship} ${row.key}: ${row.matched ? 'counts' : 'does not count'}`);
      rowWalk(row.where, `${indent}  `);
    }
    if (r.more > 0) lines.push(`${indent}… ${r.more} more ${r.relationship} not shown (--rows explains more per row)`);
  };
  const rowWalk = (n: WhyRowNode, indent: string) => {
    line(n, indent);
    if (n.rows) rows(n.rows, `${indent}    `);
    for (const c of n.children) rowWalk(c, `${indent}  `);
  };
  const walk = (n: WhyNode, indent: string) => {
    line(n, indent);
    if (n.entityIds && n.entityIds.length > 0) lines.push(`${indent}    matching: ${n.entityIds.join(', ')}`);
    if (n.rows) rows(n.rows, `${indent}    `);
    for (const c of n.children) walk(c, `${indent}  `);
  };
  walk(w.tree, '');
  // A "part of" leaf says whether the profile is a member of the other audience; that one's own why says why.
  for (const key of linkedAudiencesNamed(w.tree)) lines.push(`\`linked why ${key} ${w.profileId}\` explains ${key}.`);
  return lines.join('\n') + '\n';
}
