/*
 * Orders test files longest first, from the durations measured in a whole run (durations.json
 * beside this file), so that the workers finish together: a long file started last would run
 * alone at the end. Vitest orders by its own cache when one exists, which a clean checkout (CI)
 * never has, and falls back to file size, a poor guide here (a short file that spawns the CLI ten
 * times outlasts a long file of pure functions). Files not in the table run first, as vitest
 * runs files it has no figures for: a new file is more often a slow one than not.
 * Refresh the table with `node test/sequence/update-durations.mjs <vitest json report>`.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const DURATIONS: Record<string, number> = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8'));

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const seconds = (spec: TestSpecification) => DURATIONS[relative(spec.project.config.root, spec.moduleId).split('\\').join('/')] ?? Infinity;
    return [...files].sort((a, b) => seconds(b) - seconds(a));
  }
}
