import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { LinkedError } from '../model/errors.js';
import { printableJson } from '../model/printable.js';
import { canonicalJson, sha256 } from '../state/canonical.js';
import { PlanSchema } from './schema.js';
import { PLAN_FORMAT_VERSION, type Plan, type SavedPlan } from './types.js';

/** The plan as `--json` prints it and `--out` saves it (a saved plan is printed too: `cat plan.json`); `formatVersion` is its first key (make.ts). */
export const renderPlanJson = (plan: Plan): string => printableJson(plan, 2) + '\n';

/** True when a file's first bytes are those of a saved plan: tells a plan file from a source without parsing it. */
export const isPlanFileHead = (head: string): boolean => /^\{\s*"formatVersion":/.test(head);

/**
 * Saves a plan atomically (a half-written plan file is never read back). The temporary file's name
 * can be guessed, and a pipeline may save into a shared directory (/tmp): it is created anew
 * (O_EXCL), never opened through whatever another user left under that name (a symlink to a file
 * of ours would be overwritten with the plan).
 */
export function savePlan(path: string, plan: Plan): void {
  const tmp = `${path}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, renderPlanJson(plan), { flag: 'wx' });
  renameSync(tmp, path);
}

/** Reads a saved plan back, refusing a file that is not a plan, of another format, or edited since. */
export function loadPlan(path: string): SavedPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new LinkedError('PLAN_FILE_INVALID', `Cannot read the plan file ${path}: ${(e as Error).message}`);
  }
  const version = (raw as { formatVersion?: unknown })?.formatVersion;
  if (version !== PLAN_FORMAT_VERSION) {
    throw new LinkedError(
      'PLAN_FILE_INVALID',
      `${path} is not a plan of format version ${PLAN_FORMAT_VERSION} (found ${JSON.stringify(version)}). Make it again with \`linked plan --out\`.`,
    );
  }
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LinkedError('PLAN_FILE_INVALID', `${path} is not a valid plan: ${issue.path.join('.')}: ${issue.message}`);
  }
  const plan = raw as SavedPlan;
  const { planHash, ...rest } = plan;
  if (sha256(canonicalJson(rest)) !== planHash) {
    throw new LinkedError('PLAN_FILE_MODIFIED', `${path} was modified after it was made (its hash does not match). Make it again with \`linked plan --out\`.`);
  }
  return plan;
}
