import type { Command } from 'commander';
import { openProject } from '../context.js';
import { ensureFreshSynth, withSynthOptions } from '../synth-freshness.js';
import { EXIT, printJson } from '../run.js';
import { planJsonSchema } from '../../plan/schema.js';
import { buildPlan } from '../../plan/build.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { planDiagnostics } from '../../plan/diagnostics.js';
import { renderPlanJson, savePlan } from '../../plan/planfile.js';
import { renderPlanMarkdown } from '../../plan/render-markdown.js';
import { renderPlanText } from '../../plan/render-text.js';
import { renderDiagnosticSummary } from '../../plan/render-diagnostics.js';
import { constructPaths, listStacks, loadDesired, sharedKeyWarnings, synthesizedOutDir } from '../../manifest/index.js';
import type { Desired } from '../../model/desired.js';
import { repeatOnStderr, useColor } from '../terminal.js';
import type { Plan } from '../../plan/types.js';
import { planCounts, reportPlan, reportPlanFailure } from '../../github/index.js';
import { gitHubContextFrom, statusStackOf, withGitHubOptions, type GitHubCliFlags } from '../github.js';

interface PlanFlags extends ProjectFlags, GitHubCliFlags {
  synth?: boolean;
  out?: string;
  markdown?: boolean;
  detailedExitcode?: boolean;
  impact?: boolean;
  color?: boolean;
}

/** Terraform's -detailed-exitcode: 0 no changes, 1 error, 2 changes. Without it: 1 on error, else 0. */
export function planExitCode(plan: Plan, detailed: boolean): number {
  if (!plan.applicable) return EXIT.error;
  return detailed && plan.hasChanges ? EXIT.changes : EXIT.ok;
}

export function renderPlanFor(plan: Plan, flags: { json?: boolean; markdown?: boolean; color?: boolean }): string {
  if (flags.json) return renderPlanJson(plan);
  if (flags.markdown) return renderPlanMarkdown(plan);
  return renderPlanText(plan, { color: useColor(process.stdout, flags.color) });
}

export function register(program: Command): void {
  withGitHubOptions(
    withSynthOptions(withProjectOptions(program.command('plan').description('show what apply would change: desired model vs applied state'))),
    'post the plan as one pull-request comment (updated in place) and set the linked-audiences/plan status (linked-audiences/plan: <stack> in an app with several stacks); token from GITHUB_TOKEN',
  )
    .option('--out <file>', 'save the plan for `linked apply <file>`')
    .option('--markdown', 'render for a PR comment')
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 1 on error, 2 when there are changes')
    .option('--impact', 'count, in the warehouse, how many profiles each changed audience would gain and lose')
    .option('--no-color', 'no ANSI colours even on a terminal')
    .option('--json-schema', 'print the JSON Schema of the --json plan and exit')
    .action(async (flags: PlanFlags & { jsonSchema?: boolean }) => {
      if (flags.jsonSchema) {
        printJson(planJsonSchema());
        return;
      }
      // Read before planning, so a context error is not taken for a failed plan.
      const github = flags.github ? gitHubContextFrom(flags) : undefined;
      let made: { plan: Plan; declaredAt: Map<string, string> };
      const known = { stack: flags.stack };
      try {
        made = await makeThePlan(flags, known);
      } catch (e) {
        if (github) {
          const { status } = await reportPlanFailure(github, (e as Error).message, { stack: known.stack, statusStack: statusStackOf(outDirOfFlags(flags), known.stack) });
          process.stderr.write(`GitHub: no plan could be made; status ${status.context} ${status.state}\n`);
        }
        throw e;
      }
      const { plan, declaredAt } = made;
      if (flags.out) savePlan(flags.out, plan);
      process.stdout.write(renderPlanFor(plan, flags));
      if (flags.out && !flags.json && !flags.markdown) {
        process.stdout.write(
          plan.applicable ? `\nSaved the plan to ${flags.out}. Apply it with: linked apply ${flags.out}\n` : `\nSaved the plan to ${flags.out} (it cannot be applied).\n`,
        );
      }
      if (!flags.json) {
        repeatOnStderr(renderDiagnosticSummary(plan, { color: useColor(process.stderr, flags.color), constructPaths: declaredAt }));
      }
      if (github) {
        // Reported after printing, so the log shows the plan even when GitHub is unreachable.
        const markdown = renderPlanMarkdown(plan, { identifyBy: 'inputs' });
        const { comment, status } = await reportPlan(github, markdown, planCounts(plan), { stack: plan.stack, statusStack: statusStackOf(outDirOfFlags(flags), plan.stack) });
        const where = comment ? `comment ${comment.action} on #${github.pr} (${comment.url}); ` : '';
        process.stderr.write(`GitHub: ${where}status ${status.context} ${status.state}: ${status.description}\n`);
      }
      process.exitCode = planExitCode(plan, !!flags.detailedExitcode);
    });
}

/** Where the app was synthesized, from the flags alone (a failure may come before the project opens). */
const outDirOfFlags = (flags: PlanFlags) => synthesizedOutDir(flags.dir ?? process.cwd(), flags.outDir);

/** The app's other stacks in cdktf.out; one that does not load is its own plan's problem, not this one's. */
async function loadSiblings(outDir: string, stack: string): Promise<Desired[]> {
  const out: Desired[] = [];
  for (const name of listStacks(outDir).keys()) {
    if (name === stack) continue;
    try {
      out.push(await loadDesired(outDir, name));
    } catch {
      /* reported by that stack's own commands */
    }
  }
  return out;
}

/** The plan; `known.stack` is set as soon as the stack is known, for the report of a failure after it. */
async function makeThePlan(flags: PlanFlags, known: { stack?: string }): Promise<{ plan: Plan; declaredAt: Map<string, string> }> {
  await ensureFreshSynth(flags, { refuseStale: true });
  // A plan never moves the state on: on a pull request it may run a newer linked than main.
  const project = await openProject(projectOptions(flags), { migrate: 'create-only' });
  known.stack = project.desired.stack;
  const behind = project.stateBehind;
  if (behind && !flags.json) {
    process.stderr.write(
      `Note: the state in schema ${project.stateSchema} is at version ${behind.current}. The plan leaves it so; the first other command of this linked (apply, run, status) ` +
        `migrates it to version ${behind.latest}, and from then on every linked that uses this state (CI, the controller) must be this version or newer.\n`,
    );
  }
  const outDir = synthesizedOutDir(project.dir, flags.outDir);
  const declaredAt = constructPaths(outDir, project.desired.stack);
  try {
    const siblings = await loadSiblings(outDir, project.desired.stack);
    const diagnostics = [...(await planDiagnostics(project.desired, project.warehouse)), ...sharedKeyWarnings(project.desired, siblings, project.dir)];
    const plan = await buildPlan(project.warehouse, project.desired, { diagnostics, impact: flags.impact, constructPaths: declaredAt });
    return { plan, declaredAt };
  } finally {
    await project.close();
  }
}
