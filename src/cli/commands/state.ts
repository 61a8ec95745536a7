import type { Command } from 'commander';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { maskSecrets } from '../../plan/render-text.js';
import { LinkedError } from '../../model/errors.js';
import { LockStore } from '../../state/apply/lock.js';
import { RESOURCE_KINDS } from '../../model/desired.js';
import { readAppliedRows, unreadableError, type AppliedResource, type UnreadableResource } from '../../state/apply/resources.js';
import { printable } from '../../model/printable.js';

const short = (sha: string | null) => (sha ? sha.slice(0, 12) : '-');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n';
}

/** `linked state list` and `linked state show <key>`: what is applied, as the state holds it. */
export function register(program: Command): void {
  const state = program.command('state').description('inspect the applied state');

  withProjectOptions(state.command('list').description('list applied resources (and held locks)'))
    .option('--deleted', 'include deleted resources (kept as history)')
    .option('--all-stacks', 'every stack in the state schema, not only this one')
    .action(async (flags: ProjectFlags & { deleted?: boolean; allStacks?: boolean }) => {
      const project = await openProject(projectOptions(flags));
      try {
        const rows = await readAppliedRows(project.warehouse, project.stateSchema, {
          includeDeleted: flags.deleted,
          stack: flags.allStacks ? undefined : project.desired.stack,
        });
        // In state order, a row whose spec cannot be read among the others, saying so.
        const resources = [...rows.resources, ...rows.unreadable].sort(
          (a, b) => RESOURCE_KINDS.indexOf(a.kind) - RESOURCE_KINDS.indexOf(b.kind) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
        );
        const locks = await new LockStore(project.warehouse, project.stateSchema).list();
        if (flags.json) {
          printJson({ resources: resources.map((r) => ({ address: `${r.kind}.${r.key}`, ...r, spec: undefined, preventDestroy: undefined })), locks });
          return;
        }
        const status = (r: (typeof resources)[number]) => (r.deletedAt ? `deleted ${r.deletedAt}` : 'problem' in r ? 'active, spec unreadable' : 'active');
        if (resources.length === 0) process.stdout.write(`No applied resources for stack "${project.desired.stack}".\n`);
        else {
          process.stdout.write(
            table([
              ['ADDRESS', 'VERSION', 'APPLIED AT', 'BY', 'COMMIT', 'STATUS'],
              // Who applied comes from the pipeline's environment: escaped before the columns are measured.
              ...resources.map((r) => [`${r.kind}.${r.key}`, String(r.version), r.appliedAt, printable(r.appliedBy ?? '-'), short(r.commitSha), status(r)]),
            ]),
          );
          for (const r of rows.unreadable) process.stdout.write(`${unreadableError(r).message}\n`);
        }
        for (const l of locks) process.stdout.write(`Locked: ${l.name} by ${l.holder} since ${l.acquiredAt} (id ${l.id}, expires ${l.expiresAt})\n`);
      } finally {
        await project.close();
      }
    });

  withProjectOptions(state.command('show <resource>').description('show one applied resource: an address (audience.vip) or a key'))
    .action(async (resource: string, flags: ProjectFlags) => {
      const project = await openProject(projectOptions(flags));
      let found: AppliedResource | UnreadableResource;
      try {
        const rows = await readAppliedRows(project.warehouse, project.stateSchema, { includeDeleted: true });
        const matches = [...rows.resources, ...rows.unreadable].filter((r) => `${r.kind}.${r.key}` === resource || r.key === resource);
        if (matches.length === 0) throw new LinkedError('RESOURCE_NOT_FOUND', `No applied resource is named "${resource}". \`linked state list --deleted\` lists them.`);
        if (matches.length > 1) {
          throw new LinkedError('RESOURCE_AMBIGUOUS', `"${resource}" names several resources: ${matches.map((r) => `${r.kind}.${r.key}`).join(', ')}. Give the address.`);
        }
        found = matches[0];
      } finally {
        await project.close();
      }
      if (flags.json) {
        // An unreadable spec is never printed: it may hold a pasted secret, which only a parsed spec can mask.
        printJson({ address: `${found.kind}.${found.key}`, ...found, preventDestroy: undefined });
        return;
      }
      const lines = [
        `# ${found.kind}.${found.key}${found.deletedAt ? ` (deleted ${found.deletedAt})` : ''}`,
        `version:    ${found.version}`,
        `applied at: ${found.appliedAt} by ${found.appliedBy ?? '-'}`,
        `commit:     ${found.commitSha ?? '-'}`,
        `stack:      ${found.stack ?? '-'}`,
        `spec hash:  ${found.specHash}`,
        'spec' in found ? JSON.stringify(maskSecrets(found.spec), null, 2) : unreadableError(found).message,
      ];
      // Who applied it comes from the pipeline's environment.
      process.stdout.write(printable(lines.join('\n') + '\n'));
    });
}
