import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { withProjectOptions, projectOptions, type ProjectFlags } from '../command-options.js';
import { migrateState } from '../../state/migrate.js';
import { withStartingUmask } from '../owner-only-files.js';
import { scaffoldProject } from '../scaffold.js';

interface InitFlags extends ProjectFlags {
  name?: string;
  package?: string;
}

/**
 * `linked init [dir]`: in a new or empty folder, writes a project (templates/project); in a
 * project (a folder with cdktf.json), creates the state schema or migrates it to the latest version.
 */
export function register(program: Command): void {
  withProjectOptions(
    program
      .command('init')
      .argument('[dir]', 'the folder: a new one to create a project in, or an existing project')
      .description('create a new project in an empty folder; in an existing project, create or migrate the state schema'),
  )
    .option('--name <name>', "the new project's package and stack name (default: the folder's name)")
    .option('--package <spec>', 'how the new project depends on linked-audiences: a path or a tarball made by "npm pack" (default: a file: path to this copy)')
    .addHelpText(
      'after',
      `
Examples:
  $ linked init my-audiences                 # a new project
  $ linked init my-audiences --package ../linked-audiences-0.1.0.tgz
  $ linked init                              # in a project: create or migrate the state schema`,
    )
    .action(async (dirArg: string | undefined, flags: InitFlags) => {
      const dir = resolve(dirArg ?? flags.dir ?? process.cwd());
      // A project: the app's cdktf.json, or at least its synthesized output (a pipeline's artifact).
      const isProject = existsSync(join(dir, 'cdktf.json')) || existsSync(join(dir, 'cdktf.out')) || flags.outDir !== undefined;
      if (isProject) await migrateProject({ ...flags, dir });
      else createProject(dir, flags);
    });
}

function createProject(dir: string, flags: InitFlags): void {
  // The new project's sources are the user's, to share as any source is: not owner-only.
  const result = withStartingUmask(() => scaffoldProject(dir, { name: flags.name, dependency: flags.package }));
  if (flags.json) {
    printJson({ created: result });
    return;
  }
  const shown = relative(process.cwd(), dir) || '.';
  const missing = result.dependencyPath && !result.dependencyPath.exists ? result.dependencyPath.path : undefined;
  // npm takes a file: path from the project's folder, not from where init ran: a path right from
  // here is often one level off there, and npm install would fail with ENOENT.
  if (missing) process.stderr.write(`Warning: "${result.dependency}" points to ${missing}, which does not exist: npm install in ${shown} will fail. Give --package a path from the project's folder (file:../...).\n`);
  const lines = [
    `Created project "${result.name}" in ${shown}/ (linked-audiences from ${result.dependency}):`,
    ...result.files.map((f) => `  ${f}`),
    '',
    'Next:',
    ...(shown === '.' ? [] : [`  cd ${shellWord(shown)}`]),
    '  npm install',
    '  npm run data                     # a sample bank warehouse in warehouse.duckdb',
    // --no-install: before npm install, or outside the project, plain `npx linked` would fetch an
    // unrelated registry package of that name.
    '  npx --no-install linked check    # type-check main.ts, synthesize and validate',
    '  npx --no-install linked plan',
    // Said from the new project, where npm install puts the package: "docs/" alone names no folder there.
    'Walk-through: node_modules/linked-audiences/docs/getting-started.md (after npm install)',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function migrateProject(flags: InitFlags): Promise<void> {
  const project = await openProject(projectOptions(flags));
  try {
    // openProject already migrated; this call reports the version (a no-op when current).
    const { to } = await migrateState(project.warehouse, project.stateSchema);
    const result = { stack: project.desired.stack, stateSchema: project.stateSchema, warehouse: project.desired.warehouse.type, schemaVersion: to };
    if (flags.json) printJson(result);
    else process.stdout.write(`State schema ${result.stateSchema} is at version ${to} (${result.warehouse}). Stack "${result.stack}" is ready to plan.\n`);
  } finally {
    await project.close();
  }
}

/** A path as one word a POSIX shell reads back unchanged: quoted when it holds anything but safe characters. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
