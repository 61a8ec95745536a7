import type { Command } from 'commander';
import { openProject } from '../context.js';
import { EXIT, printJson } from '../run.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { diagnosticLine } from '../../plan/render-text.js';
import { diffCatalog } from '../../graph/catalog.js';
import type { Diagnostic } from '../../model/diagnostics.js';
import { CatalogSnapshotStore } from '../../state/apply/catalog-snapshots.js';
import { readAppliedDesired, unreadableError } from '../../state/apply/resources.js';

/**
 * `linked drift`: the applied Data Graph (not the one in code) against the warehouse catalog now:
 * dropped tables or columns, join keys no longer strings, and column types changed since the
 * snapshot taken at the last apply.
 */
export function register(program: Command): void {
  withProjectOptions(program.command('drift').description('compare the applied Data Graph with the warehouse catalog now'))
    .option('--detailed-exitcode', 'exit 0 when there is no drift, 1 on error, 2 when drift is found')
    .action(async (flags: ProjectFlags & { detailedExitcode?: boolean }) => {
      const project = await openProject(projectOptions(flags));
      const stack = project.desired.stack;
      let findings: Diagnostic[] | undefined;
      let snapshotAt: string | null = null;
      try {
        const applied = await readAppliedDesired(project.warehouse, project.stateSchema, { stack });
        const unreadableGraph = applied.unreadable.find((r) => r.kind === 'data_graph');
        if (!applied.graph && unreadableGraph) throw unreadableError(unreadableGraph);
        if (applied.graph) {
          const snap = await new CatalogSnapshotStore(project.warehouse, project.stateSchema).read(stack);
          const previous = snap && snap.graphKey === applied.graph.key ? snap : undefined;
          snapshotAt = previous?.takenAt ?? null;
          findings = await diffCatalog(applied.graph, project.warehouse, previous?.snapshot, applied.classicAudiences);
        }
      } finally {
        await project.close();
      }
      if (flags.json) printJson({ stack, applied: findings !== undefined, snapshotAt, drift: findings ?? [] });
      else if (findings === undefined) process.stdout.write(`Nothing is applied for stack "${stack}" yet: no drift to check.\n`);
      else if (findings.length === 0) process.stdout.write(`No drift: the warehouse still has every table and column the applied Data Graph of "${stack}" uses.\n`);
      else {
        process.stdout.write(`Drift in the warehouse under the applied Data Graph of "${stack}" (${findings.length}):\n`);
        for (const d of findings) process.stdout.write(`  ${diagnosticLine(d)}\n`);
      }
      if (findings?.length) process.exitCode = flags.detailedExitcode ? EXIT.changes : EXIT.ok;
    });
}
