import type { Command } from 'commander';
import { constants as osConstants } from 'node:os';
import { relative, resolve } from 'node:path';
import { openProject } from '../context.js';
import { ensureFreshSynth, isCliOutput, withSynthOptions } from '../synth-freshness.js';
import { printJson } from '../run.js';
import { applyPlanLocked, withStackLock, type ApplyHooks, type ApplyResult } from '../../plan/apply.js';
import { buildPlan } from '../../plan/build.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { planDiagnostics } from '../../plan/diagnostics.js';
import { loadPlan } from '../../plan/planfile.js';
import { manifestHashOf } from '../../plan/make.js';
import { planDepartureFrom } from '../../plan/planfile-trust.js';
import { constructPaths, listStacks, loadDesired, synthesizedOutDir } from '../../manifest/index.js';
import { readProvenance } from '../../plan/provenance.js';
import { renderPlanText } from '../../plan/render-text.js';
import { cannotApplyLine, renderDiagnosticSummary } from '../../plan/render-diagnostics.js';
import { confirmApply, parseDuration, repeatOnStderr, useColor } from '../terminal.js';
import type { SavedPlan } from '../../plan/types.js';
import { LinkedError } from '../../model/errors.js';
import { openPerStepSession, type StateSession } from '../../state/session.js';
import { commandTag } from '../../warehouse/tagged.js';
import type { LockInfo } from '../../state/apply/lock.js';
import { assertApplyRequirements, parseRequirements, postApplyResult, type GitHubContext } from '../../github/index.js';
import { gitHubContextFrom, statusStackOf, withGitHubOptions, type GitHubCliFlags } from '../github.js';
import type { Provenance } from '../../plan/provenance.js';

interface ApplyFlags extends ProjectFlags, GitHubCliFlags {
  synth?: boolean;
  autoApprove?: boolean;
  require?: string;
  lockTimeout: string;
  color?: boolean;
}

export function register(program: Command): void {
  withGitHubOptions(
    withSynthOptions(withProjectOptions(program.command('apply [planfile]').description('apply a saved plan, or plan and apply after confirmation'))),
    'post the result to the pull request and set the linked-audiences/apply status; token from GITHUB_TOKEN',
  )
    .option('--require <list>', 'refuse unless the pull request is: approved, mergeable (comma-separated); implies --github')
    .option('--auto-approve', 'apply without asking (pipelines)')
    .option('--lock-timeout <duration>', 'how long to wait for the state lock (e.g. 30s, 5m)', '0s')
    .option('--no-color', 'no ANSI colours even on a terminal')
    .action(async (planfile: string | undefined, flags: ApplyFlags) => {
      const timeoutMs = parseDuration(flags.lockTimeout, '--lock-timeout');
      if (flags.json && !planfile && !flags.autoApprove) {
        // A prompt would corrupt the JSON on stdout (Terraform's rule too).
        throw new LinkedError('APPLY_NEEDS_APPROVAL', '--json needs --auto-approve, or a saved plan: `linked apply plan.json --json`.');
      }
      const dir = resolve(flags.dir ?? process.cwd());
      const requirements = flags.require ? parseRequirements(flags.require) : [];
      const github = flags.github || requirements.length > 0 ? gitHubContextFrom(flags) : undefined;
      const applying: { stack?: string } = { stack: flags.stack };
      try {
        await applyCommand(planfile, flags, dir, timeoutMs, github, requirements, applying);
      } catch (e) {
        if (github) {
          const outDir = synthesizedOutDir(dir, flags.outDir);
          await reportApply(github, outDir, applying.stack ?? soleStack(outDir), false, `Apply failed: ${(e as Error).message}`).catch(() => undefined);
        }
        throw e;
      }
    });
}

/**
 * A saved plan applies what was synthesized when it was made. When the synthesized output (the
 * project's cdktf.out, or --out-dir) holds this stack now and it is another model (a later synth,
 * another branch), the plan is not what the code says. Without that output (a pipeline that kept
 * only the plan file) the plan stands on its own. A plan
 * saved by a linked that did not record its synth yet is compared by content: refusing it would
 * fail every pipeline that applies, after upgrading linked, a plan its pull request saved before.
 */
async function assertPlanOfManifest(planfile: string, plan: SavedPlan, output: SynthesizedOutput, warn: (line: string) => void): Promise<void> {
  const { dir: outDir, name } = output;
  const stacks = listStacks(outDir);
  if (stacks.size > 0 && !stacks.has(plan.stack)) {
    // A plan is made from a synthesized output, so its stack was there: a plan of a stack this synth does not
    // hold is of another project, or edited to write another stack.
    throw new LinkedError(
      'PLAN_STACK_UNKNOWN',
      `${planfile} is a plan of stack "${plan.stack}", which ${name} does not hold (it holds ${[...stacks.keys()].map((s) => `"${s}"`).join(', ')}). Make the plan again with \`linked plan --out ${planfile}\`, or apply it where that stack is synthesized.`,
    );
  }
  if (!stacks.has(plan.stack)) return;
  const desired = await loadDesired(outDir, plan.stack);
  if (plan.manifestHash !== undefined) {
    const now = manifestHashOf(desired);
    if (now !== plan.manifestHash) {
      throw new LinkedError(
        'PLAN_MANIFEST_CHANGED',
        `${planfile} was made from another synth of stack ${plan.stack} (manifest ${plan.manifestHash.slice(0, 12)}, ${name} now ${now.slice(0, 12)}). Make the plan again with \`linked plan --out ${planfile}\`.`,
      );
    }
  }
  // manifestHash is a field of the file as well: what apply acts on is compared with the synth itself.
  const departure = planDepartureFrom(plan, desired);
  if (departure !== undefined) {
    throw new LinkedError(
      'PLAN_NOT_OF_MANIFEST',
      `${planfile} does not match the synth of stack ${plan.stack} in ${name}: ${departure}. It was edited after \`linked plan\` made it: make it again with \`linked plan --out ${planfile}\`.`,
    );
  }
  if (plan.manifestHash === undefined) {
    warn(`${planfile} was saved by an older linked, which did not record the synth it was made from: applied as ${name} declares its changes and warehouse.`);
  }
}

/**
 * SIGINT and SIGTERM (Ctrl-C, a cancelled CI job) while the apply holds the state lock stop it
 * before it writes anything (`check()` at each step that could), and the lock is released as the
 * apply ends. Killed by the signal, it would leave the lock held until it expires (30 minutes),
 * and an apply on another host (the next CI runner) cannot tell that its holder is gone. A write
 * in flight finishes: it is one transaction. Before the lock is taken, and at a second signal, the
 * process exits at once, as it would without this.
 */
function stopBeforeWriting() {
  const interrupted = new AbortController();
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted.signal.aborted) process.exit(128 + (osConstants.signals[signal] ?? 0));
    process.stderr.write(`${signal}: stopping before the apply writes (a write already started finishes), then releasing the state lock (${signal} again exits at once).\n`);
    interrupted.abort(signal);
  };
  return {
    signal: interrupted.signal,
    /** From the moment the lock is held until dispose() (after its release). */
    holding<T>(work: () => Promise<T>): Promise<T> {
      for (const signal of signals) process.on(signal, onSignal);
      return work();
    },
    check(): void {
      if (interrupted.signal.aborted) {
        throw new LinkedError('APPLY_INTERRUPTED', `Interrupted by ${String(interrupted.signal.reason)} before applying: nothing was changed, and the state lock is released.`);
      }
    },
    dispose(): void {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}

/** The stack of a synthesized output that holds only one (what an apply without --stack acts on); undefined otherwise. */
function soleStack(outDir: string): string | undefined {
  try {
    const stacks = [...listStacks(outDir).keys()];
    return stacks.length === 1 ? stacks[0] : undefined;
  } catch {
    return undefined; // no readable output: the report names no stack
  }
}

/** The synthesized output and its name in messages: --out-dir as the user wrote it, else cdktf.out. */
interface SynthesizedOutput {
  dir: string;
  name: string;
}

/** The result as a PR comment and commit status; the status names the stack when `outDir` holds several (statusStackOf). */
async function reportApply(github: GitHubContext, outDir: string, stack: string | undefined, ok: boolean, text: string): Promise<void> {
  const statusStack = statusStackOf(outDir, stack);
  const title = `#### linked-audiences apply${stack ? ` (stack ${stack})` : ''}: ${ok ? 'succeeded' : 'failed'}`;
  await postApplyResult(github, `${title}\n\n${text}\n`, ok, { stack, statusStack, description: text.slice(0, 140) });
}

async function applyCommand(
  planfile: string | undefined,
  flags: ApplyFlags,
  dir: string,
  timeoutMs: number,
  github: GitHubContext | undefined,
  requirements: ReturnType<typeof parseRequirements>,
  /** The stack applied, set as soon as it is known: a failure's report names it. */
  applying: { stack?: string },
): Promise<void> {
  // The GitOps form of the seed's permission requirements: checked before the lock is taken.
  const checked = requirements.length > 0 && github ? await assertApplyRequirements(github, requirements) : undefined;
  const warn = (line: string) => {
    if (!flags.json) process.stderr.write(`Warning: ${line}\n`);
  };
  const provenance = (): Provenance => {
    const p = readProvenance(dir, process.env, { notAChange: isCliOutput });
    if (p.dirty) {
      const paths = p.dirtyPaths?.join(', ') ?? '';
      warn(`the working tree has uncommitted changes (${paths}); the apply log records commit ${p.commitSha?.slice(0, 12) ?? '(none)'} as dirty.`);
    }
    return checked ? { ...p, prNumber: p.prNumber ?? checked.pr ?? null, approvers: checked.approvers } : p;
  };
  const color = useColor(process.stdout, flags.color);
  const say = (text: string) => {
    if (!flags.json) process.stdout.write(text);
  };
  // Where the app was synthesized, as the project is loaded from it.
  const outDir = synthesizedOutDir(dir, flags.outDir);
  const lockOptions = {
    timeoutMs,
    operation: planfile ? `apply ${planfile}` : 'apply',
    onWait: (held: LockInfo) => {
      if (process.stderr.isTTY && !flags.json) process.stderr.write(`Waiting up to ${flags.lockTimeout} for the state lock held by ${held.holder} (id ${held.id})...\n`);
    },
  };

  const interrupts = stopBeforeWriting();
  // Checked again inside the write transaction: a signal while the apply opens its session and
  // reads the catalog still stops it before it writes.
  const stopHere: ApplyHooks = { beforeWrite: () => interrupts.check() };
  let session: StateSession;
  let stack: string;
  let run: (lock: LockInfo) => Promise<{ plan: SavedPlan; result: ApplyResult | null }>;
  if (planfile) {
    const plan = loadPlan(planfile);
    if (flags.stack !== undefined && flags.stack !== plan.stack) {
      throw new LinkedError(
        'PLAN_STACK_MISMATCH',
        `${planfile} is a plan of stack "${plan.stack}", not of "${flags.stack}": drop --stack to apply it, or make the plan of "${flags.stack}" with \`linked plan --stack ${flags.stack} --out <file>\`.`,
      );
    }
    if (!plan.applicable) throw new LinkedError('PLAN_HAS_ERRORS', `${planfile}: ${cannotApplyLine(plan.diagnostics)} Run \`linked plan\` and fix them.`);
    await assertPlanOfManifest(planfile, plan, { dir: outDir, name: flags.outDir ?? (relative(dir, outDir) || '.') }, warn);
    session = openPerStepSession(plan.warehouse, dir, commandTag(flags.command, plan.stack));
    stack = plan.stack;
    applying.stack = stack;
    run = async (lock) => {
      interrupts.check();
      return { plan, result: await applyPlanLocked(session, plan, lock, provenance(), stopHere) };
    };
  } else {
    await ensureFreshSynth(flags, { refuseStale: true });
    const project = await openProject(projectOptions(flags));
    const desired = project.desired;
    await project.close();
    session = openPerStepSession(desired.warehouse, dir, commandTag(flags.command, desired.stack));
    stack = desired.stack;
    applying.stack = stack;
    const declaredAt = constructPaths(outDir, stack);
    run = async (lock) => {
      // Planned under the lock, so nothing can change the state between this plan and its apply.
      const plan = await session.withWarehouse(async (wh) =>
        buildPlan(wh, desired, { diagnostics: await planDiagnostics(desired, wh), constructPaths: declaredAt }),
      );
      if (!flags.json) {
        say(renderPlanText(plan, { color }));
        repeatOnStderr(renderDiagnosticSummary(plan, { color: useColor(process.stderr, flags.color), constructPaths: declaredAt }));
      }
      if (!plan.applicable) throw new LinkedError('PLAN_HAS_ERRORS', 'The plan has errors and cannot be applied (see above).');
      if (!plan.hasChanges) return { plan, result: null };
      interrupts.check();
      if (!flags.autoApprove && !(await confirmApply(stack, interrupts.signal))) {
        interrupts.check();
        throw new LinkedError('APPLY_CANCELLED', 'Apply cancelled: nothing was changed.');
      }
      interrupts.check();
      return { plan, result: await applyPlanLocked(session, plan, lock, provenance(), stopHere) };
    };
  }

  const { plan, result } = await withStackLock(session, stack, lockOptions, (lock) => interrupts.holding(() => run(lock))).finally(() => interrupts.dispose());
  const s = plan.summary;
  if (flags.json) {
    printJson({ applied: !!result?.applyId, applyId: result?.applyId ?? null, stack, summary: s, stateHash: result?.stateHash ?? plan.stateHash, plan });
  }
  const outcome = result?.applyId
    ? `Apply complete: ${s.create} added, ${s.update} changed, ${s.replace} replaced, ${s.delete} destroyed (apply ${result.applyId}).`
    : 'No changes to apply.';
  if (github) await reportApply(github, outDir, stack, true, outcome);
  if (!result?.applyId) say(planfile ? 'No changes to apply.\n' : '');
  else say(`\n${outcome}\n`);
}
